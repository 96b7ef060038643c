/**
 * Delayed jobs across node-resque 9.7.1 (a real peer from npm) and us, on one Redis:
 * node's enqueueAt items promoted by our scheduler, ours by node's Scheduler, and one leader
 * between the two schedulers (they share node's lock key).
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Scheduler } from 'node-resque';
import { DelayedJobs, DelayedScheduler, JobStatus, ResqueClient, ResqueKeys } from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { nodeConnection, nodeQueue } from './fixtures/node-resque.js';

/** No test may hang: each ends within this, whatever it awaits. */
const TEST = { timeout: 30_000 };

let server: RedisServer;
let redis: Redis;
const keys = new ResqueKeys('resque');
let client: ResqueClient;
let delayed: DelayedJobs;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  client = new ResqueClient({ redis, keys });
  delayed = new DelayedJobs(client);
}, { timeout: 15_000 });
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  await redis.flushdb();
}, { timeout: 15_000 });
after(async () => {
  redis.disconnect();
  await server.destroy();
}, { timeout: 15_000 });

test('node-resque enqueueAt items are promoted by our scheduler, byte for byte, with its timestamps: set cleared', TEST, async () => {
  const queue = await nodeQueue(nodeConnection(server, 0));
  cleanups.push(() => queue.end());
  await queue.enqueueAt(1_700_000_000_000, 'q', 'UserJob', [{ id: 1 }, 'second arg']);
  const [item] = await redis.lrange('resque:delayed:1700000000', 0, -1);
  const ours = new DelayedScheduler({ redis, keys, name: 'us:1', now: () => 1_700_000_000_000 });
  assert.deepEqual(await ours.promote(), { moved: 1, failed: 0, next: null });
  assert.deepEqual(await redis.lrange('resque:queue:q', 0, -1), [item]);
  assert.deepEqual(await queue.scheduledAt('q', 'UserJob', [{ id: 1 }, 'second arg']), [], 'node sees it is no longer scheduled');
  assert.deepEqual(await queue.queued('q', 0, -1), [{ class: 'UserJob', queue: 'q', args: [{ id: 1 }, 'second arg'] }]);
});

test('node-resque\'s Scheduler promotes our items re-encoded without id (the peer\'s behaviour); the WAITING status then expires', TEST, async () => {
  const id = await delayed.enqueueAt(Date.now() - 5_000, 'q', 'UserJob', { email: 'a@example.com' }, true);
  const scheduler = new Scheduler({ connection: nodeConnection(server, 0), timeout: 50, name: 'node-host:7' });
  scheduler.on('error', () => undefined);
  await scheduler.connect();
  cleanups.push(() => scheduler.end());
  await scheduler.start();
  await waitFor(async () => (await redis.llen('resque:queue:q')) === 1, 'node-resque to promote our job');
  assert.deepEqual(await redis.lrange('resque:queue:q', 0, -1), ['{"class":"UserJob","queue":"q","args":[{"email":"a@example.com"}]}']);
  assert.equal((await client.status(id))?.status, JobStatus.Waiting);
  assert.ok((await redis.ttl(`resque:job:${id}:status`)) > 0, 'the orphaned WAITING status expires');
  assert.deepEqual(await redis.keys('resque:timestamps:*'), []);
  assert.equal(await delayed.at(id), null, 'we see it is no longer delayed');
  assert.deepEqual(await redis.keys('resque:delayed*'), [], 'and the stale index entry is gone');
});

test('node-resque\'s Scheduler and ours promote side by side (different lock keys): 300 due jobs, each queued once', TEST, async () => {
  const queue = await nodeQueue(nodeConnection(server, 0));
  cleanups.push(() => queue.end());
  const due = Date.now() - 2_000;
  for (let i = 0; i < 150; i++) await queue.enqueueAt(due, 'q', 'NodeJob', [i]);
  await delayed.enqueueBulkAt(due, 'q', 'OurJob', Array.from({ length: 150 }, (_, i) => i));
  const scheduler = new Scheduler({ connection: nodeConnection(server, 0), timeout: 20, name: 'node-host:7' });
  scheduler.on('error', () => undefined);
  await scheduler.connect();
  cleanups.push(() => scheduler.end());
  await redis.zadd('resque:delayed_queue_schedule', 4_000_000_000, '4000000000'); // keeps node polling
  await scheduler.start();
  await waitFor(async () => (await redis.get('resque:resque_scheduler_leader_lock')) === 'node-host:7', 'node to lead');
  const ours = new DelayedScheduler({ redis, keys, name: 'us:1', tickMs: 5, batch: 7 });
  cleanups.push(() => ours.stop());
  ours.start();
  await waitFor(async () => (await redis.llen('resque:queue:q')) >= 300 && (await redis.zcard('resque:delayed_queue_schedule')) === 1, 'both schedulers to promote everything');
  const queued = (await redis.lrange('resque:queue:q', 0, -1)).map((raw) => JSON.parse(raw) as { class: string; args: [number] });
  assert.equal(queued.length, 300, 'nothing promoted twice');
  for (const name of ['NodeJob', 'OurJob']) {
    const seen = queued.filter((job) => job.class === name).map((job) => job.args[0]).sort((x, y) => x - y);
    assert.deepEqual(seen, Array.from({ length: 150 }, (_, i) => i), `${name}: every job exactly once`);
  }
  assert.equal(await redis.get('resque:resque_scheduler_leader_lock'), 'node-host:7');
  assert.equal(await redis.get('resque:scheduler-leader-lock'), 'us:1');
});
