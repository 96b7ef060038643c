/**
 * Retries through the delayed queue, on real Redis with our worker loop in-process and a clock
 * the test moves (the retry's due time and the scheduler's "now" both come from it).
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import {
  DelayedScheduler,
  JobStatus,
  ResqueClient,
  ResqueKeys,
  UnrecoverableError,
  listRetrying,
  retryDelay,
  type JobClassPolicy,
  type JobContext,
  type RetryOptions,
} from '../../lib/index.js';
import { useLoopWorkers } from '../support/loop-workers.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

/** No test may hang: each ends within this, whatever it awaits. */
const TEST = { timeout: 30_000 };

let server: RedisServer;
let redis: Redis;
const keys = new ResqueKeys('resque');
let client: ResqueClient;
let clock = 1_900_000_000_000;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  client = new ResqueClient({ redis, keys });
}, { timeout: 15_000 });
const workers = useLoopWorkers(() => server, keys);
afterEach(async () => {
  await redis.flushdb();
}, { timeout: 15_000 });
after(async () => {
  redis.disconnect();
  await server.destroy();
}, { timeout: 15_000 });

/** A worker on queue q whose job `run` decides, with retries per class and the test's clock. */
function startWorker(run: (ctx: JobContext) => unknown, policies: Record<string, RetryOptions>): void {
  const retries: Record<string, JobClassPolicy> = {};
  for (const [name, retry] of Object.entries(policies)) retries[name] = { retry };
  workers.start(run, { policies: retries, clock: () => clock });
}

const promote = () => new DelayedScheduler({ redis, keys, name: 't:1', now: () => clock }).promote();
const failedRecords = async () => (await redis.lrange('resque:failed', 0, -1)).map((raw) => JSON.parse(raw) as { exception: string; error: string; payload: { id: string } });

test('a job that fails twice then succeeds: two retries through the delayed queue, one success, no failure record', TEST, async () => {
  const attempts: number[] = [];
  startWorker(
    (ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error(`flaky ${ctx.attempt}`);
    },
    { Flaky: { attempts: 5, backoff: 'exponential', delay: 10_000 } },
  );
  const id = await client.enqueue('q', 'Flaky', { n: 1 }, true);
  await waitFor(async () => (await redis.zcard('resque:delayed_queue_schedule')) === 1, 'the first retry to be delayed');
  assert.deepEqual(await failedRecords(), [], 'no failure record for a retried attempt');
  const status = JSON.parse((await redis.get(`resque:job:${id}:status`))!) as { status: number; attempt: number };
  assert.deepEqual([status.status, status.attempt], [JobStatus.Waiting, 2], 'status shows it waits for attempt 2');
  const [waiting] = await listRetrying(client);
  assert.equal(waiting.className, 'Flaky');
  assert.equal(waiting.id, id);
  assert.equal(waiting.failedAttempts, 1);
  assert.equal(waiting.error, 'flaky 1');
  assert.equal(waiting.next.getTime(), clock + 10_000, 'exponential: delay after the first failure');

  assert.equal((await promote()).moved, 0, 'not due yet');
  clock += 10_000;
  assert.equal((await promote()).moved, 1);
  await waitFor(async () => (await listRetrying(client))[0]?.failedAttempts === 2, 'the second failure');
  assert.equal((await listRetrying(client))[0].next.getTime(), clock + 20_000, 'exponential: twice the delay');
  clock += 20_000;
  assert.equal((await promote()).moved, 1);
  await waitFor(async () => (await client.status(id))?.status === JobStatus.Complete, 'the third attempt to complete');
  assert.deepEqual(attempts, [1, 2, 3], 'context.attempt counts runs');
  assert.deepEqual(await failedRecords(), []);
  await waitFor(async () => (await redis.hlen('resque:retry-info')) === 0, 'the count to be forgotten after success');
  assert.deepEqual(await listRetrying(client), []);
  assert.equal(await redis.get('resque:stat:processed'), '3');
  assert.equal(await redis.get('resque:stat:failed'), '2', 'each failed attempt counts as failed');
});

