/**
 * Redis connections. `connection` may be a URL (`redis://`, `rediss://` for TLS, with user and
 * password), ioredis options (host, port, username, password, tls, db..., or `sentinels` + `name`
 * for Redis Sentinel), an existing client
 * (Redis or Cluster), which we use but never close, or a Redis Cluster's seed nodes
 * (`{ cluster: [{ host, port }, ...], options? }`, see cluster-connection.ts).
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './redis-url.js';
import { clusterOptionsFrom, isClusterConnection, seedNodesOf, type ClusterConnection, type NodeAddress } from './cluster-connection.js';
import { describeSentinels } from './redis-sentinels.js';

/** Either kind of ioredis client: every command this library sends works on both (keys in one slot, see keys.ts). */
export type RedisClient = Redis | Cluster;

export type ResqueConnection = string | RedisOptions | RedisClient | ClusterConnection;

/**
 * Where to connect as plain data: ioredis options for one Redis or, with `cluster`, a cluster's
 * seed nodes (host, port and db are then ignored; the rest, user, password, TLS, applies to every node).
 */
export type ConnectOptions = RedisOptions & { readonly cluster?: readonly NodeAddress[] };

export interface OwnedRedis {
  readonly client: RedisClient;
  /** False for a client the application passed in: we must not quit it. */
  readonly owned: boolean;
}

/**
 * A URL is parsed by us, never by ioredis (see redis-url.ts); `setting` names where it came from
 * in the error a malformed one gives.
 */
export function connect(connection: ResqueConnection | undefined, overrides: RedisOptions = {}, setting = "ResqueModule's connection"): OwnedRedis {
  if (connection instanceof Redis || connection instanceof Cluster) {
    return { client: connection, owned: false };
  }
  if (isClusterConnection(connection)) {
    // The application's cluster options win over our defaults, as its Redis options do.
    const ours = clusterOptionsFrom(overrides);
    const theirs = connection.options ?? {};
    const options: ClusterOptions = { ...ours, ...theirs, redisOptions: { ...ours.redisOptions, ...theirs.redisOptions } };
    return { client: new Cluster([...connection.cluster], options), owned: true };
  }
  const options = typeof connection === 'string' ? parseRedisUrl(connection, setting) : (connection ?? {});
  return { client: new Redis(withFailoverDefaults({ ...NO_INFO_READY_CHECK, ...options, ...overrides })), owned: true };
}

/**
 * A primary demoted to a replica (a Sentinel failover, REPLICAOF) answers writes with READONLY and
 * ends blocking reads with UNBLOCKED: reconnect (through the sentinels, to the new primary) and
 * send the command again. Neither error means the command ran, so sending it again is safe.
 */
export function reconnectOnFailover(error: Error): 2 | false {
  const message = error.message ?? '';
  return message.startsWith('READONLY') || (message.startsWith('UNBLOCKED') && message.includes('master -> replica')) ? 2 : false;
}

/**
 * Our defaults for any single-Redis client we create, under the application's own options:
 * reconnect on a demoted primary's errors. Not ioredis' `failoverDetector`: in ioredis 6, a
 * detector still subscribed for the previous connection that sees +switch-master while the client
 * reconnects (a primary killed, then promoted away) aborts that connect, and ioredis then ends the
 * client for good (status "end", no retry): a worker stalled for ever, as our SIGKILL failover
 * test showed. Without it a killed primary closes our sockets, and a demoted one is left by
 * Sentinel's CLIENT KILL or our READONLY/UNBLOCKED reconnect, both within a few ms.
 */
export function withFailoverDefaults(options: RedisOptions): RedisOptions {
  return { reconnectOnError: reconnectOnFailover, ...options };
}

/**
 * The failover defaults an application's client lacks (a client it passed in may have none), and
 * never ioredis' failover detector on a connection that must outlive failovers (see withFailoverDefaults).
 */
function failoverDefaultsFor(options: RedisOptions): RedisOptions {
  const out: RedisOptions = {};
  if (!options.reconnectOnError) out.reconnectOnError = reconnectOnFailover;
  if (options.sentinels) out.failoverDetector = false;
  return out;
}

