/**
 * Unique jobs (node-resque's QueueLock key) and run-time locks (its JobLock key), with our worker
 * loop in-process on real Redis, and node-resque's own QueueLock as the peer.
 */
import 'reflect-metadata';
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { TestingModule } from '@nestjs/testing';
import NodeResque from 'node-resque';
import { DelayedScheduler, Job, QueueService, ResqueKeys, type JobClassPolicy, type JobContext, type ResqueJob } from '../../lib/index.js';
import { useLoopWorkers } from '../support/loop-workers.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';
import { waitFor } from '../support/wait.js';

/** No test may hang: each ends within this, whatever it awaits. */
const TEST = { timeout: 30_000 };

@Job({ queue: 'q', unique: {} })
class SyncUser implements ResqueJob<{ user: number }> {
  perform(_data: { user: number }): void {}
}

@Job({ queue: 'q', unique: { until: 'finished', key: (data) => String((data as { user: number }).user) } })
class Export implements ResqueJob<{ user: number; at: number }> {
  perform(_data: { user: number; at: number }): void {}
}

let server: RedisServer;
let redis: Redis;
let app: TestingModule;
let queues: QueueService;
const keys = new ResqueKeys('resque');
const workers = useLoopWorkers(() => server, keys);

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  ({ app } = await bootResque(server, [SyncUser, Export], { prefix: 'resque' }));
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

function startWorker(run: (ctx: JobContext) => unknown, policies: Record<string, JobClassPolicy>, concurrency = 1): void {
  workers.start(run, { policies, concurrency });
}

test('unique: a duplicate enqueue returns the waiting job\'s id and writes nothing; once it started, a new one is queued', TEST, async () => {
  const first = await queues.enqueue(SyncUser, { user: 1 });
  const again = await queues.enqueue(SyncUser, { user: 1 });
  const other = await queues.enqueue(SyncUser, { user: 2 });
  assert.equal(again, first);
  assert.notEqual(other, first);
  assert.equal(await redis.llen('resque:queue:q'), 2);
  const lock = (await redis.get('resque:lock:SyncUser:q:[{"user":1}]'))!;
  assert.match(lock, new RegExp(`^\\d+ ${first}$`), 'node-resque\'s key, its expiry first, then our id');
  assert.ok((await redis.ttl('resque:lock:SyncUser:q:[{"user":1}]')) > 3500);
  let release!: () => void;
  const started = new Promise<void>((resolve) => (release = resolve));
  startWorker(() => release(), { SyncUser: { unique: {} } });
  await started;
  await waitFor(async () => (await redis.exists('resque:lock:SyncUser:q:[{"user":1}]')) === 0, 'the lock to go when the job starts');
  const third = await queues.enqueue(SyncUser, { user: 1 });
  assert.notEqual(third, first);
});

