/**
 * Delayed jobs on resque-scheduler's layout, promoted by our scheduler with an injected clock
 * (`now`), so no test waits for real seconds to pass.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { DelayedJobs, DelayedScheduler, InvalidDelayError, JobStatus, ResqueClient, ResqueKeys } from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';

/** No test may hang: each ends within this, whatever it awaits. */
const TEST = { timeout: 30_000 };

let server: RedisServer;
let redis: Redis;
let keys: ResqueKeys;
let client: ResqueClient;
let delayed: DelayedJobs;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  keys = new ResqueKeys('resque');
  client = new ResqueClient({ redis, keys });
  delayed = new DelayedJobs(client);
}, { timeout: 15_000 });
afterEach(async () => {
  await redis.flushdb();
}, { timeout: 15_000 });
after(async () => {
  redis.disconnect();
  await server.destroy();
}, { timeout: 15_000 });

function scheduler(nowMs: () => number, name = 'host-a:1'): DelayedScheduler {
  return new DelayedScheduler({ redis, keys, name, now: nowMs });
}

test('enqueueAt writes resque-scheduler\'s layout: schedule zset, delayed:<second>, timestamps:<item>', TEST, async () => {
  const id = await delayed.enqueueAt(new Date(1_900_000_000_000), 'mail', 'SendMail', { to: 'a@example.com' });
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.deepEqual(await redis.zrange('resque:delayed_queue_schedule', '0', '-1', 'WITHSCORES'), ['1900000000', '1900000000']);
  const [item] = await redis.lrange('resque:delayed:1900000000', 0, -1);
  const parsed = JSON.parse(item) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['class', 'args', 'queue', 'id', 'queue_time']);
  assert.deepEqual(parsed.args, [{ to: 'a@example.com' }]);
  assert.equal(parsed.queue, 'mail');
  assert.equal(parsed.id, id);
  assert.deepEqual(await redis.smembers(`resque:timestamps:${item}`), ['delayed:1900000000']);
  assert.deepEqual(await delayed.at(id), new Date(1_900_000_000_000));
  assert.equal(await redis.exists('resque:queue:mail'), 0, 'nothing is queued before it is due');
});

test('the due second is rounded up: a job is never promoted before the time asked for', TEST, async () => {
  await delayed.enqueueAt(1_900_000_000_300, 'q', 'C', 1);
  assert.deepEqual(await redis.zrange('resque:delayed_queue_schedule', '0', '-1'), ['1900000001']);
  const s = scheduler(() => 1_900_000_000_999);
  assert.equal((await s.promote()).moved, 0, 'not at .999 of the second before');
  const s2 = scheduler(() => 1_900_000_001_000);
  assert.equal((await s2.promote()).moved, 1);
});

test('promotion pushes the item unchanged, keeps the id, SADDs the queue and keeps a tracked status', TEST, async () => {
  const id = await delayed.enqueueAt(1_900_000_000_000, 'mail', 'SendMail', { n: 1 }, true);
  assert.equal((await client.status(id))?.status, JobStatus.Waiting);
  const ttl = await redis.ttl(`resque:job:${id}:status`);
  assert.ok(ttl > 86_400, `a WAITING status of a delayed job lives until due plus a day (ttl ${ttl})`);
  const [item] = await redis.lrange('resque:delayed:1900000000', 0, -1);
  const result = await scheduler(() => 1_900_000_005_000).promote();
  assert.deepEqual(result, { moved: 1, failed: 0, next: null });
  assert.deepEqual(await redis.lrange('resque:queue:mail', 0, -1), [item]);
  assert.deepEqual(await redis.smembers('resque:queues'), ['mail']);
  assert.equal((await client.status(id))?.status, JobStatus.Waiting);
  // Every trace of the delayed job is gone.
  assert.equal(await redis.exists('resque:delayed:1900000000', 'resque:delayed_queue_schedule', `resque:timestamps:${item}`), 0);
  assert.equal(await delayed.at(id), null);
});

