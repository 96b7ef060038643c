/**
 * Steering a queue's waiting jobs (the dashboard's queue actions): list a page of them with the
 * sha1 of each job's bytes, remove one only while it is still the same job at the same position
 * (remove-queued.lua), or clear a queue (its list deleted and its name taken from `queues`, in one
 * MULTI, so a job pushed meanwhile is either deleted with it or starts the queue afresh).
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { decodePayload } from '../protocol/payload.js';
import { removeQueuedScript } from '../protocol/scripts/lua.generated.js';
import { runScript } from '../redis/scripts.js';
import { digestOf } from './failed-records.js';
import type { PeekedJob, ResqueClient } from './resque-client.js';

export interface QueuedEntry extends PeekedJob {
  /** Position in the queue (0 runs next). */
  readonly index: number;
  /** sha1 of the stored bytes, hex: what removeQueued checks. */
  readonly digest: string;
}

/** `count` waiting jobs from position `start`, each with its digest. */
export function queuedEntries(client: ResqueClient, queue: string, start: number, count: number): Promise<QueuedEntry[]> {
  const { redis, keys } = client;
  return client.call('peek', false, async () => {
    const stored = await redis.lrangeBuffer(keys.queue(queue), start, start + count - 1);
    return stored.map((bytes, i) => {
      const raw = bytes.toString('utf8');
      const decoded = decodePayload(raw, isUtf8(bytes));
      return { index: start + i, raw, payload: decoded.ok ? decoded.payload : null, digest: digestOf(bytes) };
    });
  });
}

/** Removes the job at `index` if its bytes still have `digest`; false when the queue changed there. */
export async function removeQueued(client: ResqueClient, queue: string, index: number, digest: string): Promise<boolean> {
  const { redis, keys } = client;
  const tombstone = `\u0000nestjs-resque:removed:${randomBytes(12).toString('hex')}`;
  const reply = await client.call('removeQueued', true, () => runScript(redis, removeQueuedScript, [keys.queue(queue)], [index, digest, tombstone]));
  return Number(reply) === 1;
}

/** Deletes a queue's waiting jobs and its name from `queues`; returns how many jobs were deleted. */
export async function clearQueue(client: ResqueClient, queue: string): Promise<number> {
  const { redis, keys } = client;
  const replies = await client.call('clearQueue', true, () => redis.multi().llen(keys.queue(queue)).del(keys.queue(queue)).srem(keys.queues, queue).exec());
  const [length] = replies ?? [];
  if (length?.[0]) throw length[0];
  return Number(length?.[1] ?? 0);
}
