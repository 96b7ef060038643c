/**
 * Redis Cluster connections: `{ cluster: [{ host, port }, ...], options? }` in ResqueModule and
 * REDIS_CLUSTER (comma-separated seed nodes) in the worker host and the CLI. A few seed nodes are
 * enough: ioredis asks them for the slot map and finds the rest.
 *
 * Every key of one namespace must hash to one slot (a hash-tagged prefix such as `{resque}`, see
 * cluster-prefix.ts), so each script, MULTI and pipeline this library sends goes to one node.
 */
import type { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import { InvalidSettingError } from '../errors/invalid-setting.error.js';
import { parseRedisUrl, redactUrl } from './redis-url.js';

export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/** ResqueModule's `connection` for a Redis Cluster. */
export interface ClusterConnection {
  /** Seed nodes, `{ host, port }` or `'host:port'`: any few primaries or replicas of the cluster. */
  readonly cluster: readonly (NodeAddress | string)[];
  /** ioredis Cluster options; `redisOptions` (username, password, tls...) apply to every node. */
  readonly options?: ClusterOptions;
}

export function isClusterConnection(value: unknown): value is ClusterConnection {
  return typeof value === 'object' && value !== null && Array.isArray((value as { cluster?: unknown }).cluster);
}

/** ioredis options that are the Cluster's own rather than each node's. */
const CLUSTER_LEVEL = ['enableOfflineQueue', 'enableReadyCheck', 'lazyConnect', 'keyPrefix', 'enableAutoPipelining', 'autoPipeliningIgnoredCommands', 'showFriendlyErrorStack'] as const;
/** Node options a Cluster sets itself (host, port...) or that a cluster has not (db: only 0). */
const NOT_FOR_NODES = new Set<string>(['host', 'port', 'path', 'db', 'sentinels', 'name', 'retryStrategy', 'enableOfflineQueue', 'readOnly', 'cluster', ...CLUSTER_LEVEL]);

/**
 * Cluster options from Redis-style options (what the library passes every connection: retry
 * policy, offline queue, credentials) over `base` (the application's Cluster options). A retry
 * strategy becomes the cluster's; the rest goes to every node.
 */
export function clusterOptionsFrom(overrides: RedisOptions, base: ClusterOptions = {}): ClusterOptions {
  const out: ClusterOptions & Record<string, unknown> = { ...base };
  const nodes: Record<string, unknown> = { ...(base.redisOptions ?? {}) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if ((CLUSTER_LEVEL as readonly string[]).includes(key)) out[key] = value;
    else if (key === 'retryStrategy') out.clusterRetryStrategy = value as ClusterOptions['clusterRetryStrategy'];
    else if (!NOT_FOR_NODES.has(key)) nodes[key] = value;
  }
  if (overrides.maxRetriesPerRequest === null) {
    // "Retry for ever" on a cluster: a command that meets a closed connection (its primary died)
    // is retried every retryDelayOnFailover ms, at most maxRedirections times; 16 x 100 ms is
    // shorter than a failover (cluster-node-timeout + election), so a worker would see errors.
    out.maxRedirections = Math.max(out.maxRedirections ?? 0, 600);
    out.retryDelayOnFailover ??= 100;
  }
  out.redisOptions = nodes as ClusterOptions['redisOptions'];
  return out;
}

/** The seed nodes a cluster client was made with (or, once connected, the primaries it knows). */
export function seedNodesOf(client: Cluster): NodeAddress[] {
  const known = client.nodes('master').map((node) => ({ host: String(node.options.host), port: Number(node.options.port) }));
  if (known.length > 0) return known;
  const seeds = Reflect.get(client, 'startupNodes') as unknown;
  if (!Array.isArray(seeds)) return [];
  return seeds.flatMap((seed: unknown) => {
    if (typeof seed === 'string') return [parseAddress(seed)].filter((a): a is NodeAddress => a !== undefined);
    if (typeof seed === 'object' && seed !== null) {
      const { host, port } = seed as { host?: string; port?: number };
      return [{ host: host ?? '127.0.0.1', port: port ?? 6379 }];
    }
    return [];
  });
}

/**
 * REDIS_CLUSTER: comma-separated seed nodes, each `host:port` (`[::1]:7000` for IPv6) or a URL
 * as REDIS_URL takes it (`redis://user:password@host:port`, `rediss://` for TLS). Credentials and
 * TLS from URL entries apply to every node; two entries with different credentials are refused.
 */
export function parseClusterNodes(value: string, setting = 'REDIS_CLUSTER'): RedisOptions & { cluster: NodeAddress[] } {
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const shown = entries.map((entry) => (/^rediss?:\/\//i.test(entry) ? redactUrl(entry) : entry)).join(',');
  const fail = (problem: string): never => {
    throw new InvalidSettingError(setting, shown, problem);
  };
  if (entries.length === 0) fail('needs at least one host:port seed node');
  const cluster: NodeAddress[] = [];
  let shared: RedisOptions | undefined;
  for (const entry of entries) {
    if (/^rediss?:\/\//i.test(entry)) {
      const { host, port, db, ...rest } = parseRedisUrl(entry, setting);
      if (db !== undefined && db !== 0) fail('names a db: a Redis Cluster has only db 0');
      cluster.push({ host: host ?? '127.0.0.1', port: port ?? 6379 });
      if (shared && JSON.stringify(shared) !== JSON.stringify(rest)) fail('has entries with different credentials or TLS: give them once, on every entry alike');
      shared = rest;
    } else {
      const address = parseAddress(entry);
      if (!address) fail(`has "${entry.length > 80 ? `${entry.slice(0, 80)}...` : entry}", not a host:port`);
      cluster.push(address!);
    }
  }
  return { ...(shared ?? {}), cluster };
}

function parseAddress(entry: string): NodeAddress | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-_]+):(\d{1,5})$/.exec(entry);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** REDIS_CLUSTER's seed nodes (and credentials), checked; REDIS_URL beside it is refused as ambiguous. */
export function optionsFromClusterEnv(redisCluster: string, redisUrl: string | undefined): RedisOptions & { cluster: NodeAddress[] } {
  if (redisUrl) {
    throw new InvalidSettingError('REDIS_CLUSTER', redisCluster.replace(/\/\/[^,]*@/g, '//***@'), 'and REDIS_URL are both set: set one (credentials go into REDIS_CLUSTER as redis://user:password@host:port)');
  }
  return parseClusterNodes(redisCluster, 'REDIS_CLUSTER');
}

/** REDIS_CLUSTER as ResqueModule's `connection`: the credentials in it apply to every node. */
export function clusterConnectionFromEnv(redisCluster: string, redisUrl: string | undefined): ClusterConnection {
  const { cluster, ...nodes } = optionsFromClusterEnv(redisCluster, redisUrl);
  return { cluster, options: { redisOptions: nodes } };
}

/**
 * WAIT on the primary serving `key`'s slot: a cluster client sends a keyless command to any node,
 * but a pipeline goes to its keys' node, over the connection that carried this client's writes there.
 */
export async function waitOnSlotOf(client: Cluster, key: string, replicas: number, timeoutMs: number): Promise<number> {
  const replies = await client.pipeline().exists(key).wait(replicas, timeoutMs).exec();
  const [error, value] = replies?.[1] ?? [new Error('WAIT got no reply'), 0];
  if (error) throw error;
  return Number(value);
}
