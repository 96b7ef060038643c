/**
 * What Prometheus gauges read from Redis at scrape time, the same for the worker host and the app:
 * queue depth and latency per queue, delayed and retrying counts, and registered workers busy or idle
 * (every implementation's: PHP, Ruby and node workers register in the same set). One pipelined round
 * trip per step, whatever the number of queues. Everything read is untrusted.
 */
import type { RedisClient } from '../redis/connection.js';
import type { ResqueKeys } from '../protocol/keys.js';

export interface QueueSnapshot {
  readonly name: string;
  readonly depth: number;
  /** Seconds since the oldest waiting job was enqueued (its `queue_time`); 0 when empty or unknown. */
  readonly latency: number;
}

export interface RedisSnapshot {
  readonly queues: readonly QueueSnapshot[];
  readonly delayed: number;
  readonly retrying: number;
  readonly workersBusy: number;
  readonly workersIdle: number;
}

/** Reads every queue's head; a payload past this size is not parsed for its queue_time (latency 0). */
const MAX_HEAD_BYTES = 1 << 20;

export async function readRedisSnapshot(redis: RedisClient, keys: ResqueKeys, now: () => number = Date.now): Promise<RedisSnapshot> {
  const first = await redis
    .pipeline()
    .smembers(keys.queues)
    .zrange(keys.delayedSchedule, '0', '-1')
    .zcard(keys.retrying)
    .smembers(keys.workers)
    .exec();
  const queueNames = strings(first?.[0]);
  const seconds = strings(first?.[1]);
  const retrying = Number(first?.[2]?.[1] ?? 0);
  const workers = strings(first?.[3]);

  const second = redis.pipeline();
  for (const name of queueNames) second.llen(keys.queue(name)).lindex(keys.queue(name), 0);
  // resque-scheduler's layout: the schedule holds due seconds, each second a list of items.
  for (const s of seconds) if (/^\d+$/.test(s)) second.llen(keys.delayed(Number(s)));
  for (const id of workers) second.exists(keys.worker(id));
  const replies = (await second.exec()) ?? [];

  const nowSeconds = now() / 1000;
  let at = 0;
  const queues: QueueSnapshot[] = [];
  for (const name of queueNames) {
    const depth = Number(replies[at++]?.[1] ?? 0);
    const head = replies[at++]?.[1];
    queues.push({ name, depth, latency: depth > 0 ? latencyOf(head, nowSeconds) : 0 });
  }
  let delayed = 0;
  for (const s of seconds) if (/^\d+$/.test(s)) delayed += Number(replies[at++]?.[1] ?? 0);
  let workersBusy = 0;
  for (let i = 0; i < workers.length; i++) if (Number(replies[at++]?.[1] ?? 0) > 0) workersBusy++;
  queues.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { queues, delayed, retrying: Number.isFinite(retrying) ? retrying : 0, workersBusy, workersIdle: workers.length - workersBusy };
}

/** The age of a payload from php-resque's (and ours) `queue_time`, float epoch seconds; Ruby's payloads have none. */
export function latencyOf(head: unknown, nowSeconds: number): number {
  if (typeof head !== 'string' || head.length > MAX_HEAD_BYTES) return 0;
  try {
    const queueTime = (JSON.parse(head) as { queue_time?: unknown })?.queue_time;
    if (typeof queueTime !== 'number' || !Number.isFinite(queueTime)) return 0;
    return Math.max(0, nowSeconds - queueTime);
  } catch {
    return 0;
  }
}

function strings(reply: [Error | null, unknown] | undefined): string[] {
  const value = reply?.[1];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
