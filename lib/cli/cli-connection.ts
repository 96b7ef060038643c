/**
 * The CLI's Redis: REDIS_URL (or REDIS_CLUSTER, or REDIS_SENTINELS + REDIS_SENTINEL_NAME) and PREFIX read as the worker reads them (lib/redis's URL parsing, so a
 * password never reaches a message: redactUrl), one attempt to connect, and a PING within a few
 * seconds, so an unreachable Redis is one line and exit 1 instead of ioredis retrying for ever.
 */
import { RedisUnreachableError } from '../errors/redis-unreachable.error.js';
import { ResqueKeys } from '../protocol/keys.js';
import { parseClusterNodes } from '../redis/cluster-connection.js';
import { resolvePrefix } from '../redis/cluster-prefix.js';
import { createClient, describeOptions, type RedisClient } from '../redis/connection.js';
import { connectionFromEnv } from '../redis/redis-env.js';
import { parseRedisUrl, redactUrl } from '../redis/redis-url.js';

export interface CliConnection {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  /** The URL (or REDIS_CLUSTER's nodes) for messages, credentials replaced. */
  readonly shownUrl: string;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';

export async function openCliConnection(env: NodeJS.ProcessEnv, timeoutMs = 3_000): Promise<CliConnection> {
  const cluster = env.REDIS_CLUSTER ? env.REDIS_CLUSTER : undefined;
  const url = env.REDIS_URL ?? DEFAULT_URL;
  const sentinels = cluster ? undefined : connectionFromEnv(env);
  const viaSentinels = sentinels?.setting === 'REDIS_SENTINELS' ? sentinels.options : undefined;
  const setting = cluster ? 'REDIS_CLUSTER' : viaSentinels ? 'REDIS_SENTINELS' : 'REDIS_URL';
  const options = cluster ? parseClusterNodes(cluster, 'REDIS_CLUSTER') : (viaSentinels ?? parseRedisUrl(url, 'REDIS_URL'));
  const shownUrl = cluster
    ? cluster.split(',').map((entry) => (/@/.test(entry) ? redactUrl(entry.trim()) : entry.trim())).join(',')
    : viaSentinels
      ? describeOptions(viaSentinels)
      : redactUrl(url);
  // Before connecting: an untagged PREFIX on a cluster is a one-line error (UntaggedClusterPrefixError).
  const keys = new ResqueKeys(resolvePrefix(env.PREFIX, cluster !== undefined, 'PREFIX'));
  const redis = createClient(options, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null, // one attempt: a command-line tool reports, it does not wait
    sentinelRetryStrategy: () => null, // with Sentinel, one pass over the sentinels
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
    throw new RedisUnreachableError(`Redis at ${shownUrl} (${setting}) unreachable: ${reason || (error as Error).message}`);
  }
  return { redis, keys, shownUrl };
}

function bounded<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
