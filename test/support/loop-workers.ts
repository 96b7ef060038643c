/**
 * Our worker loop in the test's own process on a private Redis (queue `q`, prefix `resque`), with
 * the scheduler's per-class policies (retries, locks) and an injectable clock. Every worker a
 * test starts is stopped after it; a job a failed test left hanging cannot hang the file.
 */
import { afterEach } from 'node:test';
import { Redis } from 'ioredis';
import { JobLifecycle, ResqueKeys, type JobClassPolicy, type JobContext } from '../../lib/index.js';
import { createPerformer } from '../../lib/worker/job-performer.js';
import { RedisWorkerOperations } from '../../lib/worker/redis-operations.js';
import { WorkerLoop } from '../../lib/worker/worker-loop.js';
import type { RedisServer } from './redis-server.js';

export interface LoopWorkerOptions {
  readonly policies?: Record<string, JobClassPolicy>;
  readonly concurrency?: number;
  readonly clock?: () => number;
  /** Queues in priority order (default ['q']). */
  readonly queues?: readonly string[];
  /** Block on the wake-up stream while idle (default false: poll every `interval`). */
  readonly blocking?: boolean;
  /** Seconds an idle worker waits (default 0.02). */
  readonly interval?: number;
}

export function useLoopWorkers(server: () => RedisServer, keys = new ResqueKeys('resque')) {
  const running: Array<{ loop: WorkerLoop; done: Promise<void>; ops: RedisWorkerOperations; redis: Redis }> = [];
  afterEach(async () => {
    for (const w of running.splice(0)) {
      w.loop.stop();
      await Promise.race([w.done, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await w.ops.close().catch(() => undefined);
      w.redis.disconnect();
    }
  }, { timeout: 15_000 });
  return {
    /** Starts a worker (on queue `q` unless told) whose jobs run `run`. */
    start(run: (ctx: JobContext) => unknown, options: LoopWorkerOptions = {}): void {
      const redis = new Redis(server().url, { maxRetriesPerRequest: null });
      const id = `test:${Math.floor(Math.random() * 1e6)}:q`;
      const queues = options.queues ?? ['q'];
      const ops = new RedisWorkerOperations({ redis, keys, target: { workerId: id, workerName: id, queues }, blocking: options.blocking ?? false, maxCrashRequeues: 3 });
      const policies = options.policies ?? {};
      const perform = createPerformer({
        keys,
        workerId: id,
        run: async (ctx) => run(ctx),
        lifecycle: new JobLifecycle(redis, keys, id, (name) => policies[name], options.clock),
      });
      const loop = new WorkerLoop(ops, perform, { concurrency: options.concurrency ?? 1, maxJobs: 0, interval: options.interval ?? 0.02 });
      running.push({ loop, done: ops.register().then(() => loop.run()), ops, redis });
    },
  };
}
