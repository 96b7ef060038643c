/**
 * What the worker does around one job of a class with retries, uniqueness or a run-time lock
 * (`@Job({ retry, unique, lock })`), so the performer asks one object. Classes with none of these
 * cost nothing: `begin` returns undefined without touching Redis.
 */
import type { RedisClient } from '../redis/connection.js';
import type { ResqueKeys } from '../protocol/keys.js';
import type { JobPayload } from '../protocol/payload.js';
import type { ReservedJob } from '../protocol/scripts/exchange-jobs.js';
import { JobLocks } from './job-locks.js';
import type { RunLockOptions, UniqueOptions } from '../options/lock-options.js';
import { JobRetries } from './job-retries.js';
import type { RetryOptions } from './retry-policy.js';

export interface JobClassPolicy {
  readonly retry?: RetryOptions;
  readonly unique?: UniqueOptions;
  readonly lock?: RunLockOptions;
}

export interface JobRun {
  /** 1 for the first run, 2 for the first retry ... */
  readonly attempt: number;
  /** Its run-time lock is held by another job: it was put back in the delayed queue, do not run it. */
  readonly deferred: boolean;
  succeeded(): Promise<void>;
  /** True when the failed attempt was put back for another (nothing to acknowledge then). */
  failed(error: unknown): Promise<boolean>;
}

export class JobLifecycle {
  private readonly retries: JobRetries;
  private readonly locks: JobLocks;

  constructor(
    redis: RedisClient,
    keys: ResqueKeys,
    workerId: string,
    private readonly policyOf: (className: string) => JobClassPolicy | undefined,
    clock: () => number = Date.now,
  ) {
    this.retries = new JobRetries(redis, keys, workerId, (name) => policyOf(name)?.retry, clock);
    this.locks = new JobLocks(redis, keys, workerId, clock);
  }

  begin(job: ReservedJob, payload: JobPayload): Promise<JobRun> | undefined {
    const policy = this.policyOf(payload.className);
    if (!policy || (!policy.unique && !policy.lock && (!policy.retry || policy.retry.attempts <= 1))) return undefined;
    return this.start(job, payload, policy);
  }

  private async start(job: ReservedJob, payload: JobPayload, policy: JobClassPolicy): Promise<JobRun> {
    const { unique, lock } = policy;
    if (lock && !(await this.locks.acquire(payload, job.queue, lock))) {
      await this.locks.defer(job, payload, lock);
      return { attempt: 0, deferred: true, succeeded: async () => undefined, failed: async () => true };
    }
    if (unique && unique.until !== 'finished') await this.locks.releaseUnique(payload, job.queue, unique);
    const ticket = await this.retries.begin(job, payload);
    const ended = async () => {
      if (lock) await this.locks.release(payload, job.queue, lock);
      if (unique?.until === 'finished') await this.locks.releaseUnique(payload, job.queue, unique);
    };
    return {
      attempt: ticket?.attempt ?? 1,
      deferred: false,
      succeeded: async () => {
        await ended();
        if (ticket && ticket.attempt > 1) await ticket.succeeded();
      },
      failed: async (error) => {
        await ended();
        return ticket ? ticket.failed(error) : false;
      },
    };
  }
}
