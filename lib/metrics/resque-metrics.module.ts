/**
 * The app side of the metrics: `imports: [ResqueMetricsModule]` puts the `resque_*` gauges read from
 * Redis (queue depth and latency, delayed, retrying, workers busy/idle, resque_redis_up) on
 * prom-client's default registry, the one @willsoto/nestjs-prometheus serves at /metrics. Job
 * counters and durations are where jobs run: the worker host's METRICS_PORT.
 * prom-client is loaded when the module starts, so importing the library never needs it.
 */
import { Inject, Injectable, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { ResqueModuleOptions } from '../options/resque-options.js';
import { ResqueKeys } from '../protocol/keys.js';
import { resolvePrefix } from '../redis/cluster-prefix.js';
import { isCluster } from '../redis/connection.js';
import type { OwnedRedis } from '../redis/connection.js';
import { MODULE_OPTIONS_TOKEN } from '../resque.module-definition.js';
import { RESQUE_REDIS } from '../resque.tokens.js';
import { loadPromClient } from './load-prom-client.js';
import { registerResqueMetrics, type RegisteredMetrics } from './prometheus-metrics.js';
import { readRedisSnapshot } from './redis-snapshot.js';

/** @publicApi */
@Injectable()
export class ResqueMetrics implements OnModuleInit, OnModuleDestroy {
  private registered: RegisteredMetrics | undefined;
  private registryUsed: Registry | undefined;

  constructor(
    @Inject(RESQUE_REDIS) private readonly redis: OwnedRedis,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: ResqueModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    const prom = await loadPromClient('ResqueMetricsModule');
    const registry = prom.register;
    // A second application in the same process (tests) takes the names over instead of failing.
    for (const metric of registry.getMetricsAsArray()) if (metric.name.startsWith('resque_')) registry.removeSingleMetric(metric.name);
    const keys = new ResqueKeys(resolvePrefix(this.options.prefix, isCluster(this.redis.client), "ResqueModule's prefix"));
    this.registered = registerResqueMetrics(prom, registry, { snapshot: () => readRedisSnapshot(this.redis.client, keys) });
    this.registryUsed = registry;
  }

  /** The registry the metrics are on (prom-client's default). */
  get registry(): Registry | undefined {
    return this.registryUsed;
  }

  onModuleDestroy(): void {
    this.registered?.remove();
    this.registered = undefined;
  }
}

/** @publicApi */
@Module({ providers: [ResqueMetrics], exports: [ResqueMetrics] })
export class ResqueMetricsModule {}
