/**
 * Time features beside BullMQ, same run, each library on its own throw-away redis-server, in this
 * process: delayed enqueue (one at a time, awaited; bulk), promotion (jobs/s from due to performed),
 * lateness of delayed jobs at 500/s, and the cost of a retry. Every job is counted to run once.
 *
 *   npm run bench:time      (BENCH_ROUNDS, BENCH_DELAYED_JOBS; BENCH_ONLY=retry,late... runs only those rows)
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, Worker, QueueEvents } from 'bullmq';
import { createInProcessWorker, DelayedScheduler, Job, QueueService, ResqueKeys, ResqueModule, type ResqueJob, type InProcessWorker } from '../lib/index.js';
import { ThrowAwayRedis } from './redis.js';
import { median, percentile } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const JOBS = Number(process.env.BENCH_DELAYED_JOBS ?? 10_000);
const CONCURRENCY = 50;
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
/** Skipped rows are NaN (printed n/a). */
const wanted = (row: string) => !ONLY || ONLY.has(row);

/** What every run records: performs per job number, and when each ran. */
class Ledger {
  runs = new Map<number, number>();
  at = new Map<number, number>();
  attempts = new Map<number, number>();
  reset(): void {
    this.runs.clear();
    this.at.clear();
    this.attempts.clear();
  }
  ran(n: number): void {
    this.runs.set(n, (this.runs.get(n) ?? 0) + 1);
    if (!this.at.has(n)) this.at.set(n, Date.now());
  }
  /** Throws unless jobs 0..count-1 each ran exactly once. */
  check(count: number, what: string): void {
    for (let n = 0; n < count; n++) {
      const runs = this.runs.get(n) ?? 0;
      if (runs !== 1) throw new Error(`*** BENCHMARK FAILED: JOB ACCOUNTING ERROR *** ${what}: job ${n} ran ${runs} times`);
    }
  }
}
const ledger = new Ledger();

interface Data {
  readonly n: number;
  readonly due?: number;
  readonly fail?: boolean;
}

@Job({ queue: 'bench' })
class DelayedBenchJob implements ResqueJob<Data> {
  perform(data: Data): void {
    ledger.ran(data.n);
  }
}

@Job({ queue: 'bench', retry: { attempts: 2, backoff: 'fixed', delay: 0 } })
class RetryBenchJob implements ResqueJob<Data> {
  perform(data: Data): void {
    const attempt = (ledger.attempts.get(data.n) ?? 0) + 1;
    ledger.attempts.set(data.n, attempt);
    if (data.fail && attempt === 1) throw new Error('first attempt fails');
    ledger.ran(data.n);
  }
}

