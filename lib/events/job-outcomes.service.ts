/**
 * Outcomes of jobs run by workers anywhere (other processes, other machines) on the same Redis and
 * prefix, as an Observable and as `waitFor(id)`. The workers must publish them: PUBLISH_EVENTS=1 (or
 * `worker: { publishEvents: true }`); Resque workers of other languages never do. `events$` of
 * ResqueEvents stays per process; this is the cross-process view of `job.completed` / `job.failed`.
 *
 * Nothing is opened until first use; then one subscriber connection, closed with the module.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { ResqueModuleOptions } from '../options/resque-options.js';
import { DEFAULT_WORKER_SETTINGS } from '../options/worker-settings.js';
import type { JobOutcome } from '../protocol/job-outcome.js';
import { ResqueKeys } from '../protocol/keys.js';
import type { OwnedRedis } from '../redis/connection.js';
import { MODULE_OPTIONS_TOKEN } from '../resque.module-definition.js';
import { RESQUE_REDIS } from '../resque.tokens.js';
import { OutcomeSubscriber, type WaitForOptions } from './outcome-subscriber.js';

/** @publicApi */
@Injectable()
export class JobOutcomes implements OnModuleDestroy {
  private readonly subscriber: OutcomeSubscriber;

  constructor(@Inject(RESQUE_REDIS) redis: OwnedRedis, @Inject(MODULE_OPTIONS_TOKEN) options: ResqueModuleOptions) {
    const ttl = options.worker?.eventResultTtl ?? DEFAULT_WORKER_SETTINGS.eventResultTtl;
    this.subscriber = new OutcomeSubscriber(redis.client, new ResqueKeys(options.prefix ?? 'resque'), ttl);
  }

  /** `job.completed` and `job.failed` of every publishing worker, from the moment you subscribe. */
  get events$(): Observable<JobOutcome> {
    return this.subscriber.outcomes$;
  }

  /** Resolves once the subscription is live: outcomes published after this reach `events$`. */
  ready(): Promise<void> {
    return this.subscriber.ready();
  }

  /**
   * The job's outcome once acknowledged (also if that was before this call, within EVENT_RESULT_TTL):
   * `{ type: 'job.completed' | 'job.failed', ... }`. Rejects with JobWaitTimeoutError after
   * `timeout` ms (default 30000). A failed job resolves too: look at `type`.
   */
  waitFor(id: string, options?: WaitForOptions): Promise<JobOutcome> {
    return this.subscriber.waitFor(id, options);
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscriber.close();
  }
}
