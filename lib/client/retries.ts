/**
 * Jobs waiting to be retried (written by the worker's retry.lua): what failed, which attempt,
 * when the next one is due. Oldest due first, paged.
 */
import type { ResqueClient } from './resque-client.js';

/** @publicApi */
export interface RetryingJob {
  /** sha1 of class and args: the key attempts are counted under. */
  readonly key: string;
  readonly queue: string;
  readonly className: string;
  readonly id: string | null;
  /** Attempts that failed so far. */
  readonly failedAttempts: number;
  /** Attempts allowed in all. */
  readonly attempts: number;
  readonly exception: string;
  readonly error: string;
  readonly failedAt: Date;
  /** When the next attempt is due to be queued. */
  readonly next: Date;
}

export async function listRetrying(client: ResqueClient, start = 0, count = 50): Promise<RetryingJob[]> {
  return client.call('retrying', false, async () => {
    const { redis, keys } = client;
    const flat = await redis.zrange(keys.retrying, String(start), String(start + count - 1), 'WITHSCORES');
    const digests = flat.filter((_, i) => i % 2 === 0);
    if (digests.length === 0) return [];
    const infos = await redis.hmget(keys.retryInfo, ...digests);
    const out: RetryingJob[] = [];
    digests.forEach((key, i) => {
      const info = parse(infos[i]);
      if (!info) return;
      out.push({
        key,
        queue: String(info.queue ?? ''),
        className: String(info.class ?? ''),
        id: typeof info.id === 'string' ? info.id : null,
        failedAttempts: Number(info.attempt ?? 0),
        attempts: Number(info.attempts ?? 0),
        exception: String(info.exception ?? ''),
        error: String(info.error ?? ''),
        failedAt: new Date(Number(info.at ?? 0) * 1000),
        next: new Date(Number(flat[i * 2 + 1]) * 1000),
      });
    });
    return out;
  });
}

function parse(raw: string | null): Record<string, unknown> | undefined {
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** How many jobs wait to be retried (ZCARD). */
export function retryingCount(client: ResqueClient): Promise<number> {
  return client.call('retryingCount', false, () => client.redis.zcard(client.keys.retrying));
}