test('oldest second first, later seconds stay, and next reports the earliest remaining second', TEST, async () => {
  await delayed.enqueueAt(1_900_000_010_000, 'q', 'Late', 1);
  await delayed.enqueueAt(1_900_000_000_000, 'q', 'Early', 1);
  await delayed.enqueueAt(1_900_000_005_000, 'q', 'Middle', 1);
  const result = await scheduler(() => 1_900_000_006_000).promote();
  assert.deepEqual(result, { moved: 2, failed: 0, next: 1_900_000_010 });
  const classes = (await redis.lrange('resque:queue:q', 0, -1)).map((raw) => (JSON.parse(raw) as { class: string }).class);
  assert.deepEqual(classes, ['Early', 'Middle']);
});

test('a batch bound: one call moves at most `batch` items; the rest stay for the next call', TEST, async () => {
  await delayed.enqueueBulkAt(1_900_000_000_000, 'q', 'C', Array.from({ length: 25 }, (_, i) => i));
  const s = new DelayedScheduler({ redis, keys, name: 'h:1', now: () => 1_900_000_001_000, batch: 10 });
  assert.equal((await s.promote()).moved, 10);
  assert.equal(await redis.llen('resque:delayed:1900000000'), 15);
  assert.equal((await s.promote()).moved, 10);
  assert.equal((await s.promote()).moved, 5);
  const args = (await redis.lrange('resque:queue:q', 0, -1)).map((raw) => (JSON.parse(raw) as { args: number[] }).args[0]);
  assert.deepEqual(args, Array.from({ length: 25 }, (_, i) => i), 'every item once, in order');
});

test('remove and runNow find a delayed job by id; both answer false once it is gone', TEST, async () => {
  const a = await delayed.enqueueAt(1_900_000_000_000, 'q', 'A', 1);
  const b = await delayed.enqueueAt(1_900_000_000_000, 'q', 'B', 2);
  assert.equal(await delayed.remove(a), true);
  assert.equal(await delayed.remove(a), false);
  assert.equal(await delayed.runNow(b), true);
  assert.equal(await delayed.runNow(b), false);
  const queued = await redis.lrange('resque:queue:q', 0, -1);
  assert.equal(queued.length, 1);
  assert.equal((JSON.parse(queued[0]) as { id: string }).id, b);
  assert.equal(await redis.exists('resque:delayed:1900000000', 'resque:delayed_queue_schedule'), 0, 'empty second cleaned up');
  assert.equal(await delayed.remove('not-an-id'), false);
});

test('listing: due seconds oldest first with counts, paged; items of one second; totals', TEST, async () => {
  await delayed.enqueueBulkAt(1_900_000_002_000, 'q', 'C', [1, 2, 3]);
  await delayed.enqueueAt(1_900_000_001_000, 'q', 'C', 0);
  await delayed.enqueueAt(1_900_000_003_000, 'other', 'D', 9);
  assert.deepEqual(
    (await delayed.timestamps()).map(({ second, count }) => [second, count]),
    [[1_900_000_001, 1], [1_900_000_002, 3], [1_900_000_003, 1]],
  );
  assert.deepEqual((await delayed.timestamps(1, 1)).map((t) => t.second), [1_900_000_002]);
  assert.equal(await delayed.timestampCount(), 3);
  assert.equal(await delayed.count(), 5);
  const jobs = await delayed.jobsAt(1_900_000_002, 1, 5);
  assert.deepEqual(jobs.map((job) => job.payload?.args[0]), [2, 3]);
  assert.equal(jobs[0].queue, 'q');
});

