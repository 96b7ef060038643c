import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { createPerformer } from '../../lib/worker/job-performer.js';
import { RedisWorkerOperations } from '../../lib/worker/redis-operations.js';
import { recoverJobs } from '../../lib/worker/host/recover-jobs.js';
import { DEFAULT_WORKER_SETTINGS } from '../../lib/options/worker-settings.js';
import { enqueueJobs } from '../../lib/protocol/scripts/enqueue-jobs.js';
import { ResqueClient } from '../../lib/client/resque-client.js';
import { WorkerLoop, type WorkerOperations } from '../../lib/worker/worker-loop.js';
import type { JobContext } from '../../lib/worker/job-context.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';
import { waitFor } from '../support/wait.js';

let server: RedisServer;
let redis: Redis;
before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
// Whatever a test did (a failed assertion included), its workers stop and disconnect: nothing hangs.
const openWorkers = new Set<{ close(): Promise<void> }>();
afterEach(async () => {
  for (const worker of openWorkers) await worker.close();
});
after(async () => {
  redis.disconnect();
  await server.destroy();
});

function makeWorker(options: {
  keys: ResqueKeys;
  queues: string[];
  run: (ctx: JobContext) => Promise<unknown> | unknown;
  maxJobs?: number;
  concurrency?: number;
  blocking?: boolean;
  interval?: number;
  /** Lets a test see or steer the loop's calls to Redis. */
  wrapOps?: (ops: WorkerOperations) => WorkerOperations;
  onInvalidQueue?: (name: string, problem: string) => void;
  prefetch?: number;
}) {
  const client = new Redis(server.url, { maxRetriesPerRequest: null });
  const workerId = `testhost:${1000 + Math.floor(Math.random() * 1e6)}:${options.queues.join(',')}`;
  const ops = new RedisWorkerOperations({
    redis: client,
    keys: options.keys,
    target: { workerId, workerName: 'testhost:1', queues: options.queues },
    blocking: options.blocking ?? false,
    maxCrashRequeues: 3,
    onInvalidQueue: options.onInvalidQueue,
    marksStarts: (options.prefetch ?? 0) > 0,
  });
  const perform = createPerformer({
    keys: options.keys,
    workerId,
    run: async (ctx) => options.run(ctx),
  });
  const loop = new WorkerLoop(options.wrapOps?.(ops) ?? ops, perform, {
    concurrency: options.concurrency ?? 1,
    maxJobs: options.maxJobs ?? 0,
    interval: options.interval ?? 0.05,
    prefetch: options.prefetch ?? 0,
  });
  const worker = {
    workerId,
    ops,
    loop,
    async close() {
      openWorkers.delete(worker);
      loop.stop();
      await ops.close();
      client.disconnect();
    },
  };
  openWorkers.add(worker);
  return worker;
}

