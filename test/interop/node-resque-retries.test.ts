/**
 * Retries across node-resque 9.7.1 (a real peer from npm) and us, through resque-scheduler's
 * shared delayed queue: node's Retry plugin re-enqueues a failed attempt with enqueueIn and our
 * scheduler promotes it; our retry puts a failed attempt in the delayed queue and node's Scheduler
 * promotes it (re-encoding it without our id), and our count of attempts survives that.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import NodeResque from 'node-resque';
import { DelayedScheduler, ResqueClient, ResqueKeys } from '../../lib/index.js';
import { useLoopWorkers } from '../support/loop-workers.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { nodeConnection, nodeQueue } from './fixtures/node-resque.js';

/** No test may hang: each ends within this, whatever it awaits. */
const TEST = { timeout: 30_000 };
const { Plugins, Scheduler, Worker } = NodeResque;

let server: RedisServer;
let redis: Redis;
const keys = new ResqueKeys('resque');
let client: ResqueClient;
const cleanups: Array<() => Promise<unknown>> = [];
const workers = useLoopWorkers(() => server, keys);

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  client = new ResqueClient({ redis, keys });
}, { timeout: 15_000 });
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  await redis.flushdb();
}, { timeout: 15_000 });
after(async () => {
  redis.disconnect();
  await server.destroy();
}, { timeout: 15_000 });

test("node-resque's Retry plugin: its retry waits in the delayed queue, our scheduler promotes it, the node worker's second attempt succeeds", TEST, async () => {
  const queue = await nodeQueue(nodeConnection(server, 0));
  cleanups.push(() => queue.end());
  const attempts: number[] = [];
  const worker = new Worker(
    { connection: { ...nodeConnection(server, 0) }, queues: ['q'], timeout: 20, name: 'nodehost:1' },
    {
      Flaky: {
        plugins: [Plugins.Retry],
        pluginOptions: { Retry: { retryLimit: 2, retryDelay: 1_000 } },
        perform: async () => {
          attempts.push(Date.now());
          if (attempts.length === 1) throw new Error('first attempt fails');
          return 'ok';
        },
      },
    },
  );
  worker.on('error', () => undefined);
  await worker.connect();
  cleanups.push(() => worker.end());
  await worker.start();
  await queue.enqueue('q', 'Flaky', [{ order: 7 }]);
  await waitFor(async () => (await redis.zcard('resque:delayed_queue_schedule')) === 1, "node's Retry plugin to delay the second attempt");
  const [second] = await redis.zrange('resque:delayed_queue_schedule', '0', '0');
  const ours = new DelayedScheduler({ redis, keys, name: 'us:1', now: () => Number(second) * 1000 });
  assert.equal((await ours.promote()).moved, 1, 'our scheduler promotes the peer\'s retry');
  await waitFor(() => attempts.length === 2 || undefined, 'the second attempt');
  assert.deepEqual(await client.failed(), [], 'the retry succeeded: no failure record');
  assert.deepEqual(await redis.keys('resque:timestamps:*'), []);
});

test("our retry: the failed attempt waits in the delayed queue, node-resque's Scheduler promotes it, and our worker's attempt 2 knows it is attempt 2", TEST, async () => {
  const seen: Array<{ attempt: number; args: unknown }> = [];
  workers.start(
    (ctx) => {
      seen.push({ attempt: ctx.attempt, args: ctx.args });
      if (ctx.attempt === 1) throw new Error('first attempt fails');
    },
    { policies: { Flaky: { retry: { attempts: 2, backoff: 'fixed', delay: 1_000 } } }, blocking: true, interval: 1 },
  );
  await client.enqueue('q', 'Flaky', { order: 8 });
  await waitFor(async () => (await redis.zcard('resque:delayed_queue_schedule')) === 1, 'our retry to delay the second attempt');
  const scheduler = new Scheduler({ connection: nodeConnection(server, 0), timeout: 50, name: 'node-host:7' });
  scheduler.on('error', () => undefined);
  await scheduler.connect();
  cleanups.push(() => scheduler.end());
  await scheduler.start();
  await waitFor(() => seen.length === 2 || undefined, 'the second attempt, promoted by node-resque');
  assert.deepEqual(seen.map((s) => s.attempt), [1, 2], 'the attempt count survived node\'s re-encoding');
  assert.deepEqual(seen[1].args, seen[0].args);
  assert.deepEqual(await client.failed(), []);
  await waitFor(async () => (await redis.hlen('resque:retry-info')) === 0, 'the count to be cleared after the success');
});
