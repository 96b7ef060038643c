/**
 * The Redis side of retries, for the worker: which attempt a job is on, and putting a failed
 * attempt back through the delayed queue (retry.lua). Attempts are counted per sha1 of class and
 * args in `retry-info`, which survives any promoter (Ruby's rewrites the payload and drops our id).
 * Two identical jobs (same class and args) waiting at once share one count, as in resque-retry.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
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
    private readonly redis: RedisClient,
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
    const failedBefore = await failedAttempts(this.redis, this.keys, digest);
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
    const result = await putBackForRetry(this.redis, this.keys, {
      workerId: this.workerId,
      token: job.token,
      raw: job.raw,
      queue: job.queue,
      payload,
      digest,
      attempts: policy.attempts,
      delay: retryDelay(policy, attempt, error),
      error,
      now: this.clock(),
    });
    // -1: recovered meanwhile (nothing to acknowledge either way); 0: the last attempt failed.
    return result !== 0;
  }

  private async forget(digest: string, failedBefore: number): Promise<false> {
    if (failedBefore > 0) await this.redis.pipeline().hdel(this.keys.retryInfo, digest).zrem(this.keys.retrying, digest).exec(); // two idempotent clean-ups: no MULTI needed
    return false;
  }
}

/** sha1 of the class and args as values (not bytes), so a promoter's re-encoding keeps the count. */
export function attemptDigest(payload: Pick<JobPayload, 'className' | 'args'>): string {
  const args = JSON.stringify(payload.args, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
  return createHash('sha1').update(`${payload.className}\n${args}`).digest('hex');
}

export interface RetryRequest {
  readonly workerId: string;
  /** The job's token in the worker's in-flight hash, its raw payload and queue. */
  readonly token: string;
  readonly raw: string;
  readonly queue: string;
  readonly payload: JobPayload;
  /** attemptDigest(payload). */
  readonly digest: string;
  /** Runs allowed in all. */
  readonly attempts: number;
  /** Wait before the next attempt, ms. */
  readonly delay: number;
  readonly error: unknown;
  /** Epoch ms. */
  readonly now: number;
}

/**
 * Moves a failed attempt from the worker's in-flight hash to the delayed queue (retry.lua), for the
 * worker after a throw and for the host after a crash. Returns the attempt that failed when the job
 * was put back, 0 when no attempt is left (the caller fails it), -1 when it is no longer in flight.
 */
export async function putBackForRetry(redis: RedisClient, keys: ResqueKeys, request: RetryRequest): Promise<number> {
  const { payload, error, now, workerId } = request;
  const due = Math.ceil((now + request.delay) / 1000);
  const item = delayedItemFromPayload(request.raw, request.queue);
  const message = error instanceof Error ? error.message : String(error);
  const infoHead = JSON.stringify({
    queue: request.queue,
    class: payload.className,
    id: payload.id ?? null,
    error: message.slice(0, 500),
    exception: error instanceof Error ? error.name : 'Error',
    at: Math.floor(now / 1000),
    next: due,
    attempts: request.attempts,
  }).slice(0, -1);
  const statusKey = payload.id === undefined ? [] : [keys.jobStatus(payload.id, payload.statusPrefix)];
  return Number(
    await runScript(
      redis,
      retryScript,
      [
        keys.inflight(workerId),
        keys.worker(workerId),
        keys.delayedSchedule,
        keys.delayed(due),
        keys.delayedIds,
        keys.timestampsPrefix + item,
        keys.retryInfo,
        keys.retrying,
        keys.statProcessed(),
        keys.statProcessed(workerId),
        keys.statFailed(),
        keys.statFailed(workerId),
        keys.queues,
        keys.queue(request.queue),
        ...statusKey,
      ],
      [request.token, request.digest, request.attempts, item, payload.id ?? '', due, infoHead, Math.floor(now / 1000), request.delay === 0 ? '1' : '0', keys.wake],
    ),
  );
}

/** How many attempts of a job (by attemptDigest) have failed so far. */
export async function failedAttempts(redis: RedisClient, keys: ResqueKeys, digest: string): Promise<number> {
  const info = await redis.hget(keys.retryInfo, digest);
  return info ? Number(/"attempt":(\d+)/.exec(info)?.[1] ?? 0) : 0;
}
