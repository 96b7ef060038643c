/**
 * node-resque 9.7.1 (npm) as a real peer on a private redis-server, default namespace `resque`,
 * one db per test: its producer feeds our worker, our producer feeds its worker, each reads and
 * retries the other's failure records, and it sees our worker in its registry.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { Job, JobRunner, ResqueClient, ResqueKeys, type JobContext, type ResqueJob } from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';
import { waitFor } from '../support/wait.js';
import { InProcessWorker, MANY_DATABASES, freshDb, redisOn } from './fixtures/in-process-worker.js';
import { nodeConnection, nodeQueue, runNodeWorker } from './fixtures/node-resque.js';

let server: RedisServer;
const clients: Redis[] = [];
before(async () => {
  server = await RedisServer.start({ extraArgs: MANY_DATABASES });
});
after(async () => {
  for (const c of clients) c.disconnect();
  await server.destroy();
});

/** A fresh db with our Redis client and ResqueClient on the default `resque` prefix. */
function setup() {
  const db = freshDb();
  const redis = redisOn(server, db);
  clients.push(redis);
  const keys = new ResqueKeys();
  return { db, redis, keys, client: new ResqueClient({ redis, keys }), node: nodeConnection(server, db) };
}

const user = { name: 'José', email: 'jose/ramírez@example.com', tags: [], nested: { n: 1.5 } };

describe('node-resque producer → our worker', () => {
  test('Queue.enqueue(UserJobQueue, UserJob, [data]) runs with ctx.data = the object and ctx.args = node args', async () => {
    const { db, redis, keys, node } = setup();
    const queue = await nodeQueue(node);
    await queue.enqueue('UserJobQueue', 'UserJob', [user]);
    await queue.end();
    const seen: JobContext[] = [];
    const worker = new InProcessWorker({ server, db, queues: ['UserJobQueue'], maxJobs: 1, run: (ctx) => void seen.push(ctx) });
    await worker.run();
    await worker.close();
    assert.equal(seen.length, 1);
    const [ctx] = seen;
    assert.equal(ctx.className, 'UserJob');
    assert.equal(ctx.queue, 'UserJobQueue');
    assert.deepEqual(ctx.data, user);
    assert.deepEqual(ctx.args, [user]);
    assert.equal(ctx.id, undefined, 'node payloads carry no id');
    assert.equal(ctx.raw, JSON.stringify({ class: 'UserJob', queue: 'UserJobQueue', args: [user] }));
    assert.equal(await redis.get(keys.statProcessed()), '1');
    assert.equal(await redis.get(keys.statFailed()), null);
    assert.equal(await redis.llen(keys.failed), 0);
    assert.deepEqual(worker.errors, []);
  });

  test('a @Job(UserJobQueue) class run through Nest JobRunner gets node-resque jobs with several args', async () => {
    const performed: Array<{ data: unknown; args: readonly unknown[] }> = [];
    @Job('UserJobQueue')
    class UserJob implements ResqueJob<unknown> {
      perform(data: unknown, ctx: JobContext): void {
        performed.push({ data, args: ctx.args });
      }
    }
    const { db, redis, keys, node } = setup();
    const { app } = await bootResque(server, [UserJob]);
    const runner = app.get(JobRunner);
    const queue = await nodeQueue(node);
    await queue.enqueue('UserJobQueue', 'UserJob', [user]);
    await queue.enqueue('UserJobQueue', 'UserJob', [1, 'two', null]);
    await queue.enqueue('UserJobQueue', 'UserJob'); // node's default args: []
    await queue.end();
    const worker = new InProcessWorker({ server, db, queues: ['UserJobQueue'], maxJobs: 3, run: (ctx) => runner.run(ctx) });
    await worker.run();
    await worker.close();
    await app.close();
    assert.deepEqual(performed, [
      { data: user, args: [user] },
      { data: 1, args: [1, 'two', null] },
      { data: undefined, args: [] },
    ]);
    assert.equal(await redis.get(keys.statProcessed()), '3');
    assert.equal(await redis.llen(keys.failed), 0);
  });
});

describe('namespaces', () => {
  test('node connection.namespace ["resque","app"] and our prefix "resque:app" are the same keys, both ways', async () => {
    const db = freshDb();
    const redis = redisOn(server, db);
    clients.push(redis);
    const keys = new ResqueKeys('resque:app');
    const node = { ...nodeConnection(server, db), namespace: ['resque', 'app'] };
    const queue = await nodeQueue(node);
    await queue.enqueue('q', 'FromNode', [{ n: 1 }]);
    await queue.end();
    assert.deepEqual(await redis.lrange('resque:app:queue:q', 0, -1), ['{"class":"FromNode","queue":"q","args":[{"n":1}]}']);
    const seen: JobContext[] = [];
    const worker = new InProcessWorker({ server, db, keys, queues: ['q'], maxJobs: 1, run: (ctx) => void seen.push(ctx) });
    await worker.run();
    await worker.close();
    assert.deepEqual(seen.map((c) => c.args), [[{ n: 1 }]]);

    await new ResqueClient({ redis, keys }).enqueue('q', 'FromUs', { n: 2 });
    const received: unknown[] = [];
    const run = await runNodeWorker(node, ['q'], { FromUs: { perform: async (data: unknown) => void received.push(data) } }, 1);
    assert.equal(run.successes, 1);
    assert.deepEqual(received, [{ n: 2 }]);
    assert.equal(await redis.get('resque:app:stat:processed'), '2', 'both counted on the same key');
    assert.equal(await redis.exists('resque:stat:processed'), 0);
  });
});

