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
  return { client: new Redis({ ...NO_INFO_READY_CHECK, ...options, ...overrides }), owned: true };
}

/**
 * ioredis' ready check sends INFO, which a least-privilege ACL user lacks (ioredis then warns on
 * every connection). Without it a command sent while Redis loads its data after a restart gets a
 * LOADING error, which workers retry like any outage. The application's own options win.
 */
export const NO_INFO_READY_CHECK: RedisOptions = { enableReadyCheck: false };

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

/** A Buffer as it crosses the JSON IPC channel: its bytes in base64 under a tag no TLS option uses. */
export interface PortableBuffer {
  readonly $buffer: string;
}

/** What crosses IPC inside `tls`: JSON values, with Buffers (ca, key, cert, pfx) tagged. */
export type PortableValue = string | number | boolean | null | PortableBuffer | readonly PortableValue[] | { readonly [key: string]: PortableValue };

/** The connection settings a child and its host exchange; `fromPortable` turns them back into ioredis options. */
export interface PortableRedisOptions {
  readonly host?: string;
  readonly port?: number;
  readonly db?: number;
  readonly family?: number;
  readonly path?: string;
  readonly username?: string;
  readonly password?: string;
  readonly protocol?: RedisOptions['protocol'];
  readonly tls?: { readonly [key: string]: PortableValue };
}

/**
 * The serialisable part of a client's options, sent from a worker child to its host (and back in
 * `start`) so the host reaches the same Redis the application configured, perhaps through
 * ConfigService. TLS Buffers keep their bytes; functions (checkServerIdentity...) cannot cross a
 * process and are left out.
 */
export function portableOptions(client: Redis): PortableRedisOptions {
  return toPortable(client.options);
}

export function toPortable(o: RedisOptions): PortableRedisOptions {
  const portable: { -readonly [K in keyof PortableRedisOptions]: PortableRedisOptions[K] } = { host: o.host, port: o.port, db: o.db, family: o.family };
  if (o.path) portable.path = o.path;
  if (o.username) portable.username = o.username;
  if (o.password) portable.password = o.password;
  if (o.protocol) portable.protocol = o.protocol;
  if (o.tls) portable.tls = encode(o.tls) as { [key: string]: PortableValue };
  return portable;
}

export function fromPortable(portable: PortableRedisOptions): RedisOptions {
  const { tls, ...rest } = portable;
  const options: RedisOptions = { ...rest };
  if (tls) options.tls = decode(tls) as RedisOptions['tls'];
  return options;
}

function encode(value: unknown): PortableValue | undefined {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { $buffer: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map((item) => encode(item) ?? null);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'object') return undefined; // functions, symbols, undefined
  const out: { [key: string]: PortableValue } = {};
  for (const [key, item] of Object.entries(value)) {
    const encoded = encode(item);
    if (encoded !== undefined) out[key] = encoded;
  }
  return out;
}

function decode(value: PortableValue): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value === null || typeof value !== 'object') return value;
  const record = value as { readonly [key: string]: PortableValue };
  if (typeof record.$buffer === 'string' && Object.keys(record).length === 1) return Buffer.from(record.$buffer, 'base64');
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, decode(item)]));
}
