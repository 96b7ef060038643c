/**
 * Enqueue of a job class with `@Job({ unique })`: one script call that takes node-resque's
 * QueueLock key (enqueue-unique.lua, delay-unique.lua for a delayed job) and pushes the job only
 * if no job with the same key waits (queued or delayed).
 */
import { delayUniqueScript, enqueueUniqueScript } from '../protocol/scripts/lua.generated.js';
import { FINISHED_STATUS_TTL_SECONDS, JobStatus, statusJson } from '../protocol/status.js';
import { delayedItem } from '../protocol/delayed-item.js';
import { runScript } from '../redis/scripts.js';
import { DEFAULT_LOCK_TTL_MS, type UniqueOptions } from '../options/lock-options.js';
import { lockKeyOf } from '../protocol/lock-key.js';
import type { PreparedJob, ResqueClient } from './resque-client.js';

export interface UniqueEnqueueResult {
  /** False when a job with the same key was already waiting: nothing was written. */
  readonly enqueued: boolean;
  /** The new job's id, or the waiting job's (null when a node-resque producer holds the lock). */
  readonly id: string | null;
}

export function enqueueUnique(
  client: ResqueClient,
  queue: string,
  className: string,
  data: unknown,
  job: PreparedJob,
  options: UniqueOptions,
): Promise<UniqueEnqueueResult> {
  const { keys, redis } = client;
  const lock = keys.queueLock(className, queue, lockKeyOf(options, [data]));
  const ttl = lockTtlSeconds(options);
  return client.call('enqueue', true, async () => {
    const [enqueued, id] = (await runScript(
      redis,
      enqueueUniqueScript,
      [lock, keys.queues, keys.queue(queue), ...(job.statusKey ? [job.statusKey] : [])],
      [Math.floor(Date.now() / 1000), ttl, job.id, queue, job.payload, statusJson(JobStatus.Waiting, new Date(), true), keys.wake],
    )) as [number, string];
    return { enqueued: enqueued === 1, id: id === '' ? null : id };
  });
}

/**
 * A delayed job of a unique class: the lock is taken now and lives until the due second plus the
 * TTL, so a duplicate asked for while the job waits in the delayed queue is refused too.
 */
export function delayUnique(
  client: ResqueClient,
  second: number,
  queue: string,
  className: string,
  data: unknown,
  job: PreparedJob,
  options: UniqueOptions,
): Promise<UniqueEnqueueResult> {
  const { keys, redis } = client;
  const lock = keys.queueLock(className, queue, lockKeyOf(options, [data]));
  const now = Math.floor(Date.now() / 1000);
  const untilDue = Math.max(0, second - now);
  const ttl = untilDue + lockTtlSeconds(options);
  const item = delayedItem(job.payload, queue, job.id);
  return client.call('enqueueAt', true, async () => {
    const [delayed, id] = (await runScript(
      redis,
      delayUniqueScript,
      [lock, keys.delayedSchedule, keys.delayed(second), keys.delayedIds, keys.timestampsPrefix + item, ...(job.statusKey ? [job.statusKey] : [])],
      [now, ttl, job.id, second, item, statusJson(JobStatus.Waiting, new Date(), true), Math.max(1, untilDue) + FINISHED_STATUS_TTL_SECONDS],
    )) as [number, string];
    return { enqueued: delayed === 1, id: id === '' ? null : id };
  });
}

/** The lock's lifetime in whole seconds (at least one). */
function lockTtlSeconds(options: UniqueOptions): number {
  return Math.max(1, Math.ceil((options.ttl ?? DEFAULT_LOCK_TTL_MS) / 1000));
}
