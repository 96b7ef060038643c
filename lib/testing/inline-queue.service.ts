/**
 * QueueService for tests, where `enqueue` and `enqueueBulk` (and queue handles, which call them) run
 * the job at once in the caller's process, with its providers, like Ruby's `Resque.inline` and
 * node-resque's `performInline`. Nothing is written to Redis for them.
 *
 * Each job goes through what a worker would do with it: the data is validated and encoded as the
 * payload a worker pops, decoded again (so the job sees what JSON keeps: a Date becomes a string,
 * bigints stay exact), then run by the JobRunner with every hook. Enqueue hooks run around it
 * (beforeEnqueue's DontCreateError resolves null, as in production). A job's error rejects the
 * enqueue with that error, after its onFailure hooks. Jobs a job enqueues run inside it, depth first.
 *
 * Delayed jobs (enqueueAt, enqueueIn, enqueueBulkAt) run at once too, as resque-scheduler does under
 * `Resque.inline`. Every read still goes to Redis. A `@Job({ unique })` class runs at every enqueue
 * (no uniqueness without Redis).
 */
import { Inject, Injectable } from '@nestjs/common';
import { getJobMetadata } from '../decorators/job.decorator.js';
import type { JobClass, JobData } from '../decorators/resque-job.interface.js';
import type { When } from '../protocol/delayed-item.js';
import { JobRunner } from '../discovery/job-runner.service.js';
import { JobRegistry } from '../discovery/job.registry.js';
import { JobOutcomes } from '../events/job-outcomes.service.js';
import { ResqueEvents } from '../events/resque-events.js';
import type { ResqueModuleOptions } from '../options/resque-options.js';
import type { OwnedRedis } from '../redis/connection.js';
import { MODULE_OPTIONS_TOKEN } from '../resque.module-definition.js';
import { RESQUE_REDIS } from '../resque.tokens.js';
import { DontCreateError } from '../errors/dont-create.error.js';
import { NotAJobClassError } from '../errors/not-a-job-class.error.js';
import { decodePayload } from '../protocol/payload.js';
import { QueueService, type EnqueueOptions } from '../client/queue.service.js';
import type { EnqueueContext } from '../client/enqueue-context.js';

/** One job run inline: what it was given and how it ended. */
export interface InlineRun {
  readonly id: string;
  readonly queue: string;
  readonly className: string;
  readonly data: unknown;
  readonly outcome: 'completed' | 'failed';
  readonly error?: unknown;
}

/** The worker id inline jobs see in their context. */
export const INLINE_WORKER_ID = 'inline';

/** @publicApi */
@Injectable()
export class InlineQueueService extends QueueService {
  /** Every job run inline, in order of completion. */
  readonly runs: InlineRun[] = [];

  constructor(
    @Inject(RESQUE_REDIS) redis: OwnedRedis,
    @Inject(MODULE_OPTIONS_TOKEN) options: ResqueModuleOptions,
    events: ResqueEvents,
    private readonly jobs: JobRegistry,
    outcomes: JobOutcomes,
    // Explicit: QueueService's own decorators on this position (its tracing) would otherwise be inherited.
    @Inject(JobRunner) private readonly runner: JobRunner,
  ) {
    super(redis, options, events, jobs, outcomes, null);
  }

  override async enqueue(target: string | JobClass, classNameOrData: unknown, dataOrOptions?: unknown, _track?: boolean): Promise<string | null> {
    if (typeof target === 'string') return (await this.runInline(target, classNameOrData as string, [dataOrOptions]))[0];
    const metadata = getJobMetadata(target);
    if (!metadata) throw new NotAJobClassError(target.name);
    void (dataOrOptions as EnqueueOptions | undefined);
    return (await this.runInline(metadata.queue, metadata.name, [classNameOrData]))[0];
  }

  override enqueueBulk(queue: string, className: string, items: readonly unknown[]): Promise<Array<string | null>> {
    return this.runInline(queue, className, items);
  }

  /** At once, whatever `when` says (enqueueIn comes here too). */
  override enqueueAt<J extends JobClass>(job: J, data: JobData<J>, when: When, options?: EnqueueOptions): Promise<string | null>;
  override enqueueAt(when: When, queue: string, className: string, data: unknown, track?: boolean): Promise<string | null>;
  override async enqueueAt(a: When | JobClass, b: unknown, c: unknown, d?: unknown): Promise<string | null> {
    if (typeof a === 'function') return this.enqueue(a, b as JobData<typeof a>);
    return (await this.runInline(b as string, c as string, [d]))[0];
  }

  override async enqueueBulkAt(_when: When, queue: string, className: string, items: readonly unknown[]): Promise<string[]> {
    return (await this.runInline(queue, className, items)).filter((id): id is string => id !== null);
  }

  /** Forgets the recorded runs (between tests). */
  clearRuns(): void {
    this.runs.length = 0;
  }

  private async runInline(queue: string, className: string, items: readonly unknown[]): Promise<Array<string | null>> {
    // All validated first, as the real path does: a bad item writes (runs) nothing.
    const prepared = items.map((data) => this.client.prepare(queue, className, data));
    const ids: Array<string | null> = [];
    for (let i = 0; i < prepared.length; i++) {
      const { id, payload: raw } = prepared[i];
      const context: EnqueueContext = { queue, className, data: items[i], id, tracked: false };
      if (!(await this.beforeEnqueueInline(context))) {
        ids.push(null);
        continue;
      }
      const decoded = decodePayload(raw);
      if (!decoded.ok) throw new Error(`inline payload did not decode: ${decoded.reason}`); // cannot happen: we encoded it
      const { payload } = decoded;
      const data = payload.args[0];
      try {
        await this.runner.run({
          id,
          className,
          queue,
          args: payload.args,
          data,
          raw,
          queueTime: payload.queueTime,
          workerId: INLINE_WORKER_ID,
          ...(payload.bigints ? { bigints: payload.bigints } : {}),
          attempt: 1,
        });
        this.runs.push({ id, queue, className, data, outcome: 'completed' });
      } catch (error) {
        this.runs.push({ id, queue, className, data, outcome: 'failed', error });
        throw error;
      }
      for (const listener of this.jobs.listeners.afterEnqueue) await listener(context);
      ids.push(id);
    }
    return ids;
  }

  private async beforeEnqueueInline(context: EnqueueContext): Promise<boolean> {
    try {
      for (const listener of this.jobs.listeners.beforeEnqueue) await listener(context);
      return true;
    } catch (error) {
      if (error instanceof DontCreateError) return false;
      throw error;
    }
  }
}
