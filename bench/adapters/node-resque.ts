// node-resque 9 adapter (uses its own bundled ioredis 5). No bulk enqueue exists.
import { fileURLToPath } from 'node:url';
import { Queue } from 'node-resque';
import type { BenchContext, JobPayload, LatencyOptions, LibraryAdapter, WorkerPlan } from '../adapter.js';
import { runLatencyWorkload, runProcessWorkload } from '../fork.js';

const ENTRY = fileURLToPath(new URL('../workers/node-resque-worker.js', import.meta.url));

function workers(processes: number, k: number, timeout?: number): WorkerPlan {
  const t = timeout === undefined ? '' : timeout === 5000 ? ', timeout 5000 ms (default)' : `, timeout ${timeout} ms`;
  return {
    label: `${processes} proc${processes > 1 ? 's' : ''} × ${k} Worker${k > 1 ? 's' : ''}${t}`,
    entry: ENTRY,
    processes,
    options: { kind: 'worker', workers: k, ...(timeout === undefined ? {} : { timeout }) },
  };
}

function multi(processes: number, min: number, max: number): WorkerPlan {
  return {
    label: `${processes} proc${processes > 1 ? 's' : ''} × MultiWorker ${min}..${max}`,
    entry: ENTRY,
    processes,
    options: { kind: 'multi', min, max },
  };
}

export class NodeResqueAdapter implements LibraryAdapter {
  readonly name = 'node-resque';
  readonly packageName = 'node-resque';
  readonly notes = [
    'node-resque: Queue.enqueue(queue, "Noop", [payload]) = one MULTI (SADD queues + RPUSH); no bulk API (n/a). ' +
      'Workers poll with LPOP (via its popAndStoreJob Lua script) and sleep `timeout` ms (default 5000) when the queue is empty; ' +
      'completion counted on the "success" event. Pre-filling for the process workload uses 500 concurrent enqueue() calls at a time (not timed).',
  ];
  private queue: Queue | null = null;
  private queueName = '';

  async open(ctx: BenchContext): Promise<void> {
    this.queueName = ctx.queue;
    this.queue = new Queue({ connection: { host: ctx.redis.host, port: ctx.redis.port, namespace: 'resque' } }, {});
    this.queue.on('error', (e) => console.error('node-resque queue error', e));
    await this.queue.connect();
  }

  async close(): Promise<void> {
    await this.queue?.end();
    this.queue = null;
  }

  async enqueueOne(payload: JobPayload): Promise<void> {
    await this.queue!.enqueue(this.queueName, 'Noop', [payload]);
  }

  async prefill(payloads: JobPayload[]): Promise<void> {
    for (let i = 0; i < payloads.length; i += 500) {
      await Promise.all(payloads.slice(i, i + 500).map((p) => this.queue!.enqueue(this.queueName, 'Noop', [p])));
    }
  }

  async queued(): Promise<number> {
    return await this.queue!.length(this.queueName);
  }

  c1Plan(): WorkerPlan {
    return workers(1, 1);
  }

  bestPlans(): WorkerPlan[] {
    return [
      workers(1, 4), workers(1, 16), workers(1, 48),
      workers(2, 1), workers(2, 4), workers(2, 16), workers(2, 48),
      multi(1, 1, 10), multi(2, 1, 10),
    ];
  }

  timedPlan(concurrency: number, sleepMs: number): WorkerPlan {
    const p = workers(1, concurrency);
    return { ...p, options: { ...p.options, sleepMs } };
  }

  latencyPlans(): WorkerPlan[] {
    // default poll interval, and a tight one (node-resque cannot block on an empty queue)
    return [workers(1, 1, 5000), workers(1, 1, 10)];
  }

  processWorker(ctx: BenchContext, p: WorkerPlan) {
    return runProcessWorkload(ctx, p);
  }

  latency(ctx: BenchContext, p: WorkerPlan, opts: LatencyOptions) {
    return runLatencyWorkload(ctx, p, opts);
  }
}