describe('our producer → node-resque worker', () => {
  test('ResqueClient.enqueue(q, UserJob, data) reaches node perform() as its first argument', async () => {
    const { redis, keys, client, node } = setup();
    await client.enqueue('q', 'UserJob', user);
    assert.deepEqual(await redis.smembers(keys.queues), ['q']);
    const queue = await nodeQueue(node);
    assert.deepEqual(await queue.queues(), ['q']);
    assert.equal(await queue.length('q'), 1);
    await queue.end();
    const received: unknown[][] = [];
    const run = await runNodeWorker(node, ['q'], { UserJob: { perform: async (...args: unknown[]) => void received.push(args) } }, 1);
    assert.deepEqual(run, { successes: 1, failures: 0, errors: [] });
    assert.deepEqual(received, [[user]], 'php-style args [data]: data is the only argument');
    assert.equal(await redis.get(keys.statProcessed()), '1');
    assert.equal(await redis.llen(keys.queue('q')), 0);
    assert.equal(await redis.scard(keys.workers), 0, 'node un-registered at end()');
  });

  test("a traced payload (the otel field of forRoot({ tracing: true })) runs on node-resque's worker with its args intact", async () => {
    const { redis, client, node } = setup();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await client.push('q', [client.prepare('q', 'UserJob', user, false, JSON.stringify({ traceparent, tracestate: 'a=1' }))]);
    assert.match((await redis.lindex('resque:queue:q', 0))!, /"otel":\{"traceparent"/);
    const received: unknown[][] = [];
    const run = await runNodeWorker(node, ['q'], { UserJob: { perform: async (...args: unknown[]) => void received.push(args) } }, 1);
    assert.deepEqual(run, { successes: 1, failures: 0, errors: [] });
    assert.deepEqual(received, [[user]]);
  });
});

describe('failure records across implementations', () => {
  test('our failure record is read by node queue.failed() and retried by retryAndRemoveFailed(record)', async () => {
    const { db, redis, keys, client, node } = setup();
    const id = await client.enqueue('q', 'UserJob', user);
    let attempts = 0;
    const seen: JobContext[] = [];
    const run = (ctx: JobContext) => {
      seen.push(ctx);
      if (++attempts === 1) throw new TypeError('boom "quoted" / ünïcode');
    };
    const first = new InProcessWorker({ server, db, queues: ['q'], maxJobs: 1, run });
    await first.run();
    await first.close();

    const queue = await nodeQueue(node);
    assert.equal(await queue.failedCount(), 1);
    const [record] = await queue.failed(0, -1);
    assert.equal(record.exception, 'TypeError');
    assert.equal(record.error, 'boom "quoted" / ünïcode');
    assert.ok(Array.isArray(record.backtrace) && record.backtrace.length > 0);
    assert.equal(record.worker, first.id);
    assert.equal(record.queue, 'q');
    assert.ok(!Number.isNaN(Date.parse(record.failed_at)));
    assert.equal(record.payload.class, 'UserJob');
    assert.deepEqual(record.payload.args, [user]);
    assert.equal((record.payload as { id?: string }).id, id);
    // node's removal re-serializes the record: it only works when ours is byte-for-byte JS-shaped.
    const [stored] = await redis.lrange(keys.failed, 0, -1);
    assert.equal(JSON.stringify(record), stored);
    await queue.retryAndRemoveFailed(record);
    assert.equal(await queue.failedCount(), 0);
    assert.deepEqual(await queue.queued('q', 0, -1), [{ class: 'UserJob', queue: 'q', args: [user] }]);
    await queue.end();

    const second = new InProcessWorker({ server, db, queues: ['q'], maxJobs: 1, run });
    await second.run();
    await second.close();
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[1].data, user, 'the retried job runs again with the same data');
    assert.equal(await redis.get(keys.statProcessed()), '2');
    assert.equal(await redis.get(keys.statFailed()), '1');
    assert.equal(await redis.llen(keys.failed), 0);
  });

  test("node-resque's failure records are listed by ResqueClient.failed() and retried by ours", async () => {
    const { db, redis, keys, client, node } = setup();
    const queue = await nodeQueue(node);
    await queue.enqueue('q', 'Flaky', [{ n: 1 }, 'x']);
    await queue.enqueue('q', 'NoStack', [{ n: 2 }]);
    await queue.end();
    const run = await runNodeWorker(
      node,
      ['q'],
      {
        Flaky: { perform: async () => { throw new RangeError('node boom'); } },
        // An error without a stack: node writes "backtrace": null.
        NoStack: { perform: async () => { throw { name: 'CustomFailure', message: 'no stack here' }; } },
      },
      2,
    );
    assert.equal(run.failures, 2);

    const failed = await client.failed(0, 10);
    assert.equal(failed.length, 2);
    assert.equal(await client.failedCount(), 2);
    const [flaky, noStack] = failed;
    assert.equal(flaky.index, 0);
    assert.ok(flaky.record);
    assert.equal(flaky.record.exception, 'RangeError');
    assert.equal(flaky.record.error, 'node boom');
    assert.equal(flaky.record.worker, 'nodehost:4242');
    assert.equal(flaky.record.queue, 'q');
    assert.ok(Array.isArray(flaky.record.backtrace) && flaky.record.backtrace.length > 0);
    assert.ok(!Number.isNaN(Date.parse(flaky.record.failed_at)), 'JS Date#toString failed_at');
    assert.deepEqual(flaky.record.payload, { class: 'Flaky', queue: 'q', args: [{ n: 1 }, 'x'] });
    assert.ok(noStack.record);
    assert.equal(noStack.record.backtrace, null, "node's null backtrace is passed through");
    assert.equal(noStack.record.exception, 'CustomFailure');

    // Ruby-style retry: the record stays (marked retried_at) and the payload goes back byte for byte.
    await client.retryFailed(0);
    const [marked] = await client.failed(0, 1);
    assert.ok(marked.record?.retried_at && !Number.isNaN(Date.parse(marked.record.retried_at)));
    assert.equal(marked.raw.slice(0, flaky.raw.length - 1), flaky.raw.slice(0, -1), 'only retried_at was appended');
    assert.deepEqual(await redis.lrange(keys.queue('q'), 0, -1), ['{"class":"Flaky","queue":"q","args":[{"n":1},"x"]}']);
    // Retry-and-remove works on the null-backtrace record too.
    await client.retryAndRemoveFailed(1);
    assert.equal(await client.failedCount(), 1);
    assert.deepEqual(await redis.lrange(keys.queue('q'), 0, -1), [
      '{"class":"Flaky","queue":"q","args":[{"n":1},"x"]}',
      '{"class":"NoStack","queue":"q","args":[{"n":2}]}',
    ]);

    const seen: JobContext[] = [];
    const worker = new InProcessWorker({ server, db, queues: ['q'], maxJobs: 2, run: (ctx) => void seen.push(ctx) });
    await worker.run();
    await worker.close();
    assert.deepEqual(seen.map((c) => [c.className, c.args]), [['Flaky', [{ n: 1 }, 'x']], ['NoStack', [{ n: 2 }]]]);
    assert.equal(await redis.llen(keys.failed), 1, 'only the retried_at-marked record is left');
  });
});

