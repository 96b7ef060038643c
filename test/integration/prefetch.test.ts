/**
 * PREFETCH on a real Redis: jobs reserved ahead while jobs are short, each start recorded before
 * the job runs, and a crash, a long job, pause or stop giving the reserved-only jobs back to the
 * front of their queues (WAITING, never failed, never counted as a crash).
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { decodeInflightEntry } from '../../lib/protocol/inflight-entry.js';
import { createPerformer } from '../../lib/worker/job-performer.js';
import { RedisWorkerOperations } from '../../lib/worker/redis-operations.js';
import { recoverJobs } from '../../lib/worker/host/recover-jobs.js';
import { WorkerLoop } from '../../lib/worker/worker-loop.js';
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
const open = new Set<{ close(): Promise<void> }>();
const releases: Array<() => void> = [];
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  for (const worker of open) await worker.close();
});
after(async () => {
  redis.disconnect();
  await server.destroy();
});

function makeWorker(keys: ResqueKeys, run: (ctx: JobContext) => Promise<unknown> | unknown, options: { prefetch: number; holdMs?: number; maxJobs?: number; workerId?: string }) {
  const client = new Redis(server.url, { maxRetriesPerRequest: null });
  const workerId = options.workerId ?? `testhost:${1000 + Math.floor(Math.random() * 1e6)}:q`;
  const ops = new RedisWorkerOperations({
    redis: client,
    keys,
    target: { workerId, workerName: 'testhost:1', queues: ['q'] },
    blocking: false,
    maxCrashRequeues: 3,
    marksStarts: options.prefetch > 0,
  });
  const perform = createPerformer({ keys, workerId, run: async (ctx) => run(ctx) });
  const loop = new WorkerLoop(ops, perform, {
    concurrency: 1,
    maxJobs: options.maxJobs ?? 0,
    interval: 0.05,
    prefetch: options.prefetch,
    prefetchHoldMs: options.holdMs ?? 60_000,
  });
  const worker = {
    workerId,
    loop,
    done: ops.register().then(() => loop.run()),
    /** Stops it as a crash would: no acknowledgement, no give-back, the connection cut. */
    crash() {
      open.delete(worker);
      releases.splice(0); // what it ran never finishes: it died
      client.disconnect();
      void ops.close(); // nor does its loop retry: nothing of it reaches Redis again, and the test file can end
    },
    async close() {
      open.delete(worker);
      loop.stop();
      await Promise.race([worker.done, new Promise((resolve) => setTimeout(resolve, 3_000).unref())]);
      await ops.close();
      client.disconnect();
    },
  };
  open.add(worker);
  return worker;
}

const payload = (n: number) => `{"class":"J","args":[${n}],"id":"p${n}","queue_time":1}`;

async function seed(keys: ResqueKeys, count: number): Promise<string[]> {
  const payloads = Array.from({ length: count }, (_, i) => payload(i + 1));
  await redis.rpush(keys.queue('q'), ...payloads);
  for (let n = 1; n <= count; n++) await redis.set(keys.jobStatus(`p${n}`), '{"status":1,"updated":1}');
  return payloads;
}

/** A job that runs until the test releases it. */
function blocker(): { promise: Promise<void>; release: () => void } {
  let release: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (release = resolve));
  releases.push(release);
  return { promise, release };
}

const statusOf = async (keys: ResqueKeys, n: number) => JSON.parse((await redis.get(keys.jobStatus(`p${n}`)))!).status as number;

