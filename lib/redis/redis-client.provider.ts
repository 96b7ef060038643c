/**
 * The module's Redis connection, from `options.connection`, else REDIS_CLUSTER (seed nodes), else
 * REDIS_SENTINELS (with REDIS_SENTINEL_NAME, lib/redis/redis-env.ts), else REDIS_URL, else
 * redis://127.0.0.1:6379. A client we create reconnects quickly and for ever (at most 1 s apart),
 * so producers recover soon after an outage; ResqueClient itself bounds every call by
 * `enqueueTimeout`. A client the application passed in is used as is and never closed.
 */
import { Logger, type FactoryProvider } from '@nestjs/common';
import type { RedisOptions } from 'ioredis';
import type { ResqueModuleOptions } from '../options/resque-options.js';
import { MODULE_OPTIONS_TOKEN } from '../resque.module-definition.js';
import { RESQUE_REDIS } from '../resque.tokens.js';
import { clusterConnectionFromEnv, isClusterConnection } from './cluster-connection.js';
import { connect, describe, type OwnedRedis } from './connection.js';
import { connectionFromEnv } from './redis-env.js';

const PRODUCER_DEFAULTS: RedisOptions = {
  retryStrategy: (times) => Math.min(times * 100, 1000),
  maxRetriesPerRequest: 1,
};

export function createResqueRedis(options: ResqueModuleOptions, env: NodeJS.ProcessEnv = process.env): OwnedRedis {
  // An empty REDIS_URL is refused (parseRedisUrl), not read as "unset": it must never mean 127.0.0.1:6379 silently.
  // REDIS_CLUSTER (seed nodes, as the worker host reads it) beside REDIS_URL is refused as ambiguous.
  const fromCluster = options.connection === undefined && env.REDIS_CLUSTER ? clusterConnectionFromEnv(env.REDIS_CLUSTER, env.REDIS_URL) : undefined;
  const fromEnv = options.connection === undefined && !fromCluster ? connectionFromEnv(env) : undefined; // REDIS_SENTINELS, or REDIS_URL (validated)
  const fromSentinels = fromEnv?.setting === 'REDIS_SENTINELS' ? fromEnv.options : undefined;
  const connection = options.connection ?? fromCluster ?? fromSentinels ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const setting =
    options.connection === undefined ? (fromCluster ? 'REDIS_CLUSTER' : 'REDIS_URL') : options.connection === env.REDIS_URL ? 'REDIS_URL' : "ResqueModule's connection";
  const redis =
    typeof connection === 'string' || isClusterConnection(connection) || 'isCluster' in connection
      ? connect(connection, PRODUCER_DEFAULTS, setting) // a client: used as is; a cluster: its own options win over ours
      : connect({ ...PRODUCER_DEFAULTS, ...connection }); // the application's options win
  if (redis.owned) reportOutages(redis);
  return redis;
}

/** One log line when the connection drops and one when it is back, instead of ioredis' unhandled error spam. */
function reportOutages({ client }: OwnedRedis): void {
  const logger = new Logger('Resque');
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`Redis ${describe(client)} unavailable: ${error.message}`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log(`Redis ${describe(client)} reconnected`);
  });
}

export const resqueRedisProvider: FactoryProvider<OwnedRedis> = {
  provide: RESQUE_REDIS,
  useFactory: (options: ResqueModuleOptions) => createResqueRedis(options),
  inject: [MODULE_OPTIONS_TOKEN],
};
