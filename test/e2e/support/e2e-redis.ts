/** Reading and writing a prefix's Resque keys from the test, in the wire formats other Resques use. */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../../lib/redis/connection.js';
import { ResqueKeys } from '../../../lib/protocol/keys.js';
import type { FailureRecord } from '../../../lib/protocol/failure.js';
import type { DoneEntry } from '../../fixtures/test-recorder.js';
import { E2E_QUEUE } from '../../fixtures/queue.js';
import type { RedisServer } from '../../support/redis-server.js';
import { uniquePrefix } from '../../support/unique.js';
import { waitFor } from '../../support/wait.js';

export { E2E_QUEUE };

/** One test's view of Redis: its own prefix, the env a host needs, and typed reads. */
export class E2eRedis {
  readonly prefix: string;
  readonly keys: ResqueKeys;
  /** How a host reaches Redis: REDIS_URL of the server, or REDIS_CLUSTER of a cluster. */
  private readonly connectionEnv: Record<string, string>;

  constructor(readonly server: RedisServer | undefined, readonly redis: RedisClient, options: { readonly prefix?: string; readonly connectionEnv?: Record<string, string> } = {}) {
    this.prefix = options.prefix ?? uniquePrefix('e2e');
    this.keys = new ResqueKeys(this.prefix);
    this.connectionEnv = options.connectionEnv ?? { REDIS_URL: server!.url };
  }

  /** A test on a Redis Cluster: a hash-tagged prefix of its own, hosts connected by REDIS_CLUSTER. */
  static onCluster(seeds: string, redis: RedisClient): E2eRedis {
    return new E2eRedis(undefined, redis, { prefix: `{${uniquePrefix('e2e')}}`, connectionEnv: { REDIS_CLUSTER: seeds } });
  }

  /** The environment of a host on this test's prefix; `extra` overrides. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      QUEUE: E2E_QUEUE,
      COUNT: '1',
      ...this.connectionEnv,
      PREFIX: this.prefix,
      BLOCKING: '1',
      INTERVAL: '1',
      ...extra,
    };
  }

  /** php-resque's Resque::enqueue($queue, $class, $args, true), byte for byte: SADD, RPUSH, SET status. Returns the id. */
  async pushPhp(className: string, data: unknown, queue = E2E_QUEUE): Promise<string> {
    const id = randomBytes(16).toString('hex');
    const now = Math.floor(Date.now() / 1000);
    const payload = `{"class":${JSON.stringify(className)},"args":[${JSON.stringify(data)}],"id":"${id}","queue_time":${(Date.now() / 1000).toFixed(4)}}`;
    await this.redis
      .multi()
      .sadd(this.keys.queues, queue)
      .rpush(this.keys.queue(queue), payload)
      .set(this.keys.jobStatus(id), `{"status":1,"updated":${now},"started":${now}}`)
      .exec();
    return id;
  }

  /** An untracked job, as Ruby's Resque.enqueue writes it. */
  async push(className: string, data: unknown, queue = E2E_QUEUE): Promise<void> {
    await this.redis.multi().sadd(this.keys.queues, queue).rpush(this.keys.queue(queue), JSON.stringify({ class: className, args: [data] })).exec();
  }

  async done(): Promise<DoneEntry[]> {
    const lines = await this.redis.lrange(`${this.prefix}:test:done`, 0, -1);
    return lines.map((line) => JSON.parse(line) as DoneEntry);
  }

  /** Waits until `count` jobs recorded themselves done. */
  waitForDone(count: number, timeoutMs = 15_000): Promise<DoneEntry[]> {
    return waitFor(async () => {
      const done = await this.done();
      return done.length >= count ? done : undefined;
    }, `${count} done job(s) under ${this.prefix}`, timeoutMs, 20);
  }

  async counter(name: string): Promise<number> {
    return Number((await this.redis.get(`${this.prefix}:test:${name}`)) ?? 0);
  }

  /** Waits until SlowJob has started `count` times. */
  waitForStarted(count = 1, timeoutMs = 15_000): Promise<number> {
    return waitFor(async () => {
      const n = await this.counter('started');
      return n >= count ? n : undefined;
    }, `${count} SlowJob start(s) under ${this.prefix}`, timeoutMs, 20);
  }

  async failed(): Promise<FailureRecord[]> {
    const lines = await this.redis.lrange(this.keys.failed, 0, -1);
    return lines.map((line) => JSON.parse(line) as FailureRecord);
  }

  waitForFailed(count: number, timeoutMs = 15_000): Promise<FailureRecord[]> {
    return waitFor(async () => {
      const failed = await this.failed();
      return failed.length >= count ? failed : undefined;
    }, `${count} failure record(s) under ${this.prefix}`, timeoutMs, 20);
  }

  async status(id: string): Promise<{ status: number; updated: number; started?: number } | null> {
    const raw = await this.redis.get(this.keys.jobStatus(id));
    return raw === null ? null : (JSON.parse(raw) as { status: number; updated: number });
  }

  async workers(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.workers)).sort();
  }

  async inflightKeys(): Promise<string[]> {
    return this.redis.keys(`${this.prefix}:inflight:*`);
  }

  queueLength(queue = E2E_QUEUE): Promise<number> {
    return this.redis.llen(this.keys.queue(queue));
  }

  async stat(name: 'processed' | 'failed'): Promise<number> {
    return Number((await this.redis.get(name === 'processed' ? this.keys.statProcessed() : this.keys.statFailed())) ?? 0);
  }
}

/** The fields every Resque failure record has, in Ruby and PHP's order. */
export const FAILURE_FIELDS = ['failed_at', 'payload', 'exception', 'error', 'backtrace', 'worker', 'queue'] as const;