async function waitUntil(probe: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`*** BENCHMARK FAILED *** timed out: ${what} (${ledger.runs.size} ran)`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

interface Lib {
  readonly name: string;
  setup(redis: ThrowAwayRedis): Promise<void>;
  /** Starts workers (and, for us, the scheduler). */
  startWorkers(): Promise<void>;
  enqueueDelayed(n: number, delayMs: number): Promise<void>;
  enqueueDelayedBulk(items: readonly Data[], at: number): Promise<void>;
  enqueueRetrying(n: number, fail: boolean): Promise<void>;
  teardown(): Promise<void>;
}

function ours(): Lib {
  let app: INestApplicationContext;
  let queues: QueueService;
  let worker: InProcessWorker | undefined;
  let running: Promise<void> | undefined;
  let scheduler: DelayedScheduler | undefined;
  return {
    name: 'nestjs-resque',
    async setup(redis) {
      @Module({
        imports: [ResqueModule.forRoot({ connection: `redis://127.0.0.1:${redis.port}`, prefix: 'resque' })],
        providers: [DelayedBenchJob, RetryBenchJob],
      })
      class BenchModule {}
      app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
      queues = app.get(QueueService);
    },
    async startWorkers() {
      // Default settings but for concurrency (the same as BullMQ's here).
      worker = await createInProcessWorker(app, { settings: { queues: ['bench'], concurrency: CONCURRENCY } }); // default settings: blocking on the wake-up stream
      running = worker.run();
      scheduler = new DelayedScheduler({ redis: queues.client.redis, keys: new ResqueKeys('resque'), name: `bench:${process.pid}` });
      scheduler.start();
    },
    async enqueueDelayed(n, delayMs) {
      await queues.enqueueIn(delayMs, 'bench', 'DelayedBenchJob', { n, due: Date.now() + delayMs });
    },
    async enqueueDelayedBulk(items, at) {
      await queues.enqueueBulkAt(at, 'bench', 'DelayedBenchJob', items);
    },
    async enqueueRetrying(n, fail) {
      await queues.enqueue('bench', 'RetryBenchJob', { n, fail });
    },
    async teardown() {
      await scheduler?.stop();
      worker?.stop();
      await running;
      await app.close();
    },
  };
}

function bullmq(): Lib {
  let queue: Queue;
  let worker: Worker | undefined;
  let events: QueueEvents | undefined;
  let connection: { host: string; port: number; maxRetriesPerRequest: null };
  return {
    name: 'BullMQ',
    async setup(redis) {
      connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
      queue = new Queue('bench', { connection });
      await queue.waitUntilReady();
    },
    async startWorkers() {
      worker = new Worker(
        'bench',
        async (job) => {
          const data = job.data as Data;
          if (job.name === 'retry') {
            const attempt = (ledger.attempts.get(data.n) ?? 0) + 1;
            ledger.attempts.set(data.n, attempt);
            if (data.fail && attempt === 1) throw new Error('first attempt fails');
          }
          ledger.ran(data.n);
        },
        { connection, concurrency: CONCURRENCY },
      );
      await worker.waitUntilReady();
    },
    async enqueueDelayed(n, delayMs) {
      await queue.add('delayed', { n, due: Date.now() + delayMs }, { delay: delayMs, removeOnComplete: true, removeOnFail: true });
    },
    async enqueueDelayedBulk(items, at) {
      const delay = Math.max(0, at - Date.now());
      await queue.addBulk(items.map((data) => ({ name: 'delayed', data, opts: { delay, removeOnComplete: true, removeOnFail: true } })));
    },
    async enqueueRetrying(n, fail) {
      await queue.add('retry', { n, fail }, { attempts: 2, backoff: { type: 'fixed', delay: 0 }, removeOnComplete: true, removeOnFail: true });
    },
    async teardown() {
      await worker?.close(true);
      await events?.close();
      await queue.close();
    },
  };
}

type Row = Record<string, number>;

async function measure(lib: Lib): Promise<Row> {
  const row: Row = {};
  const fresh = async <T>(run: (lib: Lib) => Promise<T>, name: string, skipped: T): Promise<T> => {
    if (!wanted(name)) return skipped;
    const redis = await ThrowAwayRedis.start();
    ledger.reset();
    try {
      await lib.setup(redis);
      return await run(lib);
    } finally {
      await lib.teardown().catch(() => undefined);
      await redis.stop();
    }
  };
  // 1. delayed enqueue, one at a time, awaited (due in an hour: nothing runs)
  row.enqueueOne = await fresh(async (l) => {
    const count = Math.min(JOBS, 5_000);
    const t0 = performance.now();
    for (let n = 0; n < count; n++) await l.enqueueDelayed(n, 3_600_000);
    return count / ((performance.now() - t0) / 1000);
  }, 'enqueueOne', NaN);
  // 2. delayed enqueue, bulk
  row.enqueueBulk = await fresh(async (l) => {
    const items = Array.from({ length: JOBS }, (_, n) => ({ n }));
    const t0 = performance.now();
    await l.enqueueDelayedBulk(items, Date.now() + 3_600_000);
    return JOBS / ((performance.now() - t0) / 1000);
  }, 'enqueueBulk', NaN);
  // 3. promotion: JOBS due at the same moment, workers running: jobs/s from due to performed
  row.promotion = await fresh(async (l) => {
    const due = Math.ceil((Date.now() + 2_000) / 1000) * 1000;
    await l.enqueueDelayedBulk(Array.from({ length: JOBS }, (_, n) => ({ n, due })), due);
    await l.startWorkers();
    await waitUntil(() => ledger.runs.size >= JOBS, 'promotion');
    const last = Math.max(...ledger.at.values());
    await new Promise((resolve) => setTimeout(resolve, 300));
    ledger.check(JOBS, `${l.name} promotion`);
    return JOBS / ((last - due) / 1000);
  }, 'promotion', NaN);
  // 4. lateness at 500/s: each job delayed 1 s; lateness = when it ran - when it was asked to run
  const late = await fresh(async (l) => {
    await l.startWorkers();
    const count = 2_000;
    const asked = new Map<number, number>();
    const t0 = Date.now();
    for (let n = 0; n < count; n++) {
      const target = t0 + n * 2;
      if (Date.now() < target) await new Promise((resolve) => setTimeout(resolve, target - Date.now()));
      asked.set(n, Date.now() + 1_000);
      await l.enqueueDelayed(n, 1_000);
    }
    await waitUntil(() => ledger.runs.size >= count, 'lateness');
    ledger.check(count, `${l.name} lateness`);
    const lateness = [...asked].map(([n, due]) => ledger.at.get(n)! - due);
    // Beyond the shared layout's one-second resolution: against the second the job was stored under.
    const beyond = [...asked].map(([n, due]) => ledger.at.get(n)! - Math.ceil(due / 1000) * 1000);
    const early = lateness.filter((ms) => ms < 0).length;
    return { p50: percentile(lateness, 50), p99: percentile(lateness, 99), beyondP99: percentile(beyond, 99), early };
  }, 'late', { p50: NaN, p99: NaN, beyondP99: NaN, early: NaN });
  row.lateP50 = late.p50;
  row.lateP99 = late.p99;
  row.beyondP99 = late.beyondP99;
  row.early = late.early;
  // 5. retries: JOBS jobs, each failing its first attempt, retried at once (backoff 0); jobs/s to done
  const retried = Math.min(JOBS, 5_000);
  row.retry = await fresh(async (l) => {
    await l.startWorkers();
    const t0 = performance.now();
    for (let n = 0; n < retried; n++) await l.enqueueRetrying(n, true);
    await waitUntil(() => ledger.runs.size >= retried, 'retries');
    const elapsed = (performance.now() - t0) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 300));
    ledger.check(retried, `${l.name} retries`);
    return retried / elapsed;
  }, 'retry', NaN);
  return row;
}

