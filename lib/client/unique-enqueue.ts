/**
 * Enqueue of a job class with `@Job({ unique })`: one script call that takes node-resque's
 * QueueLock key (enqueue-unique.lua) and pushes the job only if no job with the same key waits.
 */
import { enqueueUniqueScript } from '../protocol/scripts/lua.generated.js';
import { JobStatus, statusJson } from '../protocol/status.js';
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
  const ttl = Math.max(1, Math.ceil((options.ttl ?? DEFAULT_LOCK_TTL_MS) / 1000));
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
