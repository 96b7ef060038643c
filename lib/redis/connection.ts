/**
 * Redis connections. `connection` may be a URL (`redis://`, `rediss://` for TLS, with user and
 * password), ioredis options (host, port, username, password, tls, db...), or an existing client,
 * which we use but never close.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './redis-url.js';

export type ResqueConnection = string | RedisOptions | Redis;

export interface OwnedRedis {
  readonly client: Redis;
  /** False for a client the application passed in: we must not quit it. */
  readonly owned: boolean;
}

/**
 * A URL is parsed by us, never by ioredis (see redis-url.ts); `setting` names where it came from
 * in the error a malformed one gives.
 */
export function connect(connection: ResqueConnection | undefined, overrides: RedisOptions = {}, setting = "ResqueModule's connection"): OwnedRedis {
  if (connection instanceof Redis) {
    return { client: connection, owned: false };
  }
  const options = typeof connection === 'string' ? parseRedisUrl(connection, setting) : (connection ?? {});
  return { client: new Redis({ ...options, ...overrides }), owned: true };
}

/**
 * Worker connections outlive Redis outages: a command waits for the reconnect and is retried,
 * never failed (the worker loop re-sends acknowledgements; producers fail fast instead).
 */
export const RETRY_FOREVER: RedisOptions = { maxRetriesPerRequest: null, enableOfflineQueue: true };

/**
 * A worker's own connection with the settings of `client` (the application's), retrying forever.
 * Its errors go to `onError` (ioredis prints "Unhandled error event" for a client without a listener).
 */
export function workerConnection(client: Redis, onError: (error: Error) => void, overrides: RedisOptions = {}): Redis {
  const connection = client.duplicate({ ...RETRY_FOREVER, ...overrides });
  connection.on('error', onError);
  return connection;
}

export async function close(redis: OwnedRedis): Promise<void> {
  if (!redis.owned) return;
  await quietly(redis.client);
}

export async function quietly(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}

/** Host, port and db for log lines: never the password. */
export function describe(client: Redis): string {
  const { host, port, db, path } = client.options;
  return path ? `${path}/${db ?? 0}` : `${host}:${port}/${db ?? 0}`;
}

/**
 * The plain, serialisable subset of a client's options, sent from a worker child to its host so
 * the host reaches the same Redis the application configured (perhaps through ConfigService).
 */
export function portableOptions(client: Redis): RedisOptions {
  const o = client.options;
  const portable: RedisOptions = { host: o.host, port: o.port, db: o.db, family: o.family };
  if (o.path) portable.path = o.path;
  if (o.username) portable.username = o.username;
  if (o.password) portable.password = o.password;
  if (o.tls) portable.tls = JSON.parse(JSON.stringify(o.tls)) as RedisOptions['tls'];
  if (o.protocol) portable.protocol = o.protocol;
  return portable;
}
