/**
 * The worker loop inside the caller's own process, without the forked host: the same assembly a
 * host's child runs (its own Redis connection, reliable reservation, the application's JobRunner),
 * driven by the caller. For tests, benchmarks, and applications that supervise processes themselves.
 *
 * What the host adds and this does not: restarts after a crash, signals, JOB_TIMEOUT kills, COUNT
 * and fork-per-job. It does write its own heartbeat, so a host elsewhere does not take this
 * worker's in-flight jobs for a dead worker's; if this process dies, a host recovers them after
 * DEAD_AFTER like any other worker's.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { JobRegistry } from '../../discovery/job.registry.js';
import { JobRunner } from '../../discovery/job-runner.service.js';
import type { ResqueModuleOptions } from '../../options/resque-options.js';
import { resolveSettings, type WorkerSettings } from '../../options/worker-settings.js';
import { ResqueKeys } from '../../protocol/keys.js';
import { heartbeat } from '../../protocol/scripts/heartbeat.js';
import type { FinishedJob } from '../../protocol/scripts/exchange-jobs.js';
import { isCluster, type ConnectOptions, type OwnedRedis } from '../../redis/connection.js';
import { resolvePrefix } from '../../redis/cluster-prefix.js';
import { RESQUE_MODULE_OPTIONS, RESQUE_REDIS, RESQUE_TRACING } from '../../resque.tokens.js';
import type { ResqueTracing } from '../../tracing/resque-tracing.js';
import { createChildWorker } from './child-worker.js';
import { jobPolicyOf } from './job-policy.js';

export interface InProcessWorkerOptions {
  /**
   * Over ResqueModule's `worker` options (and its `prefix`) and the defaults: queues, concurrency, blocking, interval...
   * The environment (QUEUE, CONCURRENCY...) is not read; pass `settingsFromEnv`-style values yourself.
   */
  readonly settings?: Partial<WorkerSettings>;
  /** Stop after this many jobs; 0 (the default) = run until stop(). */
  readonly maxJobs?: number;
  /** Overrides for the worker's own connection (a duplicate of ResqueModule's). */
  readonly redis?: ConnectOptions;
  /** Called after jobs are acknowledged in Redis (outcome 'ok' or 'fail'). */
  readonly onFinished?: (jobs: readonly FinishedJob[]) => void;
  /** Per-class counts and durations in Redis for the dashboard's Metrics page (one write every 5 s); default true. */
  readonly classMetrics?: boolean;
}

export interface InProcessWorker {
  /** `host:pid:queues`, as every Resque reads it: one worker per process per queue list. */
  readonly workerId: string;
  readonly settings: WorkerSettings;
  /** Jobs performing now. */
  readonly running: number;
  /** Takes jobs until stop() or maxJobs; resolves once nothing is in flight and the worker is unregistered. */
  run(): Promise<void>;
  /** Takes no more jobs; run() resolves after the running ones are acknowledged. */
  stop(): void;
  pause(): void;
  resume(): void;
}

/**
 * Builds a connected, registered worker for `app` (a context that imports ResqueModule); call
 * run() to start taking jobs. The Nest context stays the caller's to close, after run() resolved.
 */
export async function createInProcessWorker(app: INestApplicationContext, options: InProcessWorkerOptions = {}): Promise<InProcessWorker> {
  const moduleOptions = app.get<ResqueModuleOptions>(RESQUE_MODULE_OPTIONS, { strict: false });
  // The module's key prefix is the one its producers write under; `worker.prefix` may still override it.
  const appRedis = app.get<OwnedRedis>(RESQUE_REDIS, { strict: false }).client;
  const explicitPrefix = options.settings?.prefix ?? moduleOptions.worker?.prefix ?? moduleOptions.prefix;
  // On a Redis Cluster the prefix needs a hash tag ({resque} by default): cluster-prefix.ts.
  const onCluster = options.redis ? options.redis.cluster !== undefined : isCluster(appRedis);
  const prefix = resolvePrefix(explicitPrefix, onCluster, 'the prefix');
  const settings = resolveSettings({ prefix: moduleOptions.prefix }, moduleOptions.worker, options.settings, { prefix });
  const registry = app.get(JobRegistry, { strict: false });
  const runner = app.get(JobRunner, { strict: false });
  const worker = await createChildWorker({
    appRedis,
    redisOverrides: options.redis,
    settings,
    maxJobs: options.maxJobs ?? 0,
    run: (context) => runner.run(context),
    tracing: app.get<ResqueTracing | null>(RESQUE_TRACING, { strict: false }),
    policies: registry.policies(moduleOptions.retry),
    jobPolicy: jobPolicyOf(registry, moduleOptions),
    onFinished: options.onFinished,
    classMetrics: options.classMetrics,
  });
  const keys = new ResqueKeys(settings.prefix);
  return {
    workerId: worker.workerId,
    settings,
    get running() {
      return worker.loop.running;
    },
    async run() {
      // Heartbeats on the application's connection: the worker's own may sit in a blocking call.
      const beat = () => void heartbeat(appRedis, keys, [worker.workerId], settings.deadAfter * 1000).catch(() => undefined);
      const timer = setInterval(beat, settings.heartbeatInterval * 1000);
      timer.unref();
      try {
        await worker.run(() => clearInterval(timer));
      } finally {
        clearInterval(timer);
      }
    },
    stop: () => worker.loop.stop(),
    pause: () => worker.loop.pause(),
    resume: () => worker.loop.resume(),
  };
}