describe('PREFETCH', () => {
  test('the first job is reserved alone; once jobs prove short, the next ones are reserved while one runs', { timeout: 10_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    await seed(keys, 8);
    const held: number[] = [];
    const worker = makeWorker(keys, async () => {
      held.push(await redis.hlen(keys.inflight(worker.workerId)));
    }, { prefetch: 2, maxJobs: 8 });
    await worker.done;
    assert.equal(held[0], 1, 'nothing known of the jobs yet: only the free slot');
    assert.ok(held.slice(1).some((n) => n >= 2), `jobs reserved ahead later (held ${held})`);
    assert.equal(await redis.get(keys.statProcessed()), '8');
    assert.equal(await redis.hlen(keys.inflight(worker.workerId)), 0);
    await worker.close();
  });

  test('each job start is recorded in inflight-mark before the job runs', { timeout: 10_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    await seed(keys, 6);
    const problems: string[] = [];
    const worker = makeWorker(keys, async (ctx) => {
      const [entries, mark] = await Promise.all([redis.hgetall(keys.inflight(worker.workerId)), redis.get(keys.inflightMark(worker.workerId))]);
      const mine = Object.entries(entries).find(([, entry]) => decodeInflightEntry(entry).raw === ctx.raw)?.[0];
      if (mine === undefined || mark === null || Number(mine) > Number(mark)) problems.push(`${ctx.raw}: token ${mine}, mark ${mark}`);
    }, { prefetch: 3, maxJobs: 6 });
    await worker.done;
    assert.deepEqual(problems, []);
    assert.equal(await redis.get(keys.statProcessed()), '6');
    await worker.close();
  });

  test('a crash fails the running job and gives the reserved-only ones back to the front of the queue, in order, WAITING', { timeout: 15_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const payloads = await seed(keys, 10);
    const long = blocker();
    let runs = 0;
    const worker = makeWorker(keys, async (ctx) => {
      runs++;
      if ((ctx.args[0] as number) === 4) await long.promise;
    }, { prefetch: 4 });
    // Jobs 1-3 are short, so job 4 runs with jobs 5-8 reserved behind it.
    await waitFor(async () => runs === 4 && (await redis.hlen(keys.inflight(worker.workerId))) === 5, 'job 4 running, 4 jobs reserved behind it');
    assert.equal(await statusOf(keys, 6), 2, 'a reserved job shows RUNNING');
    worker.crash();
    const result = await recoverJobs(redis, keys, { workerId: worker.workerId, reason: 'Child process 1 was killed by SIGKILL while processing', policies: {}, maxCrashRequeues: 3 });
    assert.deepEqual({ failed: result.failed, returned: result.returned, requeued: result.requeued }, { failed: 1, returned: 4, requeued: 0 });
    assert.deepEqual(await redis.lrange(keys.queue('q'), 0, -1), payloads.slice(4), 'jobs 5-8 back at the front, then 9 and 10');
    const failed = (await redis.lrange(keys.failed, 0, -1)).map((record) => JSON.parse(record) as { payload: { args: number[] }; exception: string });
    assert.deepEqual(failed.map((record) => [record.payload.args[0], record.exception]), [[4, 'DirtyExit']], 'only the job that ran is failed');
    for (const n of [5, 6, 7, 8]) assert.equal(await statusOf(keys, n), 1, `job ${n} WAITING again`);
    assert.equal(await statusOf(keys, 4), 3, 'job 4 FAILED');
    assert.equal(await redis.get(keys.statFailed()), '1');
    assert.equal(await redis.hlen(keys.crashRequeues), 0, 'a job given back is not a crash');
    assert.equal(await redis.exists(keys.inflight(worker.workerId), keys.inflightMark(worker.workerId)), 0, 'the worker is gone, its mark too');
  });

  test('behind a job that runs longer than the hold, the reserved jobs go back to the front of the queue and the loop stops reserving ahead', { timeout: 15_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const payloads = await seed(keys, 8);
    const long = blocker();
    const ran: number[] = [];
    const worker = makeWorker(keys, async (ctx) => {
      ran.push(ctx.args[0] as number);
      if ((ctx.args[0] as number) === 3) await long.promise;
    }, { prefetch: 3, holdMs: 50 });
    await waitFor(async () => ran.length === 3 && (await redis.hlen(keys.inflight(worker.workerId))) === 1, 'job 3 running alone, the reserved ones given back');
    assert.deepEqual(await redis.lrange(keys.queue('q'), 0, -1), payloads.slice(3), 'back at the front, in order');
    for (const n of [4, 5, 6]) assert.equal(await statusOf(keys, n), 1, `job ${n} WAITING again`);
    long.release();
    await waitFor(async () => (await redis.get(keys.statProcessed())) === '8', 'all 8 done');
    assert.deepEqual(ran, [1, 2, 3, 4, 5, 6, 7, 8], 'each ran once, in order');
    assert.equal(await redis.llen(keys.failed), 0);
    await worker.close();
  });

  test('pause() and stop() give reserved jobs back to the front of their queue, WAITING again', { timeout: 10_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    const payloads = await seed(keys, 4);
    const long = blocker();
    const ran: number[] = [];
    const worker = makeWorker(keys, async (ctx) => {
      ran.push(ctx.args[0] as number);
      if ((ctx.args[0] as number) === 2) await long.promise;
    }, { prefetch: 1 });
    await waitFor(async () => ran.length === 2 && (await redis.hlen(keys.inflight(worker.workerId))) === 2, 'job 2 running, job 3 reserved');
    assert.equal(await statusOf(keys, 3), 2);
    worker.loop.pause();
    await waitFor(async () => (await redis.llen(keys.queue('q'))) === 2, 'job 3 given back on pause');
    assert.deepEqual(await redis.lrange(keys.queue('q'), 0, -1), payloads.slice(2), 'at the front, in order');
    assert.equal(await statusOf(keys, 3), 1);
    worker.loop.resume();
    await waitFor(async () => (await redis.llen(keys.queue('q'))) === 1, 'job 3 reserved again after resume');
    worker.loop.stop();
    long.release();
    await worker.done;
    assert.deepEqual(ran, [1, 2], 'the reserved job never ran');
    assert.deepEqual(await redis.lrange(keys.queue('q'), 0, -1), payloads.slice(2), 'given back on stop, in order');
    assert.equal(await redis.get(keys.statProcessed()), '2');
    assert.equal(await redis.hlen(keys.inflight(worker.workerId)), 0);
    await worker.close();
  });

  test('a worker id used again without PREFETCH: the mark an earlier worker with PREFETCH left at its crash is not read as the new one\'s', { timeout: 15_000 }, async () => {
    const keys = new ResqueKeys(uniquePrefix());
    await seed(keys, 3);
    const workerId = `testhost:${1000 + Math.floor(Math.random() * 1e6)}:q`;
    // The earlier worker registers with PREFETCH (mark -1: nothing started) and dies before any job.
    const earlier = makeWorker(keys, () => undefined, { prefetch: 2, workerId });
    earlier.loop.pause();
    await waitFor(async () => (await redis.get(keys.inflightMark(workerId))) === '-1', 'the earlier worker registered with its mark');
    earlier.crash();
    // Same id (a PID reused after a container restart), PREFETCH=0: job 1 runs when it dies.
    const long = blocker();
    const ran: number[] = [];
    const worker = makeWorker(keys, async (ctx) => {
      ran.push(ctx.args[0] as number);
      await long.promise;
    }, { prefetch: 0, workerId });
    await waitFor(async () => ran.length === 1 && (await redis.hlen(keys.inflight(workerId))) === 1, 'job 1 running');
    worker.crash();
    const result = await recoverJobs(redis, keys, { workerId, reason: 'Child process 1 was killed by SIGKILL while processing', policies: {}, maxCrashRequeues: 3 });
    assert.deepEqual({ failed: result.failed, returned: result.returned ?? 0 }, { failed: 1, returned: 0 }, 'the job that ran is failed, not given back to run again');
    assert.equal(await statusOf(keys, 1), 3);
  });
});
