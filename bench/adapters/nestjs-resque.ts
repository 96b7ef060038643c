// nestjs-resque adapter: enqueue through ResqueClient (one Lua call per job; bulk: one call per
// 1000 jobs), workers are forked children running the same worker as the forked host's children.
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ResqueClient } from '../../lib/client/resque-client.js';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { childExecArgv, childMemoryEnv } from '../../lib/worker/host/child-exec-argv.js';
import {
  type BenchContext,
  type JobPayload,
  type LatencyOptions,
  type LibraryAdapter,
  type WorkerPlan,
} from '../adapter.js';
import { runLatencyWorkload, runProcessWorkload } from '../fork.js';

const ENTRY = fileURLToPath(new URL('../workers/nestjs-resque-worker.js', import.meta.url));

/** The library's default settings but for CONCURRENCY (and `extra`, e.g. blocking). */
function plan(processes: number, concurrency: number, extra: Record<string, unknown> = {}, note = ''): WorkerPlan {
  return {
    label: `${processes} proc${processes > 1 ? 's' : ''} × concurrency ${concurrency}${note}`,
    entry: ENTRY,
    processes,
    options: { concurrency, ...extra },
    // What the forked host gives its children by default (lib/worker/host/child-exec-argv.ts).
    execArgv: childExecArgv([]),
    env: childMemoryEnv({}),
  };
}

export class NestjsResqueAdapter implements LibraryAdapter {
  readonly name = 'nestjs-resque';
  readonly packageName = 'nestjs-resque'; // version read from ./package.json
  readonly notes: string[] = [
    'nestjs-resque: php-resque payloads, reliable reservation on (one exchange script acknowledges finished jobs and moves the next ones ' +
      'into the worker\'s in-flight hash); workers are processes running the forked host\'s child worker ' +
      '(createInProcessWorker: Nest context + JobRunner) with the library\'s default settings but CONCURRENCY (latency also with BLOCKING=1); ' +
      'completion counted when the acknowledgement is stored.',
  ];
  readonly bulkDescription = 'QueueService.enqueueBulk (one script call per 1000 jobs)';
  private client: ResqueClient | null = null;
  private queue = '';

  async open(ctx: BenchContext): Promise<void> {
    this.queue = ctx.queue;
    this.client = new ResqueClient({ redis: new Redis({ host: ctx.redis.host, port: ctx.redis.port }), keys: new ResqueKeys('resque') });
    await this.client.redis.ping();
  }

  async close(): Promise<void> {
    this.client?.redis.disconnect();
    this.client = null;
  }

  async enqueueOne(payload: JobPayload): Promise<void> {
    await this.client!.enqueue(this.queue, 'NoopJob', payload);
  }

  async enqueueBulk(payloads: JobPayload[]): Promise<void> {
    await this.client!.enqueueBulk(this.queue, 'NoopJob', payloads);
  }

  async queued(): Promise<number> {
    return this.client!.size(this.queue);
  }

  c1Plan(): WorkerPlan {
    return plan(1, 1);
  }

  bestPlans(): WorkerPlan[] {
    return [plan(1, 10), plan(1, 50), plan(1, 200), plan(2, 10), plan(2, 50), plan(2, 200)];
  }

  latencyPlans(): WorkerPlan[] {
    return [plan(1, 1, {}, ', default settings'), plan(1, 1, { blocking: true }, ', BLOCKING=1')];
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
