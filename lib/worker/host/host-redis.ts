/**
 * The host's own Redis connection: recovery, heartbeats and the start-up check. At start it is
 * tried for REDIS_STARTUP_TIMEOUT seconds (a Redis that never answers in that window is a one-line
 * error), then it retries for ever, so the host rides out any later outage.
 */
import type { RedisOptions } from 'ioredis';
import { RedisUnreachableError } from '../../errors/redis-unreachable.error.js';
import { createClient, describeOptions, RETRY_FOREVER, type ConnectOptions, type RedisClient } from '../../redis/connection.js';
import type { EnvConnection } from '../../redis/redis-env.js';
import { parseRedisUrl } from '../../redis/redis-url.js';

/** Options from a URL, without connecting; a malformed one is an InvalidRedisUrlError naming `setting`, password redacted. */
export function optionsFromUrl(url: string, setting: string): RedisOptions {
  return parseRedisUrl(url, setting);
}

/**
 * The environment (REDIS_CLUSTER, REDIS_SENTINELS or REDIS_URL: lib/redis/redis-env.ts), else
 * runWorker's `redis`, else the connection the application module configured (told by the first
 * child). A `rediss://` URL says "TLS" but cannot carry a CA or a client certificate: it keeps the
 * module's TLS options.
 */
export function chooseHostRedisOptions(fromEnv: EnvConnection | undefined, explicit: string | ConnectOptions | undefined, fromChild: ConnectOptions): ConnectOptions {
  const url: ConnectOptions | undefined = fromEnv
    ? { ...fromEnv.options }
    : typeof explicit === 'string'
      ? optionsFromUrl(explicit, "runWorker's redis option")
      : undefined;
  if (!url) return typeof explicit === 'object' ? explicit : fromChild;
  if (url.tls && typeof fromChild.tls === 'object') url.tls = { ...fromChild.tls, ...url.tls };
  return url;
}

export interface ConnectHostRedisOptions {
  /** How long to keep trying before giving up (REDIS_STARTUP_TIMEOUT): a Redis restarting as the host starts is waited for. */
  readonly windowMs: number;
  /** Stops trying (a QUIT or TERM during start-up): resolves undefined. */
  readonly signal?: AbortSignal;
  /** Called once, at the first failed try. */
  readonly onWaiting?: (reason: string) => void;
}

/**
 * Checks Redis answers (PING), retrying for `windowMs`, then returns the host's connection, which
 * retries for ever. Only a Redis that never answered within the window is a RedisUnreachableError.
 */
export async function connectHostRedis(options: ConnectOptions, settingName: string, connect: ConnectHostRedisOptions): Promise<RedisClient | undefined> {
  const where = options.cluster || options.sentinels ? describeOptions(options) : (options.path ?? `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`);
  const deadline = Date.now() + connect.windowMs;
  for (let attempt = 1; ; attempt++) {
    const failure = await probe(options, Math.max(500, Math.min(5_000, deadline - Date.now())));
    if (failure === undefined) break;
    if (connect.signal?.aborted) return undefined;
    if (Date.now() >= deadline) {
      throw new RedisUnreachableError(`cannot reach Redis at ${where} (${settingName}) within ${connect.windowMs / 1000} s: ${failure}`);
    }
    if (attempt === 1) connect.onWaiting?.(`Redis at ${where} (${settingName}) not reachable yet (${failure}); retrying for up to ${connect.windowMs / 1000} s`);
    if (!(await pause(Math.min(250 * attempt, 1_000, Math.max(0, deadline - Date.now())), connect.signal))) return undefined;
  }
  // Never ioredis' failover detector on a connection that must outlive failovers (connection.ts).
  const client = createClient(options, options.sentinels ? { ...RETRY_FOREVER, failoverDetector: false } : RETRY_FOREVER);
  client.on('error', () => undefined); // reconnects by itself; errors surface where commands wait
  return client;
}

/** One connect + PING; the reason it failed, or undefined when Redis answered. */
async function probe(options: ConnectOptions, timeoutMs: number): Promise<string | undefined> {
  // A cluster answers once it has the slot map from a seed node (ioredis' connect() waits for that).
  // sentinelRetryStrategy: with Sentinel, one pass over the sentinels, not ioredis' endless retries.
  const client = createClient(options, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, sentinelRetryStrategy: () => null, connectTimeout: timeoutMs });
  // Without a listener ioredis prints "[ioredis] Unhandled error event" and its stack to stderr;
  // the socket's error (ECONNREFUSED...) is also the useful reason, connect() only says "Connection is closed."
  let cause: Error | undefined;
  client.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    // Bounded: a cluster whose primary died while we connected can leave connect() pending for ever
    // (the slot map names the dead node; ioredis' ready check then reconnects without settling it).
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([client.connect().then(() => client.ping()), late]).finally(() => clearTimeout(timer));
    return undefined;
  } catch (error) {
    return (cause ?? (error as Error)).message;
  } finally {
    client.disconnect();
  }
}

/** Waits `ms`; false if `signal` aborted first. */
function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