// The blocking tests use INTERVAL=30 s and a 5 s test timeout: a worker that slept its interval
// instead of waking on the push, or a stop() that waited the block out, fails them.
describe('worker loop on real Redis', () => {
  test('runs queued jobs once each, acknowledges them and leaves nothing in flight', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const payloads = [1, 2, 3].map((n) => `{"class":"UserJob","args":[{"n":${n}}],"id":"id${n}","queue_time":1718022896.5}`);
    await redis.rpush(keys.queue('q'), ...payloads);
    const seen: unknown[] = [];
    const worker = makeWorker({ keys, queues: ['q'], maxJobs: 3, run: (ctx) => seen.push(ctx.data) });
    await worker.ops.register();
    await worker.loop.run();
    assert.deepEqual(seen, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.equal(await redis.get(keys.statProcessed()), '3');
    assert.equal(await redis.get(keys.statProcessed(worker.workerId)), '3');
    assert.equal(await redis.hlen(keys.inflight(worker.workerId)), 0);
    assert.equal(await redis.exists(keys.worker(worker.workerId)), 0);
    assert.equal(await redis.llen(keys.queue('q')), 0);
    await worker.close();
  });

  test('keeps the payload bytes in worker:<id> while a job runs', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const raw = '{"class":"UserJob","args":[{"email":"a\\/b@example.com","big":12345678901234567890,"list":[]}],"id":"abc","queue_time":1718022896.123456}';
    await redis.rpush(keys.queue('q'), raw);
    let record: string | null = null;
    const worker = makeWorker({
      keys,
      queues: ['q'],
      maxJobs: 1,
      run: async (ctx) => {
        record = await redis.get(keys.worker(ctx.workerId));
      },
    });
    await worker.loop.run();
    assert.ok(record, 'worker:<id> is set while the job runs');
    assert.ok((record as string).includes(`"payload":${raw}`), 'payload stored byte for byte');
    const parsed = JSON.parse(record as string);
    assert.equal(parsed.queue, 'q');
    assert.match(parsed.run_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(parsed.worker, 'testhost:1');
    await worker.close();
  });

  test('takes from queues in priority order', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    await redis.rpush(keys.queue('low'), '{"class":"J","args":["low1"]}', '{"class":"J","args":["low2"]}');
    await redis.rpush(keys.queue('high'), '{"class":"J","args":["high1"]}');
    const seen: unknown[] = [];
    const worker = makeWorker({ keys, queues: ['high', 'low'], maxJobs: 3, run: (ctx) => seen.push(ctx.data) });
    await worker.loop.run();
    assert.deepEqual(seen, ['high1', 'low1', 'low2']);
    await worker.close();
  });

  test('* takes from every queue in `queues`, alphabetically', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    for (const q of ['b', 'a']) {
      await redis.sadd(keys.queues, q);
      await redis.rpush(keys.queue(q), `{"class":"J","args":["${q}"]}`);
    }
    const seen: unknown[] = [];
    const worker = makeWorker({ keys, queues: ['*'], maxJobs: 2, run: (ctx) => seen.push(ctx.data) });
    await worker.loop.run();
    assert.deepEqual(seen, ['a', 'b']);
    await worker.close();
  });

  test('a failing job becomes a seven-field failure record holding the exact payload', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const raw = '{"class":"UserJob","args":[{"url":"http:\\/\\/x"}],"id":"f1","queue_time":1.5}';
    await redis.rpush(keys.queue('q'), raw);
    await redis.set(keys.jobStatus('f1'), '{"status":1,"updated":1,"started":1}');
    const worker = makeWorker({
      keys,
      queues: ['q'],
      maxJobs: 1,
      run: () => {
        throw new TypeError('boom');
      },
    });
    await worker.loop.run();
    const [record] = await redis.lrange(keys.failed, 0, -1);
    assert.ok(record.includes(`"payload":${raw},`), 'payload bytes kept');
    const parsed = JSON.parse(record);
    assert.deepEqual(Object.keys(parsed), ['failed_at', 'payload', 'exception', 'error', 'backtrace', 'worker', 'queue']);
    assert.equal(parsed.exception, 'TypeError');
    assert.equal(parsed.error, 'boom');
    assert.ok(Array.isArray(parsed.backtrace) && parsed.backtrace.length > 0);
    assert.equal(parsed.worker, worker.workerId);
    assert.equal(parsed.queue, 'q');
    assert.match(parsed.failed_at, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d UTC$/);
    assert.equal(JSON.parse((await redis.get(keys.jobStatus('f1')))!).status, 3);
    assert.ok((await redis.ttl(keys.jobStatus('f1'))) > 86000);
    assert.equal(await redis.get(keys.statFailed()), '1');
    assert.equal(await redis.get(keys.statProcessed()), '1');
    await worker.close();
  });

  test('a tracked job goes RUNNING then COMPLETE with a 24 h expiry', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    await redis.rpush(keys.queue('q'), '{"class":"J","args":[null],"id":"s1","queue_time":1}');
    await redis.set(keys.jobStatus('s1'), '{"status":1,"updated":1,"started":1}');
    let during: number | undefined;
    const worker = makeWorker({
      keys,
      queues: ['q'],
      maxJobs: 1,
      run: async () => {
        during = JSON.parse((await redis.get(keys.jobStatus('s1')))!).status;
      },
    });
    await worker.loop.run();
    assert.equal(during, 2);
    assert.equal(JSON.parse((await redis.get(keys.jobStatus('s1')))!).status, 4);
    assert.ok((await redis.ttl(keys.jobStatus('s1'))) > 86000);
    await worker.close();
  });

  test('only a top-level php-resque id marks a status RUNNING, never an "id" inside args', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    await redis.set(keys.jobStatus('other'), '{"status":1,"updated":1,"started":1}');
    await redis.set(keys.jobStatus('acme_p1'), '{"status":1,"updated":1,"started":1}');
    await redis.set(keys.jobStatus('x_other'), '{"status":1,"updated":1,"started":1}');
    await redis.set(keys.jobStatus('acme_p2'), '{"status":1,"updated":1,"started":1}');
    // A Ruby job whose argument names another job's id, then a resque/php-resque job with a prefix,
    // then one with both: an "id" and "prefix" inside args before its own top-level ones.
    await redis.rpush(
      keys.queue('q'),
      '{"class":"J","args":[{"id":"other"}]}',
      '{"class":"J","args":[{}],"id":"p1","prefix":"acme","queue_time":1.5}',
      '{"class":"J","args":[{"id":"other","prefix":"x"}],"id":"p2","prefix":"acme","queue_time":1.5}',
    );
    const during: Array<number | undefined> = [];
    const worker = makeWorker({
      keys,
      queues: ['q'],
      maxJobs: 3,
      run: async (ctx) => {
        during.push(JSON.parse((await redis.get(keys.jobStatus(ctx.id === 'p2' ? 'acme_p2' : 'acme_p1')))!).status);
      },
    });
    await worker.loop.run();
    assert.equal(JSON.parse((await redis.get(keys.jobStatus('other')))!).status, 1, 'untouched by the nested id');
    assert.equal(JSON.parse((await redis.get(keys.jobStatus('x_other')))!).status, 1, 'untouched by the nested id and prefix');
    assert.deepEqual(during, [1, 2, 2], 'RUNNING only once its own job was reserved');
    assert.equal(JSON.parse((await redis.get(keys.jobStatus('acme_p1')))!).status, 4);
    assert.equal(JSON.parse((await redis.get(keys.jobStatus('acme_p2')))!).status, 4, 'the top-level id after a nested one');
    await worker.close();
  });

  test('bad payloads land in failed with a reason and the worker goes on', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const bad = ['not json', '{"class":"J","args":[1', '[1,2]', '{"args":[]}', '{"class":"J","args":"x"}'];
    await redis.rpush(keys.queue('q'), ...bad, '{"class":"J","args":["good"]}');
    const seen: unknown[] = [];
    const worker = makeWorker({ keys, queues: ['q'], maxJobs: bad.length + 1, run: (ctx) => seen.push(ctx.data) });
    await worker.loop.run();
    assert.deepEqual(seen, ['good']);
    const records = (await redis.lrange(keys.failed, 0, -1)).map((r) => JSON.parse(r));
    assert.equal(records.length, bad.length);
    assert.deepEqual(
      records.map((r) => r.error),
      [
        records[0].error, // JSON.parse's own wording
        records[1].error,
        'payload is not a JSON object',
        'payload has no "class" string',
        'payload "args" is not an array',
      ],
    );
    assert.match(records[0].error, /^payload is not valid JSON/);
    assert.equal(records[0].payload, 'not json', 'a non-JSON payload is kept as a string');
    assert.deepEqual(records[2].payload, [1, 2], 'a JSON payload is kept as JSON');
    for (const r of records) assert.equal(r.exception, 'InvalidPayloadError');
    await worker.close();
  });

  test('a blocking idle worker wakes when a job is enqueued, without taking it out of order', { timeout: 5_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const seen: unknown[] = [];
    const worker = makeWorker({ keys, queues: ['a', 'b'], blocking: true, interval: 30, maxJobs: 2, run: (ctx) => seen.push(ctx.data) });
    const done = worker.loop.run();
    await waitFor(async () => String(await redis.client('LIST')).includes(' cmd=xread'), 'the worker blocked', 3_000);
    await enqueueJobs(redis, keys, 'b', [{ payload: '{"class":"J","args":["b1"]}' }, { payload: '{"class":"J","args":["b2"]}' }]);
    await done;
    assert.deepEqual(seen, ['b1', 'b2']);
    await worker.close();
  });

  test('a blocking idle worker wakes on an awaited one-job enqueue (SADD + RPUSH, then the wake-up entry)', { timeout: 5_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const seen: unknown[] = [];
    const worker = makeWorker({ keys, queues: ['q'], blocking: true, interval: 30, maxJobs: 1, run: (ctx) => seen.push(ctx.data) });
    const done = worker.loop.run();
    await waitFor(async () => String(await redis.client('LIST')).includes(' cmd=xread'), 'the worker blocked', 3_000);
    await new ResqueClient({ redis, keys }).enqueue('q', 'J', 'one');
    await done; // within the test timeout, far below INTERVAL
    assert.deepEqual(seen, ['one']);
    await worker.close();
  });

  test('the exchange works after Redis lost its script cache (SCRIPT FLUSH): EVALSHA, then EVAL once', { timeout: 10_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    await redis.rpush(keys.queue('q'), '{"class":"J","args":["before"]}', '{"class":"J","args":["after"]}');
    const seen: unknown[] = [];
    let failedExchanges = 0;
    const worker = makeWorker({
      keys,
      queues: ['q'],
      maxJobs: 2,
      run: async (ctx) => {
        seen.push(ctx.data);
        if (ctx.data === 'before') await redis.script('FLUSH');
      },
      wrapOps: (ops) => {
        const exchange = ops.exchange.bind(ops);
        ops.exchange = (done, max) => exchange(done, max).catch((error: unknown) => {
          failedExchanges++;
          throw error;
        });
        return ops;
      },
    });
    await worker.loop.run();
    assert.deepEqual(seen, ['before', 'after']);
    assert.equal(failedExchanges, 0, 'no exchange failed on NOSCRIPT');
    assert.equal(await redis.hlen(keys.inflight(worker.workerId)), 0, 'both acknowledged');
    assert.equal(await redis.get(keys.statProcessed()), '2');
    await worker.close();
  });

  test('stop() while blocked returns at once; pause() takes nothing until resume()', { timeout: 5_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const seen: unknown[] = [];
    const worker = makeWorker({ keys, queues: ['q'], blocking: true, interval: 30, run: (ctx) => seen.push(ctx.data) });
    const done = worker.loop.run();
    worker.loop.pause();
    await redis.rpush(keys.queue('q'), '{"class":"J","args":["x"]}');
    await waitFor(async () => (await redis.llen(keys.queue('q'))) === 1, 'job stays queued while paused');
    worker.loop.resume();
    await waitFor(() => seen.length === 1, 'job runs after resume');
    worker.loop.stop();
    await done;
    await worker.close();
  });

  test('concurrency runs several async jobs at once and acknowledges them in batches', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const total = 200;
    await redis.rpush(keys.queue('q'), ...Array.from({ length: total }, (_, i) => `{"class":"J","args":[${i}]}`));
    let running = 0;
    let peak = 0;
    const worker = makeWorker({
      keys,
      queues: ['q'],
      concurrency: 10,
      maxJobs: total,
      run: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running--;
      },
    });
    await worker.loop.run();
    assert.equal(peak, 10);
    assert.equal(await redis.get(keys.statProcessed()), String(total));
    assert.equal(await redis.hlen(keys.inflight(worker.workerId)), 0);
    await worker.close();
  });

  test('reconcile puts back jobs reserved for this worker whose reply was lost', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const worker = makeWorker({ keys, queues: ['q'], run: () => undefined });
    await redis.rpush(keys.queue('q'), '{"class":"J","args":[1]}', '{"class":"J","args":[2]}');
    const { jobs: reserved } = await worker.ops.exchange([], 2); // as if the reply never arrived
    assert.equal(reserved.length, 2);
    await worker.ops.reconcile(new Set([reserved[1].token]));
    assert.deepEqual(await redis.lrange(keys.queue('q'), 0, -1), ['{"class":"J","args":[1]}']);
    assert.deepEqual(Object.keys(await redis.hgetall(keys.inflight(worker.workerId))), [reserved[1].token]);
    await worker.close();
  });

  test('a job that finishes while an exchange reserving nothing is in flight is acknowledged at once', { timeout: 10_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    await redis.rpush(keys.queue('q'), '{"class":"J","args":[1],"id":"t1","queue_time":1}');
    await redis.set(keys.jobStatus('t1'), '{"status":1,"updated":1}');
    let release: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      release = resolve;
    });
    let jobStarted = false;
    let releasedAt = 0;
    let endFirstWait: (() => void) | undefined;
    // Concurrency 2, INTERVAL 30. While the job runs, the free slot waits for new work; the test ends
    // that wait (as a wake-up whose job another worker took would) so the next exchange finds the
    // queue empty, and the job is made to finish while that exchange is on the wire.
    const worker = makeWorker({
      keys,
      queues: ['q'],
      concurrency: 2,
      interval: 30,
      run: async () => {
        jobStarted = true;
        await running;
      },
      wrapOps: (ops) => ({
        waitForJobs: (seconds, abort) => {
          if (endFirstWait) return ops.waitForJobs(seconds, abort);
          return new Promise<void>((resolve) => {
            endFirstWait = resolve;
            abort.addEventListener('abort', () => resolve(), { once: true });
          });
        },
        reconcile: (known) => ops.reconcile(known),
        takeReconnected: () => ops.takeReconnected(),
        exchange: (done, max) => {
          const reply = ops.exchange(done, max);
          if (jobStarted && max > 0 && releasedAt === 0) {
            releasedAt = Date.now();
            release();
          }
          return reply;
        },
      }),
    });
    const done = worker.loop.run();
    await waitFor(() => jobStarted && endFirstWait, 'the free slot waiting while the job runs');
    endFirstWait!();
    await waitFor(() => releasedAt > 0, 'the job released during an exchange');
    await waitFor(async () => JSON.parse((await redis.get(keys.jobStatus('t1')))!).status === 4, 'status COMPLETE', 3_000);
    assert.equal(await redis.hlen(keys.inflight(worker.workerId)), 0);
    assert.ok(Date.now() - releasedAt < 3_000);
    worker.loop.stop();
    await done;
    await worker.close();
  });

  /**
   * `short` jobs that end at once, then one that runs while the queues are empty: the Redis commands
   * sent during 2 s of that job (the INFO and RESETSTAT of the count left out).
   */
  async function commandsWhileOneJobRuns(options: { concurrency: number; prefetch?: number; short: number }): Promise<{ calls: number; stats: string }> {
    const keys = new ResqueKeys(uniquePrefix());
    const total = options.short + 1;
    await redis.rpush(keys.queue('q'), ...Array.from({ length: total }, (_, i) => `{"class":"J","args":[${i + 1}]}`));
    let started = false;
    let finish: () => void = () => undefined;
    const worker = makeWorker({
      keys,
      queues: ['q'],
      concurrency: options.concurrency,
      prefetch: options.prefetch,
      interval: 5,
      blocking: DEFAULT_WORKER_SETTINGS.blocking,
      run: (ctx) =>
        (ctx.args[0] as number) < total
          ? undefined
          : new Promise<void>((resolve) => {
              started = true;
              finish = resolve;
            }),
    });
    const done = worker.loop.run();
    const processed = async () => Number((await redis.get(keys.statProcessed())) ?? 0);
    await waitFor(async () => started && (await processed()) === options.short, 'the short jobs acknowledged, the long one started');
    await redis.config('RESETSTAT');
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the job's run time: what is measured
    const stats = await redis.info('commandstats');
    finish();
    const calls = [...stats.matchAll(/^cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/gm)]
      .filter(([, name]) => name !== 'info' && name !== 'config|resetstat')
      .reduce((sum, [, , n]) => sum + Number(n), 0);
    await waitFor(async () => (await processed()) === total, 'the long job acknowledged');
    worker.loop.stop();
    await done;
    await worker.close();
    return { calls, stats };
  }

  test('idle slots wait instead of spinning while a job runs on empty queues', { timeout: 15_000 }, async () => {
    const { calls, stats } = await commandsWhileOneJobRuns({ concurrency: 10, short: 0 });
    assert.ok(calls <= 10, `Redis commands while one job ran 2 s at concurrency 10: ${calls}\n${stats}`);
  });

  test('with PREFETCH on (the default at concurrency 1-2), a long job after short ones on empty queues makes no busy loop either', { timeout: 15_000 }, async () => {
    // Five short jobs turn prefetch on; the sixth runs while the queues are empty.
    const { calls, stats } = await commandsWhileOneJobRuns({ concurrency: 2, prefetch: 8, short: 5 });
    assert.ok(calls <= 10, `Redis commands while one job ran 2 s at concurrency 2 with PREFETCH 8: ${calls}\n${stats}`);
  });

  test('a tracked job rejected as an invalid payload ends FAILED with the finished expiry, not RUNNING', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    // args is not an array: the worker rejects it, but the exchange matched its top-level id.
    await redis.rpush(keys.queue('q'), '{"class":"J","args":"x","id":"bad1","queue_time":1}');
    await redis.set(keys.jobStatus('bad1'), '{"status":1,"updated":1}');
    const worker = makeWorker({ keys, queues: ['q'], maxJobs: 1, run: () => undefined });
    await worker.loop.run();
    assert.equal(JSON.parse((await redis.get(keys.jobStatus('bad1')))!).status, 3);
    assert.ok((await redis.ttl(keys.jobStatus('bad1'))) > 86000);
    await worker.close();
  });

  test('a queue name with a newline keeps failure records and crash requeues right', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const queue = 'evil\nname';
    const raw = '{"class":"J","args":[1],"id":"nl1","queue_time":1}';
    await redis.sadd(keys.queues, queue);
    await redis.rpush(keys.queue(queue), raw, raw.replace('nl1', 'nl2'));
    const worker = makeWorker({
      keys,
      queues: [queue],
      maxJobs: 1,
      run: () => {
        throw new Error('boom');
      },
    });
    await worker.loop.run();
    const [record] = await redis.lrange(keys.failed, 0, -1);
    const parsed = JSON.parse(record);
    assert.equal(parsed.queue, queue);
    assert.ok(record.includes(`"payload":${raw},`), 'payload bytes kept');
    // A crash: the second job is reserved, then its worker is recovered with requeue.
    const { jobs: reserved } = await worker.ops.exchange([], 1);
    assert.deepEqual(reserved.map((j) => [j.queue, j.raw]), [[queue, raw.replace('nl1', 'nl2')]]);
    await recoverJobs(redis, keys, {
      workerId: worker.workerId,
      reason: 'test crash',
      policies: { J: { timeoutMs: 0, retryOnCrash: true } },
      maxCrashRequeues: 3,
    });
    assert.deepEqual(await redis.lrange(keys.queue(queue), 0, -1), [raw.replace('nl1', 'nl2')]);
    await worker.close();
  });

  test('by default an idle worker on * with many queues wakes on our enqueue, on one blocked connection', { timeout: 12_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const names = Array.from({ length: 12 }, (_, i) => `q${String(i).padStart(2, '0')}`);
    await redis.sadd(keys.queues, ...names);
    const seen: unknown[] = [];
    const worker = makeWorker({ keys, queues: ['*'], blocking: DEFAULT_WORKER_SETTINGS.blocking, interval: 30, maxJobs: 1, run: (ctx) => seen.push(ctx.data) });
    const done = worker.loop.run();
    const blocked = async () => String(await redis.client('LIST')).split('\n').filter((line) => / cmd=(xread|blmove|blpop|brpop)/.test(line)).length;
    await waitFor(async () => (await blocked()) > 0, 'the idle worker blocked on Redis', 6_000);
    assert.equal(await blocked(), 1, 'one blocked connection, not one per queue');
    await enqueueJobs(redis, keys, 'q07', [{ payload: '{"class":"J","args":["woke"]}' }]);
    await done;
    assert.deepEqual(seen, ['woke']);
    await worker.close();
  });

  test('a blocking worker still finds a foreign producer\'s job within INTERVAL', { timeout: 8_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const seen: unknown[] = [];
    const worker = makeWorker({ keys, queues: ['q'], blocking: true, interval: 0.3, maxJobs: 1, run: (ctx) => seen.push(ctx.data) });
    const done = worker.loop.run();
    await waitFor(async () => String(await redis.client('LIST')).includes(' cmd=x'), 'the idle worker blocked on Redis', 3_000);
    await redis.rpush(keys.queue('q'), '{"class":"J","args":["plain rpush"]}'); // no wake-up: found by the next poll
    await done;
    assert.deepEqual(seen, ['plain rpush']);
    await worker.close();
  });

  test('* with 200 queues, one busy: an exchange does not try every empty queue', { timeout: 20_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const names = Array.from({ length: 200 }, (_, i) => `q${String(i).padStart(3, '0')}`);
    await redis.sadd(keys.queues, ...names);
    const jobs = 300;
    await redis.rpush(keys.queue('q199'), ...Array.from({ length: jobs }, (_, i) => `{"class":"J","args":[${i}]}`));
    await redis.config('RESETSTAT');
    const worker = makeWorker({ keys, queues: ['*'], maxJobs: jobs, run: () => undefined });
    await worker.loop.run();
    assert.equal(await redis.get(keys.statProcessed()), String(jobs));
    const lpop = Number(/^cmdstat_lpop:calls=(\d+)/m.exec(await redis.info('commandstats'))?.[1] ?? 0);
    // Every exchange trying all 200 queues would be about 60,000 LPOPs; one full look a second is enough.
    assert.ok(lpop < 5 * jobs, `${lpop} LPOPs for ${jobs} jobs`);
    await worker.close();
  });

  test('* keeps alphabetical priority for our producers while busy on a later queue', { timeout: 20_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    await redis.sadd(keys.queues, 'a', 'b');
    await redis.rpush(keys.queue('b'), ...Array.from({ length: 400 }, (_, i) => `{"class":"J","args":["b${i}"]}`));
    const seen: string[] = [];
    let enqueued = -1;
    const worker = makeWorker({
      keys,
      queues: ['*'],
      maxJobs: 401,
      run: async (ctx) => {
        seen.push(ctx.data as string);
        if (seen.length === 100) {
          await enqueueJobs(redis, keys, 'a', [{ payload: '{"class":"J","args":["a0"]}' }]);
          enqueued = seen.length;
        }
      },
    });
    await worker.loop.run();
    const at = seen.indexOf('a0');
    assert.ok(at >= 0, 'the job on a ran');
    assert.ok(at - enqueued <= 3, `a's job ran ${at - enqueued} jobs after it was enqueued`);
    await worker.close();
  });

  test('* skips names in queues that break the queue-name rule and reports each once', async () => {
    const keys = new ResqueKeys(uniquePrefix());
    await redis.sadd(keys.queues, 'good', 'bad name', 'evil\nline');
    for (const q of ['good', 'bad name', 'evil\nline']) await redis.rpush(keys.queue(q), `{"class":"J","args":[${JSON.stringify(q)}]}`);
    const seen: unknown[] = [];
    const reported: string[] = [];
    const worker = makeWorker({ keys, queues: ['*'], maxJobs: 1, run: (ctx) => seen.push(ctx.data), onInvalidQueue: (name) => reported.push(name) });
    await worker.loop.run();
    assert.deepEqual(seen, ['good']);
    assert.deepEqual(reported.sort(), ['bad name', 'evil\nline']);
    assert.equal(await redis.llen(keys.queue('bad name')), 1, 'left where it was');
    await worker.close();
  });

  for (const outcome of ['completes', 'fails'] as const) {
    test(`php-resque's enqueue (RPUSH, then the status key): a job that ${outcome} before the key exists still ends ${outcome === 'completes' ? 4 : 3}`, { timeout: 15_000 }, async () => {
      const keys = new ResqueKeys(uniquePrefix());
      const id = `php${outcome}`;
      await redis.rpush(keys.queue('q'), `{"class":"J","args":[{}],"id":"${id}","queue_time":${Date.now() / 1000}}`);
      const worker = makeWorker({
        keys,
        queues: ['q'],
        maxJobs: 1,
        run: () => {
          if (outcome === 'fails') throw new Error('boom');
        },
      });
      await worker.loop.run(); // finished and acknowledged: the status key did not exist yet
      // ...and now php-resque's Resque_Job_Status::create runs: an unconditional SET of status 1.
      const now = Math.floor(Date.now() / 1000);
      await redis.set(keys.jobStatus(id), `{"status":1,"updated":${now},"started":${now}}`);
      const expected = outcome === 'completes' ? 4 : 3;
      await waitFor(async () => JSON.parse((await redis.get(keys.jobStatus(id)))!).status === expected, `status ${expected}`, 8_000);
      assert.ok((await redis.ttl(keys.jobStatus(id))) > 86000, 'the finished expiry');
      await worker.close();
    });
  }
});
