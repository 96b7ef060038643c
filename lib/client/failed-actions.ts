/**
 * Retry or remove failure records: given ones (by index and digest), or every record matching a
 * filter (a sweep over the whole list in chunks, reporting progress, stoppable). Each chunk is one
 * atomic act-on-failed.lua call that acts only on records still at their index, so concurrent
 * removals elsewhere never make us act on the wrong record. Retrying pushes the record's payload
 * bytes back onto its queue and removes the record (Sidekiq's retry; Ruby's requeue keeps the
 * record marked retried_at: see ResqueClient.retryFailed).
 */
import { randomBytes } from 'node:crypto';
import { actOnFailedScript } from '../protocol/scripts/lua.generated.js';
import { retryTarget } from '../protocol/records.js';
import { isValidQueueName } from '../protocol/queue-name.js';
import { runScript } from '../redis/scripts.js';
import { digestOf, matcher, type FailedFilter } from './failed-records.js';
import type { ResqueClient } from './resque-client.js';

export type FailedAction = 'retry' | 'remove';

export interface FailedTarget {
  readonly index: number;
  readonly digest: string;
}

export interface FailedActionResult {
  /** Records removed (and, for retry, their jobs queued). */
  readonly acted: number;
  /** Records no longer at their index (the list changed since it was read): left alone. */
  readonly changed: number;
  /** Records that cannot be retried (no queue or no job payload in them): left in the list. */
  readonly unretryable: number;
}

export interface SweepProgress extends FailedActionResult {
  /** Records looked at so far. */
  readonly scanned: number;
  /** The list's length when the sweep started. */
  readonly total: number;
}

/** Records per script call and per read. */
export const SWEEP_CHUNK = 1000;

/** Acts on the given records. */
export async function actOnFailed(client: ResqueClient, action: FailedAction, targets: readonly FailedTarget[]): Promise<FailedActionResult> {
  const { redis, keys } = client;
  let acted = 0;
  let changed = 0;
  let unretryable = 0;
  for (let first = 0; first < targets.length; first += SWEEP_CHUNK) {
    const chunk = targets.slice(first, first + SWEEP_CHUNK);
    const pipeline = redis.pipeline();
    for (const target of chunk) pipeline.lindexBuffer(keys.failed, target.index);
    const replies = await client.call('failed', false, async () => (await pipeline.exec()) ?? []);
    const records: Array<{ index: number; bytes: Buffer }> = [];
    chunk.forEach((target, i) => {
      const bytes = replies[i]?.[1];
      if (Buffer.isBuffer(bytes) && digestOf(bytes) === target.digest) records.push({ index: target.index, bytes });
      else changed++;
    });
    const result = await actOnRecords(client, action, records);
    acted += result.acted;
    changed += result.changed;
    unretryable += result.unretryable;
  }
  return { acted, changed, unretryable };
}

/**
 * Every record matching `filter` (all when it is null), from the head of the list to the end as it
 * was when the sweep started. `onProgress` is called after each chunk; `signal` stops between chunks.
 */
export async function sweepFailed(
  client: ResqueClient,
  action: FailedAction,
  filter: FailedFilter | null,
  onProgress: (progress: SweepProgress) => void = () => undefined,
  signal?: AbortSignal,
): Promise<SweepProgress> {
  const { redis, keys } = client;
  const match = filter ? matcher(filter) : () => true;
  const total = await client.call('failedCount', false, () => redis.llen(keys.failed));
  let cursor = 0;
  let progress: SweepProgress = { scanned: 0, total, acted: 0, changed: 0, unretryable: 0 };
  while (progress.scanned < total && !signal?.aborted) {
    const count = Math.min(SWEEP_CHUNK, total - progress.scanned);
    const stored = await client.call('failed', false, () => redis.lrangeBuffer(keys.failed, cursor, cursor + count - 1));
    if (stored.length === 0) break;
    const records = stored.map((bytes, i) => ({ index: cursor + i, bytes })).filter((record) => match(record.bytes.toString('utf8')));
    const result = await actOnRecords(client, action, records);
    // Removed records were all in this chunk: the next unread record moved up by that many.
    cursor += stored.length - result.acted;
    progress = {
      scanned: progress.scanned + stored.length,
      total,
      acted: progress.acted + result.acted,
      changed: progress.changed + result.changed,
      unretryable: progress.unretryable + result.unretryable,
    };
    onProgress(progress);
  }
  return progress;
}

async function actOnRecords(client: ResqueClient, action: FailedAction, records: ReadonlyArray<{ index: number; bytes: Buffer }>): Promise<FailedActionResult> {
  if (records.length === 0) return { acted: 0, changed: 0, unretryable: 0 };
  const { redis, keys } = client;
  const args: string[] = [];
  let unretryable = 0;
  for (const { index, bytes } of records) {
    if (action === 'remove') {
      args.push(String(index), digestOf(bytes), '', '');
      continue;
    }
    const target = retryTarget(bytes.toString('utf8'));
    if ('problem' in target || !isValidQueueName(target.queue)) {
      unretryable++;
      continue;
    }
    args.push(String(index), digestOf(bytes), target.queue, target.payload);
  }
  if (args.length === 0) return { acted: 0, changed: 0, unretryable };
  const tombstone = `\u0000nestjs-resque:removed:${randomBytes(12).toString('hex')}`;
  const reply = await client.call(action === 'retry' ? 'retryFailed' : 'removeFailed', true, () =>
    runScript(redis, actOnFailedScript, [keys.failed, keys.queues], [action, keys.queuePrefix, keys.wake, tombstone, ...args]),
  );
  const [acted, changed] = reply as [number, number];
  return { acted: Number(acted), changed: Number(changed), unretryable };
}
