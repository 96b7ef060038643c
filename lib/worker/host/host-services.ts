/**
 * What the host sets up once its first child has told it the application's settings: the merged
 * settings (environment > runWorker's > the module's), the prefix (hash-tagged on a Redis
 * Cluster), its Redis connection (waited for REDIS_STARTUP_TIMEOUT), the metrics server
 * (METRICS_PORT), the pidfile and the delayed-job scheduler.
 */
import { writeFileSync } from 'node:fs';
import { InvalidSettingError } from '../../errors/invalid-setting.error.js';
import type { Prom } from '../../metrics/load-prom-client.js';
import { startHostMetricsServer, type HostMetricsServer } from '../../metrics/metrics-server.js';
import { resolveSettings, type settingsFromEnv, type WorkerSettings } from '../../options/worker-settings.js';
import { ResqueKeys } from '../../protocol/keys.js';
import { resolvePrefix } from '../../redis/cluster-prefix.js';
import { fromPortable, type ConnectOptions, type RedisClient } from '../../redis/connection.js';
import type { EnvConnection } from '../../redis/redis-env.js';
import type { DelayedScheduler } from '../../scheduler/scheduler.js';
import type { ReadyMessage } from '../ipc.js';
import type { RunWorkerOptions } from '../run-worker.js';
import { chooseHostRedisOptions, connectHostRedis } from './host-redis.js';
import { startHostScheduler } from './host-scheduler.js';

export interface HostServicesInput {
  readonly first: ReadyMessage;
  readonly envSettings: ReturnType<typeof settingsFromEnv>;
  readonly envRedis: EnvConnection | undefined;
  readonly options: RunWorkerOptions;
  /** Aborted by a QUIT/TERM/INT during start-up: the wait for Redis ends, undefined is returned. */
  readonly signal: AbortSignal;
  /** prom-client, loaded when METRICS_PORT is set. */
  readonly prom: Prom | undefined;
  readonly metricsPort: number | undefined;
  readonly log: (message: string) => void;
}

export interface HostServices {
  readonly settings: WorkerSettings;
  readonly keys: ResqueKeys;
  readonly redis: RedisClient;
  /** What children connect with: the environment's, runWorker's `redis`, or the application's connection. */
  readonly redisOptions: ConnectOptions;
  readonly metrics: HostMetricsServer | undefined;
  readonly scheduler: DelayedScheduler | undefined;
}

/** Undefined when stopped meanwhile; a Redis that never answered is a RedisUnreachableError, a port in use an InvalidSettingError. */
export async function startHostServices(input: HostServicesInput): Promise<HostServices | undefined> {
  const { first, options, log } = input;
  const { redisUrl: _url, redisCluster: _cluster, ...env } = input.envSettings;
  const redisOptions = chooseHostRedisOptions(input.envRedis, options.redis, fromPortable(first.redis));
  let settings = resolveSettings(first.moduleSettings, options.settings, env);
  // On a Redis Cluster the prefix needs a hash tag ({resque} by default): cluster-prefix.ts.
  const explicitPrefix = env.prefix ?? options.settings?.prefix ?? first.moduleSettings.prefix;
  const prefix = resolvePrefix(explicitPrefix, redisOptions.cluster !== undefined, env.prefix !== undefined ? 'PREFIX' : 'the prefix');
  if (prefix !== settings.prefix) settings = { ...settings, prefix };
  const keys = new ResqueKeys(settings.prefix);
  const redis = await connectHostRedis(redisOptions, input.envRedis?.setting ?? 'the ResqueModule connection', {
    windowMs: settings.redisStartupTimeout * 1000,
    signal: input.signal,
    onWaiting: log,
  });
  if (!redis) return undefined;
  let metrics: HostMetricsServer | undefined;
  if (input.prom && input.metricsPort !== undefined) {
    try {
      metrics = await startHostMetricsServer(input.prom, input.metricsPort, redis, keys);
    } catch (error) {
      throw new InvalidSettingError('METRICS_PORT', String(input.metricsPort), `cannot be served on 127.0.0.1: ${(error as Error).message}`);
    }
    log(`metrics on http://127.0.0.1:${metrics.port}/metrics`);
  }
  if (settings.pidFile) writeFileSync(settings.pidFile, `${process.pid}\n`);
  const scheduler = startHostScheduler(redis, keys, settings, log);
  return { settings, keys, redis, redisOptions, metrics, scheduler };
}