/** A new client for `options` (a cluster when it names seed nodes); `overrides` win. */
export function createClient(options: ConnectOptions, overrides: RedisOptions = {}, base?: ClusterOptions): RedisClient {
  const { cluster, ...single } = options;
  if (cluster) return new Cluster([...cluster], clusterOptionsFrom({ ...single, ...overrides }, base));
  return new Redis(withFailoverDefaults({ ...NO_INFO_READY_CHECK, ...single, ...overrides }));
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
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
export const RETRY_FOREVER: RedisOptions = { maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: reconnectSoon };

/**
 * Reconnect attempts of worker and host connections: at most RECONNECT_MAX_MS apart, however long
 * the outage (ioredis' default grows to 2 s). Liveness judges a host that stays away longer than
 * its margin after Redis is back (DEAD_AFTER/2 - HEARTBEAT_INTERVAL) as dead, so every live host
 * must be back well within it.
 */
export const RECONNECT_MAX_MS = 250;
function reconnectSoon(times: number): number {
  return Math.min(times * 50, RECONNECT_MAX_MS);
}

/**
 * A worker's own connection with the settings of `client` (the application's), retrying forever;
 * `overrides` (the host's choice, perhaps a cluster where the application had one Redis, or the
 * reverse) win. Its errors go to `onError` (ioredis prints "Unhandled error event" for a client
 * without a listener).
 */
export function workerConnection(client: RedisClient, onError: (error: Error) => void, overrides: ConnectOptions = {}): RedisClient {
  const { cluster, ...single } = overrides;
  let connection: RedisClient;
  if (cluster) {
    connection = createClient(overrides, RETRY_FOREVER, isCluster(client) ? client.options : undefined);
  } else if (isCluster(client)) {
    connection = overrides.host || overrides.path ? createClient(single, RETRY_FOREVER) : client.duplicate([], clusterOptionsFrom({ ...single, ...RETRY_FOREVER }, client.options));
  } else {
    connection = client.duplicate({ ...RETRY_FOREVER, ...single, ...failoverDefaultsFor({ ...client.options, ...single }) });
  }
  connection.on('error', onError);
  return connection;
}

export async function close(redis: OwnedRedis): Promise<void> {
  if (!redis.owned) return;
  await quietly(redis.client);
}

export async function quietly(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}

/** Host, port and db for log lines (a cluster's seed nodes, Sentinel's group and sentinels): never the password. */
export function describe(client: RedisClient): string {
  if (isCluster(client)) return `cluster ${seedNodesOf(client).map((n) => `${n.host}:${n.port}`).join(',')}`;
  return describeOptions(client.options);
}

export function describeOptions(options: ConnectOptions): string {
  const { host, port, db, path, sentinels, cluster } = options;
  if (cluster) return `cluster ${cluster.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (sentinels && sentinels.length > 0) return describeSentinels(options);
  return path ? `${path}/${db ?? 0}` : `${host ?? '127.0.0.1'}:${port ?? 6379}/${db ?? 0}`;
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
  /** A Redis Cluster's seed nodes; the options above (but host, port and db) apply to every node. */
  readonly cluster?: readonly { readonly host: string; readonly port: number }[];
  /** Redis Sentinel: the sentinels, the primary's group name and what ioredis needs to reach them. */
  readonly sentinels?: ReadonlyArray<{ readonly host?: string; readonly port?: number; readonly family?: number }>;
  readonly name?: string;
  readonly role?: 'master' | 'slave';
  readonly sentinelUsername?: string;
  readonly sentinelPassword?: string;
  readonly enableTLSForSentinelMode?: boolean;
  readonly sentinelTLS?: { readonly [key: string]: PortableValue };
  readonly failoverDetector?: boolean;
  readonly natMap?: { readonly [address: string]: { readonly host: string; readonly port: number } };
}

/**
 * The serialisable part of a client's options, sent from a worker child to its host (and back in
 * `start`) so the host reaches the same Redis the application configured, perhaps through
 * ConfigService. TLS Buffers keep their bytes; functions (checkServerIdentity...) cannot cross a
 * process and are left out.
 */
export function portableOptions(client: RedisClient): PortableRedisOptions {
  if (!isCluster(client)) return toPortable(client.options);
  return toPortable({ ...(client.options.redisOptions ?? {}), cluster: seedNodesOf(client) });
}

export function toPortable(o: ConnectOptions): PortableRedisOptions {
  const portable: { -readonly [K in keyof PortableRedisOptions]: PortableRedisOptions[K] } = o.cluster
    ? { cluster: o.cluster.map(({ host, port }) => ({ host, port })), family: o.family }
    : { host: o.host, port: o.port, db: o.db, family: o.family };
  if (o.path) portable.path = o.path;
  if (o.username) portable.username = o.username;
  if (o.password) portable.password = o.password;
  if (o.protocol) portable.protocol = o.protocol;
  if (o.tls) portable.tls = encode(o.tls) as { [key: string]: PortableValue };
  if (!o.cluster && o.sentinels && o.sentinels.length > 0) {
    portable.sentinels = o.sentinels.map(({ host, port, family }) => ({ host, port, ...(family !== undefined ? { family } : {}) }));
    if (o.name !== undefined) portable.name = o.name;
    if (o.role) portable.role = o.role;
    if (o.sentinelUsername) portable.sentinelUsername = o.sentinelUsername;
    if (o.sentinelPassword) portable.sentinelPassword = o.sentinelPassword;
    if (o.enableTLSForSentinelMode !== undefined) portable.enableTLSForSentinelMode = o.enableTLSForSentinelMode;
    if (o.sentinelTLS) portable.sentinelTLS = encode(o.sentinelTLS) as { [key: string]: PortableValue };
    if (o.failoverDetector !== undefined) portable.failoverDetector = o.failoverDetector;
    // A function natMap cannot cross a process; an address map can.
    if (o.natMap && typeof o.natMap === 'object') portable.natMap = encode(o.natMap) as PortableRedisOptions['natMap'];
  }
  return portable;
}

/**
 * Options from the other process. `sentinels` is always present (undefined unless Sentinel): a
 * child duplicates the application's client with these, and must reach what its host chose, not
 * the application's sentinels when the host was given REDIS_URL.
 */
export function fromPortable(portable: PortableRedisOptions): ConnectOptions {
  const { tls, sentinelTLS, sentinels, natMap, ...rest } = portable;
  const options: { -readonly [K in keyof ConnectOptions]: ConnectOptions[K] } = { ...rest, sentinels: sentinels ? sentinels.map((s) => ({ ...s })) : undefined };
  if (tls) options.tls = decode(tls) as RedisOptions['tls'];
  if (sentinelTLS) options.sentinelTLS = decode(sentinelTLS) as RedisOptions['sentinelTLS'];
  if (natMap) options.natMap = decode(natMap as PortableValue) as RedisOptions['natMap'];
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
