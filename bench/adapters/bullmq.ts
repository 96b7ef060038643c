// BullMQ 6 adapter. Jobs are added with removeOnComplete/removeOnFail (like Resque, nothing is kept).
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { BenchContext, JobPayload, LatencyOptions, LibraryAdapter, WorkerPlan } from '../adapter.js';
import { runLatencyWorkload, runProcessWorkload } from '../fork.js';

const ENTRY = fileURLToPath(new URL('../workers/bullmq-worker.js', import.meta.url));
const BULK_CHUNK = 1000;
/** BENCH_BULLMQ_KEEP=1 keeps completed jobs (BullMQ's own default) instead of removeOnComplete: true */
const KEEP = process.env.BENCH_BULLMQ_KEEP === '1';

function plan(processes: number, concurrency: number): WorkerPlan {
  return {
    label: `${processes} proc${processes > 1 ? 's' : ''} × concurrency ${concurrency}`,
    entry: ENTRY,
    processes,
    options: { concurrency },
  };
}

export class BullmqAdapter implements LibraryAdapter {
  readonly name = 'bullmq';
  readonly packageName = 'bullmq';
  readonly bulkDescription = `Queue.addBulk, chunks of ${BULK_CHUNK}`;
  readonly notes = [
    (KEEP
      ? 'BullMQ: BENCH_BULLMQ_KEEP=1, completed jobs kept (BullMQ default job options); '
      : 'BullMQ: Queue defaultJobOptions { removeOnComplete: true, removeOnFail: true } (Resque keeps nothing either; BENCH_BULLMQ_KEEP=1 keeps them); ') +
      'Worker defaults otherwise (drainDelay 5 s, lockDuration 30 s); completion counted on the worker\'s "completed" event.',
    `BullMQ bulk: Queue.addBulk awaited per chunk of ${BULK_CHUNK} jobs (one MULTI per chunk).`,
  ];
  private queue: Queue | null = null;

  async open(ctx: BenchContext): Promise<void> {
    this.queue = new Queue(ctx.queue, {
      connection: { host: ctx.redis.host, port: ctx.redis.port, maxRetriesPerRequest: null },
      defaultJobOptions: KEEP ? {} : { removeOnComplete: true, removeOnFail: true },
    });
    await this.queue.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.queue?.close();
    this.queue = null;
  }

  async enqueueOne(payload: JobPayload): Promise<void> {
    await this.queue!.add('noop', payload);
  }

  async enqueueBulk(payloads: JobPayload[]): Promise<void> {
    for (let i = 0; i < payloads.length; i += BULK_CHUNK) {
      await this.queue!.addBulk(payloads.slice(i, i + BULK_CHUNK).map((data) => ({ name: 'noop', data })));
    }
  }

  async queued(): Promise<number> {
    return await this.queue!.getWaitingCount();
  }

  c1Plan(): WorkerPlan {
    return plan(1, 1);
  }

  bestPlans(): WorkerPlan[] {
    return [
      plan(1, 10), plan(1, 50), plan(1, 100), plan(1, 200),
      plan(2, 1), plan(2, 10), plan(2, 50), plan(2, 100), plan(2, 200),
    ];
  }

  latencyPlans(): WorkerPlan[] {
    return [plan(1, 1)];
  }

  timedPlan(concurrency: number, sleepMs: number): WorkerPlan {
    const p = plan(1, concurrency);
    return { ...p, options: { ...p.options, sleepMs } };
  }

  processWorker(ctx: BenchContext, p: WorkerPlan) {
    return runProcessWorkload(ctx, p);
  }

  latency(ctx: BenchContext, p: WorkerPlan, opts: LatencyOptions) {
    return runLatencyWorkload(ctx, p, opts);
  }
}