test('attempts are a hard limit: the last attempt writes the one failure record', TEST, async () => {
  const attempts: number[] = [];
  startWorker(
    (ctx) => {
      attempts.push(ctx.attempt);
      throw new Error('always');
    },
    { Broken: { attempts: 2, backoff: 'fixed', delay: 1000 } },
  );
  const id = await client.enqueue('q', 'Broken', {}, true);
  await waitFor(async () => (await redis.zcard('resque:delayed_queue_schedule')) === 1, 'the retry to be delayed');
  clock += 1000;
  await promote();
  await waitFor(async () => (await failedRecords()).length === 1, 'the final failure');
  assert.deepEqual(attempts, [1, 2]);
  const [record] = await failedRecords();
  assert.equal(record.error, 'always');
  assert.equal(record.payload.id, id);
  assert.equal((await client.status(id))?.status, JobStatus.Failed);
  assert.deepEqual(await listRetrying(client), []);
  assert.equal(await redis.zcard('resque:delayed_queue_schedule'), 0);
});

test('UnrecoverableError and errors retryIf refuses fail at once', TEST, async () => {
  startWorker(
    (ctx) => {
      throw ctx.className === 'Fatal' ? new UnrecoverableError('no point') : new TypeError('bad input');
    },
    { Fatal: { attempts: 5 }, Picky: { attempts: 5, retryIf: (e) => !(e instanceof TypeError) } },
  );
  await client.enqueue('q', 'Fatal', {});
  await client.enqueue('q', 'Picky', {});
  await waitFor(async () => (await failedRecords()).length === 2, 'both to fail');
  assert.deepEqual((await failedRecords()).map((r) => r.exception).sort(), ['TypeError', 'UnrecoverableError']);
  assert.equal(await redis.zcard('resque:delayed_queue_schedule'), 0, 'nothing retried');
});

test('the count survives a promoter that rewrites the payload without its id (Ruby resque-scheduler)', TEST, async () => {
  const attempts: number[] = [];
  startWorker(
    (ctx) => {
      attempts.push(ctx.attempt);
      throw new Error('down');
    },
    { Remote: { attempts: 3, backoff: [1000] } },
  );
  await client.enqueue('q', 'Remote', { user: 7, tags: ['a/b', 'é'] });
  for (let retry = 1; retry <= 2; retry++) {
    await waitFor(async () => (await redis.zcard('resque:delayed_queue_schedule')) === 1, `retry ${retry} to be delayed`);
    // Ruby's promoter: LPOP the item, Resque.enqueue_to(queue, class, *args) → {"class","args"} re-encoded.
    const [second] = await redis.zrange('resque:delayed_queue_schedule', '0', '0');
    const item = JSON.parse((await redis.lpop(`resque:delayed:${second}`))!) as { class: string; args: unknown[]; queue: string };
    await redis.multi().del(`resque:delayed:${second}`).zrem('resque:delayed_queue_schedule', second).rpush(`resque:queue:${item.queue}`, JSON.stringify({ class: item.class, args: item.args })).exec();
  }
  await waitFor(async () => (await failedRecords()).length === 1, 'the last attempt to fail');
  assert.deepEqual(attempts, [1, 2, 3], 'never more than 3 runs');
});

test('backoff shapes: fixed, exponential, a list (its last repeats), a function; jitter only shortens; a cap', TEST, () => {
  const e = new Error('x');
  assert.deepEqual([1, 2, 3].map((n) => retryDelay({ attempts: 9, backoff: 'fixed', delay: 500 }, n, e)), [500, 500, 500]);
  assert.deepEqual([1, 2, 3].map((n) => retryDelay({ attempts: 9, delay: 500 }, n, e)), [500, 1000, 2000]);
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay({ attempts: 9, backoff: [10, 20, 30] }, n, e)), [10, 20, 30, 30]);
  assert.deepEqual([1, 2].map((n) => retryDelay({ attempts: 9, backoff: (a) => a * 7 }, n, e)), [7, 14]);
  assert.equal(retryDelay({ attempts: 9, delay: 1000, jitter: 0.5 }, 1, e, () => 1), 500);
  assert.equal(retryDelay({ attempts: 9, delay: 1000, jitter: 0.5 }, 1, e, () => 0), 1000);
  assert.equal(retryDelay({ attempts: 99, delay: 1000, maxDelay: 60_000 }, 30, e), 60_000);
});
