/**
 * Uniqueness and run-time locks of a job class, on node-resque's lock keys (keys.ts):
 *
 * - `unique` (node's QueueLock): at most one job per key waits in a queue. Enqueue takes the lock
 *   (enqueue-unique.lua); the worker releases it when the job starts ('started', node's
 *   behaviour) or when it has finished ('finished': no second job waits or runs meanwhile).
 * - `lock` (node's JobLock): at most one job per key runs at once. A job that finds the lock held is
 *   put back through the delayed queue (`retryIn`, default 1 s) without counting an attempt.
 *
 * The key is JSON of the args by default, as node-resque builds it, or what `key(data)` returns.
 */
import type { RedisClient } from '../redis/connection.js';
import { delayedItemFromPayload } from '../protocol/delayed-item.js';
import type { ResqueKeys } from '../protocol/keys.js';
import type { JobPayload } from '../protocol/payload.js';
import type { ReservedJob } from '../protocol/scripts/exchange-jobs.js';
import { deferScript } from '../protocol/scripts/lua.generated.js';
import { runScript } from '../redis/scripts.js';
import { lockKeyOf } from '../protocol/lock-key.js';
import { DEFAULT_LOCK_TTL_MS, type RunLockOptions, type UniqueOptions } from '../options/lock-options.js';



export class JobLocks {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ResqueKeys,
    private readonly workerId: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Takes the run-time lock; false when another job holds it. */
  async acquire(payload: JobPayload, queue: string, options: RunLockOptions): Promise<boolean> {
    const key = this.keys.jobLock(payload.className, queue, lockKeyOf(options, payload.args));
    const ttl = Math.max(1, Math.ceil((options.ttl ?? DEFAULT_LOCK_TTL_MS) / 1000));
    const expiry = Math.floor(this.clock() / 1000) + ttl;
    return (await this.redis.set(key, String(expiry), 'EX', ttl, 'NX')) === 'OK';
  }

  release(payload: JobPayload, queue: string, options: RunLockOptions): Promise<unknown> {
    return this.redis.del(this.keys.jobLock(payload.className, queue, lockKeyOf(options, payload.args)));
  }

  /** The uniqueness lock, released when the job starts or ends (as `until` says). */
  releaseUnique(payload: JobPayload, queue: string, options: UniqueOptions): Promise<unknown> {
    return this.redis.del(this.keys.queueLock(payload.className, queue, lockKeyOf(options, payload.args)));
  }

  /** Puts a job whose lock is held back in the delayed queue; resolves true if it was still in flight. */
  async defer(job: ReservedJob, payload: JobPayload, options: RunLockOptions): Promise<boolean> {
    const keys = this.keys;
    const due = Math.ceil((this.clock() + (options.retryIn ?? 1000)) / 1000);
    const item = delayedItemFromPayload(job.raw, job.queue);
    const result = await runScript(
      this.redis,
      deferScript,
      [keys.inflight(this.workerId), keys.worker(this.workerId), keys.delayedSchedule, keys.delayed(due), keys.delayedIds, keys.timestampsPrefix + item],
      [job.token, item, payload.id ?? '', due],
    );
    return Number(result) === 1;
  }
}
