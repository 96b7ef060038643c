/**
 * The host's own Redis connection: recovery, heartbeats and the start-up check. It is checked
 * once at start (an unreachable Redis is a one-line error), then retries for ever, so the host
 * rides out an outage.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { RedisUnreachableError } from '../../errors/redis-unreachable.error.js';
import { RETRY_FOREVER } from '../../redis/connection.js';

/** Options from a URL, without connecting: what `new Redis(url)` would use. */
export function optionsFromUrl(url: string): RedisOptions {
  const probe = new Redis(url, { lazyConnect: true });
  const { host, port, db, username, password, tls, path, family } = probe.options;
  probe.disconnect();
  const options: RedisOptions = { host, port, db, family };
  if (path) options.path = path;
  if (username) options.username = username;
  if (password) options.password = password;
  if (tls) options.tls = tls;
  return options;
}

export async function connectHostRedis(options: RedisOptions, settingName: string, timeoutMs = 5_000): Promise<Redis> {
  const where = options.path ?? `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
  const probe = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  // Without a listener ioredis prints "[ioredis] Unhandled error event" and its stack to stderr;
  // the socket's error (ECONNREFUSED...) is also the useful reason, connect() only says "Connection is closed."
  let cause: Error | undefined;
  probe.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new RedisUnreachableError(`cannot reach Redis at ${where} (${settingName}): ${(cause ?? (error as Error)).message}`);
  } finally {
    probe.disconnect();
  }
  const client = new Redis({ ...options, ...RETRY_FOREVER });
  client.on('error', () => undefined); // reconnects by itself; errors surface where commands wait
  return client;
}
