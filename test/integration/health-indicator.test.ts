/** ResqueHealthIndicator through terminus' HealthCheckService: Redis reachable, workers alive per queue, queue latency. */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Test, type TestingModule } from '@nestjs/testing';
import { HealthCheckService } from '@nestjs/terminus';
import { ResqueKeys, ResqueModule } from '../../lib/index.js';
import { ResqueHealthIndicator, ResqueHealthModule } from '../../lib/health/index.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';

const T = { timeout: 20_000 };
let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
}, { timeout: 30_000 });
after(async () => {
  redis.disconnect();
  await server.destroy();
});

async function boot(connection: string, prefix: string): Promise<TestingModule> {
  const app = await Test.createTestingModule({ imports: [ResqueModule.forRoot({ connection, prefix }), ResqueHealthModule] }).compile();
  await app.init();
  return app;
}

/** HealthCheckService.check: the result when all are up, the error's response (details) when one is down. */
async function check(app: TestingModule, indicators: Array<(r: ResqueHealthIndicator) => Promise<unknown>>) {
  const health = app.get(HealthCheckService);
  const resque = app.get(ResqueHealthIndicator);
  try {
    return { ok: true, result: await health.check(indicators.map((fn) => () => fn(resque) as never)) };
  } catch (error) {
    return { ok: false, result: (error as { getResponse(): unknown }).getResponse() as { details: Record<string, Record<string, unknown>> } };
  }
}

async function redisNowMs(): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

test('Redis reachable, with its latency', T, async () => {
  const app = await boot(server.url, uniquePrefix('health'));
  try {
    const { ok, result } = await check(app, [(r) => r.redis('redis')]);
    assert.equal(ok, true);
    const detail = (result as { details: Record<string, { status: string; latencyMs: number }> }).details.redis!;
    assert.equal(detail.status, 'up');
    assert.ok(detail.latencyMs >= 0 && detail.latencyMs < 1000, String(detail.latencyMs));
  } finally {
    await app.close();
  }
});

test('an unreachable Redis is down within the timeout, not a hung probe', T, async () => {
  const app = await boot(`redis://127.0.0.1:${await freePort()}`, uniquePrefix('health'));
  try {
    const started = Date.now();
    const { ok, result } = await check(app, [(r) => r.redis('redis', { timeoutMs: 300 })]);
    assert.equal(ok, false);
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    const detail = (result as { details: Record<string, { status: string; message: string }> }).details.redis!;
    assert.equal(detail.status, 'down');
    assert.match(detail.message, /^Redis unreachable: /);
  } finally {
    await app.close();
  }
});

test('workers alive for given queues: fresh heartbeats (ours and Ruby\'s) count, stale ones do not', T, async () => {
  const prefix = uniquePrefix('health');
  const keys = new ResqueKeys(prefix);
  const app = await boot(server.url, prefix);
  try {
    const now = await redisNowMs();
    await redis
      .multi()
      .zadd(keys.alive, now - 1_000, 'h:1:mail,sms', now - 120_000, 'h:2:reports')
      .hset(keys.heartbeats, 'ruby:3:*', new Date(now - 2_000).toISOString(), 'ruby:4:billing', new Date(now - 600_000).toISOString())
      .exec();
    const up = await check(app, [(r) => r.workers('workers', { queues: ['mail', 'sms', 'other'] })]);
    assert.equal(up.ok, true);
    assert.deepEqual((up.result as { details: Record<string, unknown> }).details.workers, { status: 'up', workers: { mail: 2, sms: 2, other: 1 } });

    const down = await check(app, [(r) => r.workers('workers', { queues: ['mail', 'reports'], min: 2 })]);
    assert.equal(down.ok, false);
    const detail = (down.result as { details: Record<string, { status: string; workers: unknown; message: string }> }).details.workers!;
    assert.equal(detail.status, 'down');
    assert.deepEqual(detail.workers, { mail: 2, reports: 1 }, 'the stale reports worker is not counted; the Ruby * worker is');
    assert.equal(detail.message, 'fewer than 2 live worker(s) for "reports"');
  } finally {
    await app.close();
  }
});

test('queue latency under a threshold', T, async () => {
  const prefix = uniquePrefix('health');
  const keys = new ResqueKeys(prefix);
  const app = await boot(server.url, prefix);
  try {
    const old = (Date.now() / 1000 - 300).toFixed(4);
    await redis.multi().sadd(keys.queues, 'slow', 'fresh').rpush(keys.queue('slow'), `{"class":"A","args":[],"queue_time":${old}}`).rpush(keys.queue('fresh'), `{"class":"A","args":[],"queue_time":${Date.now() / 1000}}`).exec();
    const fresh = await check(app, [(r) => r.queueLatency('latency', { maxSeconds: 60, queues: ['fresh', 'empty'] })]);
    assert.equal(fresh.ok, true);
    const all = await check(app, [(r) => r.queueLatency('latency', { maxSeconds: 60 })]);
    assert.equal(all.ok, false);
    const detail = (all.result as { details: Record<string, { status: string; latencySeconds: Record<string, number>; message: string }> }).details.latency!;
    assert.ok(detail.latencySeconds.slow! >= 299, JSON.stringify(detail));
    assert.equal(detail.message, 'oldest job older than 60 s in "slow"');
  } finally {
    await app.close();
  }
});
