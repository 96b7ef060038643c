/**
 * The connection the environment asks for, read the same way by the module's producers, the worker
 * host and the CLI: REDIS_CLUSTER (seed nodes, cluster-connection.ts), else REDIS_SENTINELS (+
 * REDIS_SENTINEL_NAME; REDIS_URL then gives only credentials, db and TLS, redis-sentinels.ts),
 * else REDIS_URL, else nothing (the caller's default). Every error names its setting and never
 * shows a secret.
 */
import { InvalidSentinelSettingError } from '../errors/invalid-sentinel-setting.error.js';
import { optionsFromClusterEnv } from './cluster-connection.js';
import type { ConnectOptions } from './connection.js';
import { parseRedisUrl } from './redis-url.js';
import { sentinelOptionsFromEnv } from './redis-sentinels.js';

export interface EnvConnection {
  readonly options: ConnectOptions;
  /** The variable it came from, for messages. */
  readonly setting: 'REDIS_CLUSTER' | 'REDIS_SENTINELS' | 'REDIS_URL';
}

type Env = Readonly<Record<string, string | undefined>>;

export function connectionFromEnv(env: Env): EnvConnection | undefined {
  if (env.REDIS_CLUSTER) {
    if (env.REDIS_SENTINELS !== undefined) {
      throw new InvalidSentinelSettingError('REDIS_SENTINELS', '<set>', 'and REDIS_CLUSTER are both set: a Redis Cluster has no sentinels, set one');
    }
    return { options: optionsFromClusterEnv(env.REDIS_CLUSTER, env.REDIS_URL), setting: 'REDIS_CLUSTER' };
  }
  const url = env.REDIS_URL !== undefined ? parseRedisUrl(env.REDIS_URL, 'REDIS_URL') : undefined;
  const sentinel = sentinelOptionsFromEnv(env, url);
  if (sentinel) return { options: sentinel, setting: 'REDIS_SENTINELS' };
  if (url) return { options: url, setting: 'REDIS_URL' };
  return undefined;
}
