/**
 * The CLI's Redis: REDIS_URL and PREFIX read as the worker reads them (lib/redis's URL parsing, so a
 * password never reaches a message: redactUrl), one attempt to connect, and a PING within a few
 * seconds, so an unreachable Redis is one line and exit 1 instead of ioredis retrying for ever.
 */
import { Redis } from 'ioredis';
import { RedisUnreachableError } from '../errors/redis-unreachable.error.js';
import { ResqueKeys } from '../protocol/keys.js';
import { parseRedisUrl, redactUrl } from '../redis/redis-url.js';

export interface CliConnection {
  readonly redis: Redis;
  readonly keys: ResqueKeys;
  /** The URL for messages, credentials replaced. */
  readonly shownUrl: string;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';

export async function openCliConnection(env: NodeJS.ProcessEnv, timeoutMs = 3_000): Promise<CliConnection> {
  const url = env.REDIS_URL ?? DEFAULT_URL;
  const options = parseRedisUrl(url, 'REDIS_URL');
  const shownUrl = redactUrl(url);
  const redis = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null, // one attempt: a command-line tool reports, it does not wait
  });
  let reason = '';
  redis.on('error', (error: Error) => {
    reason ||= error.message;
  });
  try {
    await bounded(redis.connect().then(() => redis.ping()), timeoutMs);
  } catch (error) {
    redis.disconnect();
    // ioredis' messages name host and port, never the password; the URL is shown redacted.
    throw new RedisUnreachableError(`Redis at ${shownUrl} (REDIS_URL) unreachable: ${reason || (error as Error).message}`);
  }
  return { redis, keys: new ResqueKeys(env.PREFIX ?? 'resque'), shownUrl };
}

function bounded<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
