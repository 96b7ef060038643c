// The Redis floor: bare ioredis, no library. Enqueue = one RPUSH per job (awaited, or 1,000 in
// flight); process = a forked worker that LPOPs one job at a time (concurrency 1, nothing kept in
// flight, no acknowledgement: what a crash loses is not its concern); latency = BLPOP. Every job is
// still counted, so the floor obeys the same exactly-once check as the libraries.
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { BenchContext, JobPayload, LatencyOptions, LibraryAdapter, WorkerPlan } from '../adapter.js';
import { runLatencyWorkload, runProcessWorkload } from '../fork.js';
import { rawJob, rawQueueKey } from '../workers/raw-job.js';

const ENTRY = fileURLToPath(new URL('../workers/raw-worker.js', import.meta.url));

export class RawAdapter implements LibraryAdapter {
  readonly name = 'raw';
  readonly packageName = 'ioredis';
  readonly floor = true;
  readonly notes = [
    'raw (the floor): bare ioredis on a plain list, the payload wrapped as a php-resque job record (`{"class","args","id"}`); ' +
      'enqueue = RPUSH, process = one LPOP per job in a forked worker (BLPOP when the list is empty), latency = BLPOP. ' +
      'No reservation, status or stats: the Redis round trip and nothing else. Ratios "of raw" compare a library with it.',
  ];
  private redis: Redis | null = null;
  private key = '';

  async open(ctx: BenchContext): Promise<void> {
    this.key = rawQueueKey(ctx.queue);
    this.redis = new Redis({ host: ctx.redis.host, port: ctx.redis.port });
    await this.redis.ping();
  }

  async close(): Promise<void> {
    this.redis?.disconnect();
    this.redis = null;
  }

  async enqueueOne(payload: JobPayload): Promise<void> {
    await this.redis!.rpush(this.key, rawJob(payload));
  }

  async prefill(payloads: JobPayload[]): Promise<void> {
    for (let i = 0; i < payloads.length; i += 1000) {
      await this.redis!.rpush(this.key, ...payloads.slice(i, i + 1000).map(rawJob));
    }
  }

  async queued(): Promise<number> {
    return this.redis!.llen(this.key);
  }

  c1Plan(): WorkerPlan {
    return { label: '1 proc, LPOP one at a time', entry: ENTRY, processes: 1, options: {} };
  }

  bestPlans(): WorkerPlan[] {
    return []; // a floor for concurrency 1 only
  }

  latencyPlans(): WorkerPlan[] {
    return [{ label: '1 proc, BLPOP', entry: ENTRY, processes: 1, options: {} }];
  }

  processWorker(ctx: BenchContext, p: WorkerPlan) {
    return runProcessWorkload(ctx, p);
  }

  latency(ctx: BenchContext, p: WorkerPlan, opts: LatencyOptions) {
    return runLatencyWorkload(ctx, p, opts);
  }
}
