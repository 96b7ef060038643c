/**
 * Per-queue rate limits (`rate-limits` hash, enforced by the reservation script on Redis's clock):
 * our worker loop in-process on a private Redis, several workers sharing one limit.
 */
import 'reflect-metadata';
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { TestingModule } from '@nestjs/testing';
import { InvalidRateLimitError, QueueService, ResqueKeys, type JobContext } from '../../lib/index.js';
import { useLoopWorkers } from '../support/loop-workers.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';
import { waitFor } from '../support/wait.js';

/** No test may hang: each ends within this, whatever it awaits. */
const TEST = { timeout: 40_000 };

let server: RedisServer;
let redis: Redis;
let app: TestingModule;
let queues: QueueService;
const keys = new ResqueKeys('resque');
const workers = useLoopWorkers(() => server, keys);

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  ({ app } = await bootResque(server, [], { prefix: 'resque', rateLimits: { booted: { max: 7, duration: 2500 } } }));
  queues = app.get(QueueService);
}, { timeout: 15_000 });
afterEach(async () => {
  await redis.flushdb();
}, { timeout: 15_000 });
after(async () => {
  await app.close();
  redis.disconnect();
  await server.destroy();
}, { timeout: 15_000 });

async function scriptCalls(): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

test('forRoot({ rateLimits }) writes its limits at boot; set/list/remove manage them; a bad limit is refused by name', TEST, async () => {
  // Written by the boot in before() (this test runs first: each test's afterEach flushes Redis).
  assert.equal(await redis.hget('resque:rate-limits', 'booted'), '7 2500');
  await queues.rateLimits.set('api', { max: 10, duration: 1000 });
  await redis.hset('resque:rate-limits', 'junk', 'not a limit');
  assert.deepEqual(await queues.rateLimits.list(), { api: { max: 10, duration: 1000 }, booted: { max: 7, duration: 2500 } });
  assert.equal(await queues.rateLimits.remove('api'), true);
  assert.equal(await queues.rateLimits.remove('api'), false);
  await assert.rejects(queues.rateLimits.set('api', { max: 0, duration: 1000 }), InvalidRateLimitError);
  await assert.rejects(queues.rateLimits.set('api', { max: 1, duration: 1.5 }), /duration/);
  await assert.rejects(queues.rateLimits.set('bad\nname', { max: 1, duration: 10 }), InvalidRateLimitError);
});

test('two workers share one limit: at most max jobs start per window, windows follow one another, and a full window costs no polling', TEST, async () => {
  const WINDOW = 1500;
  await queues.rateLimits.set('q', { max: 3, duration: WINDOW });
  const starts: number[] = [];
  const run = async (ctx: JobContext) => {
    starts.push(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 20)); // jobs that take time
    void ctx;
  };
  for (let i = 0; i < 9; i++) await queues.enqueue('q', 'Limited', [i]);
  const callsBefore = await scriptCalls();
  // Blocking with a long INTERVAL: only the window's end may wake a worker that found it full.
  workers.start(run, { blocking: true, interval: 5, concurrency: 2 });
  workers.start(run, { blocking: true, interval: 5, concurrency: 2 });
  await waitFor(() => starts.length === 9 || undefined, '9 jobs to run', 30_000);
  const calls = (await scriptCalls()) - callsBefore;
  starts.sort((a, b) => a - b);
  const first = starts[0];
  for (let k = 0; k < 9; k++) {
    // Job k may start in window floor(k / 3) at the earliest (lower bounds only: a loaded machine is only later).
    assert.ok(starts[k] >= first + Math.floor(k / 3) * WINDOW - 50, `job ${k} started ${starts[k] - first} ms after the first: before its window`);
  }
  assert.equal(await redis.llen('resque:queue:q'), 0);
  // Busy polling over ~3 s would be thousands of exchanges; waiting for the window is a handful per worker.
  assert.ok(calls < 60, `${calls} script calls for 9 rate-limited jobs`);
  console.log(`# 9 jobs, 3 per ${WINDOW} ms, 2 workers: ${calls} script calls, last start ${starts[8] - first} ms after the first`);
});

test('a limited queue is skipped, not waited on: an unlimited queue after it keeps flowing', TEST, async () => {
  await queues.rateLimits.set('slow', { max: 1, duration: 60_000 });
  const ran: string[] = [];
  for (let i = 0; i < 5; i++) {
    await queues.enqueue('slow', 'Limited', [i]);
    await queues.enqueue('fast', 'Free', [i]);
  }
  workers.start((ctx) => void ran.push(ctx.queue), { queues: ['slow', 'fast'], blocking: true, interval: 5 });
  await waitFor(() => ran.filter((q) => q === 'fast').length === 5 || undefined, 'the unlimited queue to drain');
  assert.equal(ran.filter((q) => q === 'slow').length, 1);
  assert.equal(await redis.llen('resque:queue:slow'), 4);
  assert.equal(await redis.get('resque:rate-limit:slow'), '1');
  const ttl = await redis.pttl('resque:rate-limit:slow');
  assert.ok(ttl > 50_000 && ttl <= 60_000, `window ends in ${ttl} ms`);
});

test('a limit lifted at run time lets the queue flow within INTERVAL, without a restart', TEST, async () => {
  await queues.rateLimits.set('q', { max: 2, duration: 600_000 });
  let ran = 0;
  for (let i = 0; i < 5; i++) await queues.enqueue('q', 'Limited', [i]);
  workers.start(() => void ran++, { blocking: true, interval: 1 });
  await waitFor(() => ran === 2 || undefined, 'the first window to fill');
  assert.equal(await redis.llen('resque:queue:q'), 3);
  await queues.rateLimits.remove('q');
  await waitFor(() => ran === 5 || undefined, 'the rest to run once the limit is gone');
});