async function main(): Promise<void> {
  const libs = [bullmq, ours];
  const results = new Map<string, Row[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const make of libs) {
      const lib = make();
      process.stderr.write(`round ${round}: ${lib.name}\n`);
      const row = await measure(lib);
      results.set(lib.name, [...(results.get(lib.name) ?? []), row]);
    }
  }
  const med = (name: string, key: string) => median(results.get(name)!.map((r) => r[key]));
  const lines = ['| time features (medians of ' + ROUNDS + ') | BullMQ | nestjs-resque | ratio |', '|---|---|---|---|'];
  const fmt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
  for (const [key, label] of [
    ['enqueueOne', 'delayed enqueue, one at a time (jobs/s)'],
    ['enqueueBulk', `delayed enqueue, bulk of ${JOBS} (jobs/s)`],
    ['promotion', `${JOBS} due at once: due to performed (jobs/s)`],
    ['retry', 'jobs failing once, retried at once: to done (jobs/s)'],
  ] as const) {
    const b = med('BullMQ', key);
    const o = med('nestjs-resque', key);
    lines.push(`| ${label} | ${fmt(b)} | ${fmt(o)} | ${(o / b).toFixed(2)}x |`);
  }
  for (const [key, label] of [
    ['lateP50', 'delayed 1 s at 500/s: late by, p50 (ms)'],
    ['lateP99', 'delayed 1 s at 500/s: late by, p99 (ms)'],
    ['beyondP99', '... p99 beyond the due second (ms; BullMQ: same as above)'],
    ['early', 'jobs that ran before their time (of 2,000)'],
  ] as const) {
    lines.push(`| ${label} | ${fmt(med('BullMQ', key === 'beyondP99' ? 'lateP99' : key))} | ${fmt(med('nestjs-resque', key))} | |`);
  }
  console.log(lines.join('\n'));
}

await main();
process.exit(0);