describe('our worker in node-resque registry', () => {
  test('queue.workers() lists it and allWorkingOn() shows the job it runs', async () => {
    const { db, client, node } = setup();
    await client.enqueue('q', 'SlowJob', user);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let running = false;
    const worker = new InProcessWorker({
      server,
      db,
      queues: ['q', 'other'],
      maxJobs: 1,
      run: async () => {
        running = true;
        await gate;
      },
    });
    const done = worker.start();
    await waitFor(() => running, 'our worker runs the job');
    const queue = await nodeQueue(node);
    try {
      assert.deepEqual(await queue.workers(), { [worker.name]: 'q,other' });
      const working = await queue.allWorkingOn();
      const entry = working[worker.name];
      assert.ok(typeof entry === 'object' && entry !== null, `allWorkingOn keyed by our "worker" field: ${JSON.stringify(working)}`);
      assert.equal(entry.worker, worker.name);
      assert.equal(entry.queue, 'q');
      assert.equal(entry.payload.class, 'SlowJob');
      assert.deepEqual(entry.payload.args, [user]);
      assert.ok(Date.now() - Date.parse(entry.run_at) < 60_000, 'run_at parses with Date.parse (cleanOldWorkers)');
      assert.ok(await queue.workingOn(worker.name, 'q,other'));
      // A huge age: node's cleanOldWorkers must leave a live, fresh worker alone.
      assert.deepEqual(await queue.cleanOldWorkers(3_600_000), {});
    } finally {
      release();
      await done;
    }
    assert.deepEqual(await queue.workers(), {}, 'gone from the registry after unregister');
    assert.deepEqual(await queue.allWorkingOn(), {});
    await queue.end();
    await worker.close();
  });
});
