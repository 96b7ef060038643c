/**
 * Every queue with its size, the age of its oldest job and whether it is paused, in two pipelined
 * round trips whatever the number of queues or jobs (SMEMBERS, then LLEN + LINDEX 0 per queue): no
 * scan of a queue.
 * The age comes from the head payload's `queue_time` (written by us and php-resque); Ruby's and
 * node-resque's payloads have none, so their age is unknown (null).
 */
import type { ResqueClient } from './resque-client.js';

export interface QueueSummary {
  readonly name: string;
  readonly size: number;
  /** When the job that runs next was enqueued; null when the queue is empty or its payload says not. */
  readonly oldestQueuedAt: Date | null;
  /** In the paused-queues set: our workers take no jobs from it (other Resques do not know the set). */
  readonly paused: boolean;
}

/** A head payload past this size is not parsed for its queue_time. */
const MAX_HEAD_CHARS = 1 << 20;

export function queueOverview(client: ResqueClient): Promise<QueueSummary[]> {
  const { redis, keys } = client;
  return client.call('queueOverview', false, async () => {
    const [[, listed], [, pausedNames]] = ((await redis.pipeline().smembers(keys.queues).smembers(keys.pausedQueues).exec()) ?? []) as Array<[Error | null, string[]]>;
    const names = (listed ?? []).sort();
    const paused = new Set(pausedNames ?? []);
    if (names.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const name of names) pipeline.llen(keys.queue(name)).lindex(keys.queue(name), 0);
    const replies = (await pipeline.exec()) ?? [];
    return names.map((name, i) => {
      const size = Number(replies[i * 2]?.[1] ?? 0);
      const head = replies[i * 2 + 1]?.[1];
      return { name, size, oldestQueuedAt: size > 0 ? queueTimeOf(head) : null, paused: paused.has(name) };
    });
  });
}

/** php-resque's `queue_time` (float epoch seconds) of a raw payload, or null. */
export function queueTimeOf(raw: unknown): Date | null {
  if (typeof raw !== 'string' || raw.length > MAX_HEAD_CHARS) return null;
  try {
    const value = (JSON.parse(raw) as { queue_time?: unknown } | null)?.queue_time;
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? new Date(value * 1000) : null;
  } catch {
    return null;
  }
}

/** Ruby's global pause (`pause-all-workers`, set by `nestjs-resque pause` or Ruby's tooling): Ruby's workers and ours take no new jobs. */
export async function allWorkersPaused(client: ResqueClient): Promise<boolean> {
  return (await client.call('pauseAllWorkers', false, () => client.redis.exists(client.keys.pauseAllWorkers))) === 1;
}
