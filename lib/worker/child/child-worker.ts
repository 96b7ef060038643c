/**
 * Assembles one worker of a child process: its own Redis connection (which waits out outages),
 * the Redis operations, the performer around the application's JobRunner, and the loop.
 * run-child.ts drives it over IPC; the benchmark drives the very same assembly.
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { WorkerSettings } from '../../options/worker-settings.js';
import { ResqueKeys } from '../../protocol/keys.js';
import type { FinishedJob } from '../../protocol/scripts/exchange-jobs.js';
import { workerId, workerName } from '../../protocol/worker-id.js';
import { quietly, workerConnection } from '../../redis/connection.js';
import type { JobPolicy } from '../ipc.js';
import type { JobContext } from '../job-context.js';
import { createPerformer } from '../job-performer.js';
import { setTitle, titles } from '../process-title.js';
import { RedisWorkerOperations } from '../redis-operations.js';
import { WorkerLoop } from '../worker-loop.js';
import { JobRetries } from '../../scheduler/job-retries.js';
import type { RetryOptions } from '../../scheduler/retry-policy.js';

export interface ChildWorkerOptions {
  /** The application's client; the worker duplicates it with worker-friendly retry settings. */
  readonly appRedis: Redis;
  readonly redisOverrides?: RedisOptions;
  readonly settings: WorkerSettings;
  readonly maxJobs: number;
  readonly run: (context: JobContext) => Promise<unknown>;
  readonly policies: Readonly<Record<string, JobPolicy>>;
  /** A job with a timeout started: the host must learn its deadline. */
  readonly onTimedJob?: (job: { workerId: string; token: string; className: string; queue: string; deadline: number }) => void;
  readonly onTimedJobEnd?: (token: string) => void;
  /** The retry options of a job class (its own, or the module's default), if it retries. */
  readonly retryPolicy?: (className: string) => RetryOptions | undefined;
  /** Jobs acknowledged in Redis (the benchmark counts completions here). */
  readonly onFinished?: (jobs: readonly FinishedJob[]) => void;
}

export interface ChildWorker {
  readonly workerId: string;
  readonly loop: WorkerLoop;
  /** Runs until stopped or the quota is reached, then unregisters and closes its connections. */
  run(onLoopEnd?: () => void): Promise<void>;
}

export async function createChildWorker(options: ChildWorkerOptions): Promise<ChildWorker> {
  const { settings, policies } = options;
  const keys = new ResqueKeys(settings.prefix);
  let down = false;
  const redis = workerConnection(
    options.appRedis,
    (error) => {
      if (!down) console.error(`[resque ${process.pid}] Redis unreachable (${error.message}); retrying`);
      down = true;
    },
    options.redisOverrides,
  );
  redis.on('ready', () => {
    down = false;
  });
  const id = workerId(settings.queues);
  const ops = new RedisWorkerOperations({
    redis,
    keys,
    target: { workerId: id, workerName: workerName(), queues: settings.queues },
    blocking: settings.blocking,
    maxCrashRequeues: settings.maxCrashRequeues,
  });
  const defaultTimeoutMs = settings.jobTimeout * 1000;
  let busy = false;
  const perform = createPerformer({
    keys,
    workerId: id,
    run: options.run,
    retries: options.retryPolicy ? new JobRetries(redis, keys, id, options.retryPolicy) : undefined,
    onStart: (job, className) => {
      if (!busy) {
        busy = true;
        setTitle(titles.processing(job.queue, className));
      }
      if (settings.verbose) console.log(`[resque ${process.pid}] ${job.queue}: ${className} started`);
      const timeoutMs = policies[className]?.timeoutMs || defaultTimeoutMs;
      if (timeoutMs <= 0 || !options.onTimedJob) return undefined;
      options.onTimedJob({ workerId: id, token: job.token, className, queue: job.queue, deadline: Date.now() + timeoutMs });
      return () => options.onTimedJobEnd?.(job.token);
    },
  });
  await ops.register();
  const loop = new WorkerLoop(ops, perform, {
    concurrency: settings.concurrency,
    maxJobs: options.maxJobs,
    interval: settings.interval,
    onError: (error) => console.error(`[resque ${process.pid}] Redis: ${error.message}`),
    // Going busy is left to onStart, which names the first job; going idle resets the title.
    onIdle: (idle) => {
      if (!idle) return;
      busy = false;
      setTitle(titles.waiting(settings.queues));
    },
    onFinished: settings.verbose ? (jobs) => logFinished(jobs, options.onFinished) : options.onFinished,
  });
  return {
    workerId: id,
    loop,
    async run(onLoopEnd) {
      await loop.run();
      onLoopEnd?.();
      await ops.unregister();
      await ops.close();
      await quietly(redis);
    },
  };
}

function logFinished(jobs: readonly FinishedJob[], next?: (jobs: readonly FinishedJob[]) => void): void {
  const failed = jobs.filter((job) => job.outcome === 'fail').length;
  console.log(`[resque ${process.pid}] acknowledged ${jobs.length} job(s), ${failed} failed`);
  next?.(jobs);
}