test('foreign items: Ruby/node/php-resque-scheduler shapes are promoted as they are; a bad item is failed with a reason', TEST, async () => {
  const ruby = '{"class":"UserJob","args":[{"id":1}],"queue":"q"}';
  const node = '{"class":"UserJob","queue":"q","args":[{"id":2}]}';
  const php = '{"class":"UserJob","args":[{"email":"a\\/b"}],"queue":"q"}';
  const bad = ['not json', '{"class":"X","args":[],"queue":"a:b"}', '{"args":[],"queue":"q"}'];
  await redis.rpush('resque:delayed:1800000000', ruby, ...bad, node, php);
  await redis.zadd('resque:delayed_queue_schedule', 1_800_000_000, '1800000000');
  await redis.sadd(`resque:timestamps:${ruby}`, 'delayed:1800000000');
  const result = await scheduler(() => 1_900_000_000_000).promote();
  assert.deepEqual(result, { moved: 3, failed: 3, next: null });
  assert.deepEqual(await redis.lrange('resque:queue:q', 0, -1), [ruby, node, php], 'byte for byte');
  assert.equal(await redis.exists(`resque:timestamps:${ruby}`), 0);
  const failures = (await redis.lrange('resque:failed', 0, -1)).map((raw) => JSON.parse(raw) as { exception: string; payload: unknown; queue: string });
  assert.deepEqual(failures.map((f) => f.exception), ['InvalidDelayedItemError', 'InvalidDelayedItemError', 'InvalidDelayedItemError']);
  assert.deepEqual(failures.map((f) => f.payload), bad, 'the item is kept in the record');
});

test('one leader at a time: a second scheduler promotes nothing until the first stops', TEST, async () => {
  const a = new DelayedScheduler({ redis, keys, name: 'host-a:1', now: () => 1_900_000_001_000 });
  const b = new DelayedScheduler({ redis, keys, name: 'host-b:2', now: () => 1_900_000_001_000, lockRetryMs: 0 });
  await delayed.enqueueAt(1_900_000_000_000, 'q', 'C', 1);
  assert.ok(await a.step());
  assert.equal(a.leader, true);
  assert.equal(await b.step(), null, 'b is a follower');
  assert.equal(await redis.get('resque:scheduler-leader-lock'), 'host-a:1');
  assert.ok((await redis.ttl('resque:scheduler-leader-lock')) > 0, 'the lock expires if the leader dies');
  await a.stop();
  assert.equal(await redis.exists('resque:scheduler-leader-lock'), 0, 'released at stop');
  await delayed.enqueueAt(1_900_000_000_000, 'q', 'C', 2);
  const result = await b.step();
  assert.equal(b.leader, true);
  assert.equal(result?.moved, 1);
  assert.equal(await redis.llen('resque:queue:q'), 2);
  await b.stop();
});

test('a lock held by another host keeps us a follower, and stop() does not release it', TEST, async () => {
  await redis.set('resque:scheduler-leader-lock', 'node-host:99', 'EX', 60);
  const s = new DelayedScheduler({ redis, keys, name: 'host-a:1', now: () => 1_900_000_001_000 });
  assert.equal(await s.step(), null);
  await s.stop();
  assert.equal(await redis.get('resque:scheduler-leader-lock'), 'node-host:99', 'not released: not ours');
});

test('bad times and bad input are refused before anything is written', TEST, async () => {
  await assert.rejects(delayed.enqueueAt(Number.NaN, 'q', 'C', 1), InvalidDelayError);
  await assert.rejects(delayed.enqueueAt(new Date('nope'), 'q', 'C', 1), InvalidDelayError);
  await assert.rejects(delayed.enqueueAt(Date.now(), 'a:b', 'C', 1), { name: 'InvalidQueueNameError' });
  await assert.rejects(delayed.enqueueAt(Date.now(), 'q', 'C', () => 1), { name: 'InvalidJobDataError' });
  assert.deepEqual(await redis.keys('*'), []);
});

test('the running loop promotes on its own within its tick', TEST, async () => {
  let now = 1_900_000_000_000;
  const s = new DelayedScheduler({ redis, keys, name: 'host-a:1', now: () => now, tickMs: 20 });
  await delayed.enqueueAt(1_900_000_002_000, 'q', 'C', 1);
  s.start();
  try {
    const promoted = new Promise<number>((resolve) => {
      const poll = setInterval(async () => {
        const n = await redis.llen('resque:queue:q');
        if (n > 0) {
          clearInterval(poll);
          resolve(n);
        }
      }, 10);
      setTimeout(() => clearInterval(poll), 10_000).unref();
    });
    assert.equal(await redis.llen('resque:queue:q'), 0);
    now = 1_900_000_002_000;
    assert.equal(await promoted, 1);
  } finally {
    await s.stop();
  }
});