test('unique until finished, with a key from the data: refused while the job runs, accepted after', TEST, async () => {
  let finish!: () => void;
  const running = new Promise<void>((resolve) => (finish = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  startWorker(async () => {
    entered();
    await running;
  }, { Export: { unique: { until: 'finished', key: (data) => String((data as { user: number }).user) } } });
  try {
    const id = await queues.enqueue(Export, { user: 5, at: 1 });
    await inside;
    assert.equal(await queues.enqueue(Export, { user: 5, at: 2 }), id, 'same user, other data: still the running job');
    assert.equal(await redis.llen('resque:queue:q'), 0);
  } finally {
    finish(); // never leave the job hanging, whatever failed
  }
  const id = await redis.get('resque:lock:Export:q:5').then((v) => v?.split(' ')[1]);
  await waitFor(async () => (await redis.exists('resque:lock:Export:q:5')) === 0, 'the lock to go when the job ends');
  assert.notEqual(await queues.enqueue(Export, { user: 5, at: 3 }), id);
});

test('unique applies to delayed jobs: a duplicate delayed or queued while one is delayed returns its id and writes nothing; the lock outlives the delay', TEST, async () => {
  const first = await queues.enqueueIn(SyncUser, { user: 9 }, 3_600_000);
  assert.ok(first);
  assert.equal(await queues.enqueueIn(SyncUser, { user: 9 }, 60_000), first, 'a second delayed duplicate');
  assert.equal(await queues.enqueue(SyncUser, { user: 9 }), first, 'an immediate duplicate of the delayed job');
  assert.equal(await queues.delayedCount(), 1);
  assert.equal(await redis.llen('resque:queue:q'), 0);
  const ttl = await redis.ttl('resque:lock:SyncUser:q:[{"user":9}]');
  assert.ok(ttl > 3_600 + 3_500, `the lock lives until due plus its TTL (${ttl} s)`);
  // Promoted (keeping its id) and started: the lock goes, and a new job is accepted.
  const moved = await new DelayedScheduler({ redis, keys, name: 't:1', now: () => Date.now() + 3_700_000 }).promote();
  assert.equal(moved.moved, 1);
  let release!: () => void;
  const started = new Promise<void>((resolve) => (release = resolve));
  startWorker((ctx) => {
    assert.equal(ctx.id, first);
    release();
  }, { SyncUser: { unique: {} } });
  await started;
  await waitFor(async () => (await redis.exists('resque:lock:SyncUser:q:[{"user":9}]')) === 0, 'the lock to go when the job starts');
  const next = await queues.enqueueIn(SyncUser, { user: 9 }, 60_000);
  assert.ok(next && next !== first);
});

test('unique interop with node-resque\'s QueueLock: each refuses the other\'s duplicate', TEST, async () => {
  const node = new NodeResque.Queue({ connection: { host: '127.0.0.1', port: server.port, namespace: 'resque' } }, { SyncUser: { plugins: [NodeResque.Plugins.QueueLock], perform: async () => undefined } });
  node.on('error', () => undefined);
  await node.connect();
  try {
    assert.equal(await node.enqueue('q', 'SyncUser', [{ user: 9 }]), true);
    assert.equal(await queues.enqueue(SyncUser, { user: 9 }), null, 'node holds the lock (its value has no id of ours)');
    const ours = await queues.enqueue(SyncUser, { user: 10 });
    assert.ok(ours);
    assert.equal(await node.enqueue('q', 'SyncUser', [{ user: 10 }]), false, 'node sees our lock');
    assert.equal(await redis.llen('resque:queue:q'), 2);
  } finally {
    await node.end();
  }
});

test('run-time lock: two jobs with one key never run at once; the second waits through the delayed queue', TEST, async () => {
  let active = 0;
  let most = 0;
  const ran: number[] = [];
  startWorker(
    async (ctx) => {
      active++;
      most = Math.max(most, active);
      await new Promise((resolve) => setTimeout(resolve, 150));
      ran.push((ctx.data as { n: number }).n);
      active--;
    },
    { Charge: { lock: { key: (data) => String((data as { account: string }).account), retryIn: 1000 } } },
    2,
  );
  await queues.enqueue('q', 'Charge', { account: 'a', n: 1 });
  await queues.enqueue('q', 'Charge', { account: 'a', n: 2 });
  await waitFor(() => ran.length === 1, 'the first to run');
  assert.equal(await redis.zcard('resque:delayed_queue_schedule'), 1, 'the second was put back, not run');
  assert.equal(await redis.exists('resque:workerslock:Charge:q:a'), 0, 'released after the first');
  const moved = await new DelayedScheduler({ redis, keys, name: 't:1', now: () => Date.now() + 5_000 }).promote();
  assert.equal(moved.moved, 1);
  await waitFor(() => ran.length === 2, 'the second to run');
  assert.equal(most, 1);
  assert.deepEqual(ran, [1, 2]);
  assert.equal(await redis.llen('resque:failed'), 0);
  assert.equal(await redis.get('resque:stat:failed'), null);
});
