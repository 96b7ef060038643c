/**
 * The checks behind the terminus indicator, without Nest or terminus: each reads Redis (bounded by a
 * timeout) and says whether it is healthy and what it saw. Everything read from Redis is untrusted.
 */
import type { RedisClient } from '../redis/connection.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { parseWorkerId } from '../protocol/worker-id.js';
import { readRedisSnapshot } from '../metrics/redis-snapshot.js';

export interface CheckOutcome {
  readonly healthy: boolean;
  readonly data: Record<string, unknown>;
}

/** Rejects with `what timed out after N ms` when `work` takes longer. */
export async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** PING, with its round trip in ms. */
export async function checkRedis(redis: RedisClient, timeoutMs: number): Promise<CheckOutcome> {
  const started = performance.now();
  try {
    await bounded(redis.ping(), timeoutMs, 'PING');
    return { healthy: true, data: { latencyMs: round(performance.now() - started) } };
  } catch (error) {
    return { healthy: false, data: { message: `Redis unreachable: ${(error as Error).message}` } };
  }
}

export interface WorkersCheckOptions {
  /** Every one of these queues needs a live worker (one listening on it, or on `*`). */
  readonly queues: readonly string[];
  /** A heartbeat older than this is not alive (default 30 s, the workers' DEAD_AFTER). */
  readonly maxAgeSeconds?: number;
  /** Live workers each queue needs (default 1). */
  readonly min?: number;
}

/**
 * Live workers per queue, from heartbeats judged on Redis' clock: ours in `workers:alive` (ms), and
 * Ruby's `workers:heartbeat` (ISO times; resque 2 and node-resque write it) for other implementations.
 */
export async function checkWorkers(redis: RedisClient, keys: ResqueKeys, options: WorkersCheckOptions, timeoutMs: number): Promise<CheckOutcome> {
  const maxAgeMs = (options.maxAgeSeconds ?? 30) * 1000;
  const min = options.min ?? 1;
  try {
    const replies = await bounded(redis.pipeline().time().zrangebyscore(keys.alive, '-inf', '+inf', 'WITHSCORES').hgetall(keys.heartbeats).exec(), timeoutMs, 'reading heartbeats');
    const [seconds, micros] = (replies?.[0]?.[1] as [string, string] | undefined) ?? ['0', '0'];
    const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const fresh = new Set<string>();
    const alive = (replies?.[1]?.[1] as string[] | undefined) ?? [];
    for (let i = 0; i + 1 < alive.length; i += 2) if (nowMs - Number(alive[i + 1]) <= maxAgeMs) fresh.add(alive[i]!);
    const heartbeats = (replies?.[2]?.[1] as Record<string, string> | undefined) ?? {};
    for (const [id, iso] of Object.entries(heartbeats)) {
      const at = Date.parse(iso);
      if (Number.isFinite(at) && nowMs - at <= maxAgeMs) fresh.add(id);
    }
    const perQueue: Record<string, number> = {};
    for (const queue of options.queues) perQueue[queue] = 0;
    for (const id of fresh) {
      const queues = parseWorkerId(id)?.queues ?? [];
      for (const queue of options.queues) if (queues.includes(queue) || queues.includes('*')) perQueue[queue]!++;
    }
    const missing = options.queues.filter((queue) => perQueue[queue]! < min);
    return missing.length === 0
      ? { healthy: true, data: { workers: perQueue } }
      : { healthy: false, data: { workers: perQueue, message: `fewer than ${min} live worker(s) for ${missing.map((q) => JSON.stringify(q)).join(', ')}` } };
  } catch (error) {
    return { healthy: false, data: { message: (error as Error).message } };
  }
}

export interface LatencyCheckOptions {
  /** The oldest waiting job of a queue may be at most this old. */
  readonly maxSeconds: number;
  /** The queues to judge (default: every queue in the `queues` set). */
  readonly queues?: readonly string[];
}

/** Age of each queue's oldest job (its queue_time) against a threshold. */
export async function checkLatency(redis: RedisClient, keys: ResqueKeys, options: LatencyCheckOptions, timeoutMs: number): Promise<CheckOutcome> {
  try {
    const snapshot = await bounded(readRedisSnapshot(redis, keys), timeoutMs, 'reading the queues');
    const wanted = options.queues ? new Set(options.queues) : undefined;
    const latency: Record<string, number> = {};
    for (const queue of options.queues ?? []) latency[queue] = 0;
    for (const q of snapshot.queues) if (!wanted || wanted.has(q.name)) latency[q.name] = round(q.latency);
    const slow = Object.entries(latency).filter(([, seconds]) => seconds > options.maxSeconds).map(([queue]) => queue);
    return slow.length === 0
      ? { healthy: true, data: { latencySeconds: latency } }
      : { healthy: false, data: { latencySeconds: latency, message: `oldest job older than ${options.maxSeconds} s in ${slow.map((q) => JSON.stringify(q)).join(', ')}` } };
  } catch (error) {
    return { healthy: false, data: { message: (error as Error).message } };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
