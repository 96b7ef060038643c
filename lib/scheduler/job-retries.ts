/**
 * The Redis side of retries, for the worker: which attempt a job is on, and putting a failed
 * attempt back through the delayed queue (retry.lua). Attempts are counted per sha1 of class and
 * args in `retry-info`, which survives any promoter (Ruby's rewrites the payload and drops our id).
 * Two identical jobs (same class and args) waiting at once share one count, as in resque-retry.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { delayedItemFromPayload } from '../protocol/delayed-item.js';
import type { ResqueKeys } from '../protocol/keys.js';
import type { JobPayload } from '../protocol/payload.js';
import type { ReservedJob } from '../protocol/scripts/exchange-jobs.js';
import { retryScript } from '../protocol/scripts/lua.generated.js';
import { runScript } from '../redis/scripts.js';
import { retryDelay, isRetryable } from './retry-policy.js';
import type { RetryOptions } from '../options/retry-options.js';

/** One run of a job whose class retries. */
export interface RetryTicket {
  /** 1 for the first run, 2 for the first retry ... */
  readonly attempt: number;
  /** True when the failed attempt was put back for another (then it must not be acknowledged as failed). */
  failed(error: unknown): Promise<boolean>;
  /** After a successful retry: forget the count. */
  succeeded(): Promise<void>;
}

export class JobRetries {
  constructor(
    private readonly redis: Redis,
    private readonly keys: ResqueKeys,
    private readonly workerId: string,
    private readonly policyOf: (className: string) => RetryOptions | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Undefined (no Redis call) for classes that do not retry. */
  begin(job: ReservedJob, payload: JobPayload): Promise<RetryTicket> | undefined {
    const policy = this.policyOf(payload.className);
    if (!policy || policy.attempts <= 1) return undefined;
    return this.ticket(job, payload, policy);
  }

  private async ticket(job: ReservedJob, payload: JobPayload, policy: RetryOptions): Promise<RetryTicket> {
    const digest = attemptDigest(payload);
    const info = await this.redis.hget(this.keys.retryInfo, digest);
    const failedBefore = info ? Number(/"attempt":(\d+)/.exec(info)?.[1] ?? 0) : 0;
    const attempt = failedBefore + 1;
    return {
      attempt,
      failed: (error) => (isRetryable(policy, error) ? this.retry(job, payload, digest, policy, attempt, error) : this.forget(digest, failedBefore)),
      // Not awaited by the job's acknowledgement: a count left behind by a crash here only costs a
      // later identical job attempts, never a run beyond `attempts`.
      succeeded: async () => {
        void this.forget(digest, failedBefore).catch(() => undefined);
      },
    };
  }

  private async retry(job: ReservedJob, payload: JobPayload, digest: string, policy: RetryOptions, attempt: number, error: unknown): Promise<boolean> {
    const { keys } = this;
    const delay = retryDelay(policy, attempt, error);
    const due = Math.ceil((this.clock() + delay) / 1000);
    const item = delayedItemFromPayload(job.raw, job.queue);
    const message = error instanceof Error ? error.message : String(error);
    const infoHead = JSON.stringify({
      queue: job.queue,
      class: payload.className,
      id: payload.id ?? null,
      error: message.slice(0, 500),
      exception: error instanceof Error ? error.name : 'Error',
      at: Math.floor(this.clock() / 1000),
      next: due,
      attempts: policy.attempts,
    }).slice(0, -1);
    const statusKey = payload.id === undefined ? [] : [keys.jobStatus(payload.id, payload.statusPrefix)];
    const result = Number(
      await runScript(
        this.redis,
        retryScript,
        [
          keys.inflight(this.workerId),
          keys.worker(this.workerId),
          keys.delayedSchedule,
          keys.delayed(due),
          keys.delayedIds,
          keys.timestampsPrefix + item,
          keys.retryInfo,
          keys.retrying,
          keys.statProcessed(),
          keys.statProcessed(this.workerId),
          keys.statFailed(),
          keys.statFailed(this.workerId),
          keys.queues,
          keys.queue(job.queue),
          ...statusKey,
        ],
        [job.token, digest, policy.attempts, item, payload.id ?? '', due, infoHead, Math.floor(this.clock() / 1000), delay === 0 ? '1' : '0', keys.wake],
      ),
    );
    // -1: recovered meanwhile (nothing to acknowledge either way); 0: the last attempt failed.
    return result !== 0;
  }

  private async forget(digest: string, failedBefore: number): Promise<false> {
    if (failedBefore > 0) await this.redis.multi().hdel(this.keys.retryInfo, digest).zrem(this.keys.retrying, digest).exec();
    return false;
  }
}

/** sha1 of the class and args as values (not bytes), so a promoter's re-encoding keeps the count. */
export function attemptDigest(payload: Pick<JobPayload, 'className' | 'args'>): string {
  const args = JSON.stringify(payload.args, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
  return createHash('sha1').update(`${payload.className}\n${args}`).digest('hex');
}
