/**
 * A @nestjs/terminus health indicator (terminus 11/12's HealthIndicatorService API):
 *
 *   this.health.check([
 *     () => this.resque.redis('redis'),                                   // up {latencyMs}
 *     () => this.resque.workers('workers', { queues: ['mail'] }),          // up {workers: {mail: 2}}
 *     () => this.resque.queueLatency('latency', { maxSeconds: 60 }),      // up {latencySeconds: {...}}
 *   ])
 *
 * A failed check is `down` with a one-line `message`; nothing throws. Each check gives Redis
 * `timeoutMs` (default 1 s): an unreachable Redis is a quick `down`, not a hung probe.
 */
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ResqueModuleOptions } from '../options/resque-options.js';
import { ResqueKeys } from '../protocol/keys.js';
import { resolvePrefix } from '../redis/cluster-prefix.js';
import { isCluster } from '../redis/connection.js';
import type { OwnedRedis } from '../redis/connection.js';
import { MODULE_OPTIONS_TOKEN } from '../resque.module-definition.js';
import { RESQUE_REDIS } from '../resque.tokens.js';
import { checkLatency, checkRedis, checkWorkers, type CheckOutcome, type LatencyCheckOptions, type WorkersCheckOptions } from './resque-health-checks.js';

export interface HealthCheckTimeout {
  /** How long Redis gets to answer (default 1000 ms). */
  readonly timeoutMs?: number;
}

/** @publicApi */
@Injectable()
export class ResqueHealthIndicator {
  private readonly keys: ResqueKeys;

  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(RESQUE_REDIS) private readonly connection: OwnedRedis,
    @Inject(MODULE_OPTIONS_TOKEN) options: ResqueModuleOptions,
  ) {
    this.keys = new ResqueKeys(resolvePrefix(options.prefix, isCluster(connection.client), "ResqueModule's prefix"));
  }

  /** Redis answers a PING; `latencyMs` is its round trip. */
  async redis<const Key extends string>(key: Key, options: HealthCheckTimeout = {}): Promise<HealthIndicatorResult<Key>> {
    return this.result(key, await checkRedis(this.connection.client, options.timeoutMs ?? 1000));
  }

  /** Every queue in `queues` has at least `min` worker(s) whose heartbeat is fresher than `maxAgeSeconds`. */
  async workers<const Key extends string>(key: Key, options: WorkersCheckOptions & HealthCheckTimeout): Promise<HealthIndicatorResult<Key>> {
    return this.result(key, await checkWorkers(this.connection.client, this.keys, options, options.timeoutMs ?? 1000));
  }

  /** The oldest waiting job of each queue (all, or `queues`) is at most `maxSeconds` old. */
  async queueLatency<const Key extends string>(key: Key, options: LatencyCheckOptions & HealthCheckTimeout): Promise<HealthIndicatorResult<Key>> {
    return this.result(key, await checkLatency(this.connection.client, this.keys, options, options.timeoutMs ?? 1000));
  }

  private result<Key extends string>(key: Key, outcome: CheckOutcome): HealthIndicatorResult<Key> {
    const indicator = this.health.check(key);
    return outcome.healthy ? indicator.up(outcome.data) : indicator.down(outcome.data);
  }
}
