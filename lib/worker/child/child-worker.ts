/**
 * Assembles one worker of a child process: its own Redis connection (which waits out outages),
 * the Redis operations, the performer around the application's JobRunner, and the loop.
 * run-child.ts drives it over IPC; the benchmark drives the very same assembly.
 *
 * Two duties of its own: once its host is gone (an orphan) it heartbeats its worker id itself until
 * it has finished and unregistered, so no other host takes its running jobs for dead; and after each
 * job it checks its memory against MAX_CHILD_MEMORY_MB, and past it stops taking jobs (recycling).
 */
import type { RedisClient } from '../../redis/connection.js';
import type { WorkerSettings } from '../../options/worker-settings.js';
import { ResqueKeys } from '../../protocol/keys.js';
import type { FinishedJob, ReservedJob } from '../../protocol/scripts/exchange-jobs.js';
import { isoTime } from '../../protocol/time.js';
import { workerId, workerName } from '../../protocol/worker-id.js';
import { heartbeat } from '../../protocol/scripts/heartbeat.js';
import { quietly, workerConnection, type ConnectOptions } from '../../redis/connection.js';
import type { JobPolicy } from '../ipc.js';
import type { JobContext } from '../job-context.js';
import { createPerformer } from '../job-performer.js';
import { readInflightPayload } from '../../protocol/inflight-entry.js';
import { setTitle, titles } from '../process-title.js';
import { printable } from '../../protocol/printable.js';
import { RedisWorkerOperations } from '../redis-operations.js';
import { WorkerLoop } from '../worker-loop.js';
import { JobLifecycle, type JobClassPolicy } from '../../scheduler/job-lifecycle.js';
import { within } from '../within.js';
import type { JobMetricsRecorder, JobOutcome } from '../../metrics/job-metrics.js';
import { ClassMetricsWriter } from '../../metrics/class-metrics-writer.js';
import { OutcomePublisher } from '../../events/outcome-publisher.js';
import type { ResqueTracing } from '../../tracing/resque-tracing.js';

export interface ChildWorkerOptions {
  /** The application's client; the worker duplicates it with worker-friendly retry settings. */
  readonly appRedis: RedisClient;
  readonly redisOverrides?: ConnectOptions;
  readonly settings: WorkerSettings;
  /** The id to register as (the host's choice, unique among live workers); default hostname:pid:queues. */
  readonly workerId?: string;
  readonly maxJobs: number;
  readonly run: (context: JobContext) => Promise<unknown>;
  readonly policies: Readonly<Record<string, JobPolicy>>;
  /** A job with a timeout started: the host must learn its deadline. */
  readonly onTimedJob?: (job: { workerId: string; token: string; className: string; queue: string; deadline: number }) => void;
  readonly onTimedJobEnd?: (token: string) => void;
  /** Retries, uniqueness and run-time locks of a job class (its own, or the module's default retry). */
  readonly jobPolicy?: (className: string) => JobClassPolicy | undefined;
  /** Jobs acknowledged in Redis (the benchmark counts completions here). */
  readonly onFinished?: (jobs: readonly FinishedJob[]) => void;
  /** Records each run's queue, class, outcome and duration (the host serves them as Prometheus metrics). */
  readonly metrics?: JobMetricsRecorder;
  /** Per-minute per-class counts and durations in Redis for the dashboard (class-metrics-writer.ts); default on. */
  readonly classMetrics?: boolean;
  /** Spans around each perform, children of their enqueue's (forRoot({ tracing: true })). */
  readonly tracing?: ResqueTracing | null;
  /** The child passed its memory ceiling after a job: it takes no more jobs and ends its loop. */
  readonly onRecycle?: (reason: string) => void;
}

export interface ChildWorker {
  readonly workerId: string;
  readonly loop: WorkerLoop;
  /** Runs until stopped or the quota is reached, then unregisters and closes its connections. */
  run(onLoopEnd?: () => void): Promise<void>;
  /** Its host is gone: heartbeat this worker ourselves until run() has unregistered it. */
  heartbeatAlone(): void;
  /** Writes `worker:<id>` (resque-web's "working on") for a running job, unless one is there: after a recovery removed it. */
  restoreWorkingOn(): Promise<void>;
  /** True while Redis is unreachable and the worker holds nothing: no job running, none awaiting its acknowledgement. */
  idleWithoutRedis(): boolean;
}

/** An unregister that cannot reach Redis is not waited for: the host's recovery, or staleness, removes the registration. */
const UNREGISTER_WAIT_MS = 3_000;

export async function createChildWorker(options: ChildWorkerOptions): Promise<ChildWorker> {
  const { settings, policies } = options;
  const keys = new ResqueKeys(settings.prefix);
  let down = false;
  const redis = workerConnection(
    options.appRedis,
    (error) => {
      if (!down) logError(`Redis unreachable (${error.message}); retrying`);
      down = true;
    },
    options.redisOverrides,
  );
  redis.on('ready', () => {
    down = false;
  });
  const id = options.workerId ?? workerId(settings.queues);
  const ops = new RedisWorkerOperations({
    redis,
    keys,
    target: {
      workerId: id,
      workerName: workerName(),
      queues: settings.queues,
      failedMax: settings.failedMax,
      onTakenMeanwhile: (token) =>
        logError(`job ${token} finished here after it was requeued (this worker was presumed dead) and another worker took it: it may run twice`),
    },
    blocking: settings.blocking,
    maxCrashRequeues: settings.maxCrashRequeues,
    marksStarts: settings.prefetch > 0,
    onInvalidQueue: (name, problem) => console.error(`[resque ${process.pid}] skipping queue ${JSON.stringify(name)} from the queues set: ${problem}`),
  });
  const defaultTimeoutMs = settings.jobTimeout * 1000;
  let busy = false;
  let recycling = false;
  /** Jobs performed and not yet acknowledged in Redis. */
  let unacknowledged = 0;
  const ceilingBytes = settings.maxChildMemoryMb * 2 ** 20;
  // Late-bound: the loop is built after the performer it runs.
  let stopLoop = () => undefined as void;
  const checkMemory = () => {
    // Only a host's child recycles (its host replaces it); an in-process worker has no one to.
    if (recycling || ceilingBytes <= 0 || !options.onRecycle) return;
    const rss = process.memoryUsage.rss();
    if (rss <= ceilingBytes) return;
    recycling = true;
    stopLoop();
    options.onRecycle?.(`${Math.round(rss / 2 ** 20)} MB resident after a job, above MAX_CHILD_MEMORY_MB=${settings.maxChildMemoryMb}`);
  };
  const metrics = options.metrics;
  const classMetrics =
    options.classMetrics === false
      ? undefined
      : new ClassMetricsWriter(redis, keys, { onError: (error) => logError(`writing per-class metrics failed (${error.message}); dropped until it works again`) });
  // PUBLISH_EVENTS: outcomes for other processes (events across processes, waitFor), after each acknowledgement.
  const outcomes = settings.publishEvents
    ? new OutcomePublisher(redis, keys, id, settings.eventResultTtl, (error) =>
        logError(`publishing job outcomes failed (${error.message}); they are dropped until it works again`),
      )
    : undefined;
  /** The class of each job that started running, for its metrics (a payload that does not decode has none). */
  const classes = new Map<string, string>();
  const tracing = options.tracing;
  const runJob: ChildWorkerOptions['run'] = tracing ? (context) => tracing.perform(context, () => options.run(context)) : options.run;
  const perform = createPerformer({
    keys,
    payloadBytes: (job) => readInflightPayload(redis, keys.inflight(id), job.token),
    workerId: id,
    // With metrics, each job's wait (enqueue to perform) from its queue_time, where it has one.
    run: metrics
      ? (context) => {
          if (context.queueTime !== undefined) metrics.recordWait(context.className, Date.now() / 1000 - context.queueTime);
          return runJob(context);
        }
      : runJob,
    lifecycle: options.jobPolicy ? new JobLifecycle(redis, keys, id, options.jobPolicy) : undefined,
    onStart: (job, className, jobId) => {
      classes.set(job.token, className);
      outcomes?.started(job, className, jobId);
      if (!busy) {
        busy = true;
        setTitle(titles.processing(job.queue, className));
      }
      if (settings.verbose) log(`${job.queue}: ${className} started`);
      const timeoutMs = policies[className]?.timeoutMs || defaultTimeoutMs;
      if (timeoutMs <= 0 || !options.onTimedJob) return undefined;
      options.onTimedJob({ workerId: id, token: job.token, className, queue: job.queue, deadline: Date.now() + timeoutMs });
      return () => options.onTimedJobEnd?.(job.token);
    },
  });
  /** Running jobs and when they started, for a `worker:<id>` record written again. */
  const running = new Map<string, { job: ReservedJob; startedAt: Date }>();
  // Between jobs only: a job that finished, and the loop not yet asking for the next one.
  const performThenCheck: typeof perform = (job) => {
    const startedAt = new Date();
    running.set(job.token, { job, startedAt });
    return perform(job).then((finished) => {
      running.delete(job.token);
      const ran = runOf(job, finished, classes, startedAt.getTime());
      if (ran) {
        metrics?.record(job.queue, ran.className, ran.outcome, ran.seconds);
        // A payload that does not decode names no class: the dashboard's per-class page leaves it out.
        if (ran.className !== '') classMetrics?.record(ran.className, ran.outcome !== 'ok', ran.seconds * 1000);
      }
      outcomes?.ended(job, finished);
      unacknowledged++;
      checkMemory();
      return finished;
    });
  };
  await ops.register();
  classMetrics?.start();
  const loop = new WorkerLoop(ops, performThenCheck, {
    concurrency: settings.concurrency,
    prefetch: settings.prefetch,
    maxJobs: options.maxJobs,
    interval: settings.interval,
    onError: (error) => logError(`Redis: ${error.message}`),
    // Going busy is left to onStart, which names the first job; going idle resets the title.
    onIdle: (idle) => {
      if (!idle) return;
      busy = false;
      setTitle(titles.waiting(settings.queues));
    },
    onFinished: (jobs) => {
      unacknowledged -= jobs.length;
      outcomes?.acknowledged(jobs);
      if (settings.verbose) logFinished(jobs, options.onFinished);
      else options.onFinished?.(jobs);
    },
  });
  stopLoop = () => loop.stop();
  let aloneTimer: NodeJS.Timeout | undefined;
  return {
    workerId: id,
    loop,
    async run(onLoopEnd) {
      await loop.run();
      onLoopEnd?.();
      await within(outcomes?.flush() ?? Promise.resolve(), UNREGISTER_WAIT_MS);
      await within(classMetrics?.stop() ?? Promise.resolve(), UNREGISTER_WAIT_MS);
      // Our own heartbeats stop before we unregister: a late one would register us again.
      if (aloneTimer) clearInterval(aloneTimer);
      aloneTimer = undefined;
      await within(ops.unregister(), UNREGISTER_WAIT_MS);
      await ops.close();
      await quietly(redis);
    },
    async restoreWorkingOn() {
      const [first] = running.values();
      if (!first) return;
      await redis.set(keys.worker(id), workingOnRecord(first.job, first.startedAt, workerName()), 'NX');
    },
    idleWithoutRedis() {
      return redis.status !== 'ready' && loop.running === 0 && unacknowledged === 0;
    },
    heartbeatAlone() {
      if (aloneTimer) return;
      let beating = false;
      const beat = () => {
        if (beating || !aloneTimer) return;
        beating = true;
        // Alive only: an orphan judges nobody (staleness 'never').
        void heartbeat(redis, keys, [id], Number.MAX_SAFE_INTEGER)
          .catch(() => undefined)
          .finally(() => {
            beating = false;
          });
      };
      aloneTimer = setInterval(beat, settings.heartbeatInterval * 1000);
      beat();
    },
  };
}


/** A run's class, outcome and duration; a deferral that never ran (a held run-time lock) or a prefetched job handed back is not a run. */
function runOf(job: ReservedJob, finished: FinishedJob, classes: Map<string, string>, startedMs: number): { className: string; outcome: JobOutcome; seconds: number } | undefined {
  const className = classes.get(job.token);
  classes.delete(job.token);
  if (finished.outcome === 'return' || (finished.outcome === 'delayed' && className === undefined)) return undefined;
  const outcome = finished.outcome === 'delayed' ? 'retried' : finished.outcome;
  // A payload that does not decode never names a class we could trust: counted under ''.
  return { className: className ?? '', outcome, seconds: Math.max(0, Date.now() - startedMs) / 1000 };
}

/** `worker:<id>` as exchange.lua writes it: the payload byte for byte when it is JSON, else as a JSON string. */
function workingOnRecord(job: ReservedJob, startedAt: Date, name: string): string {
  let payload = job.raw;
  try {
    if (/[\u0000-\u001f]/.test(job.raw)) throw new Error('control characters');
    JSON.parse(job.raw);
  } catch {
    payload = JSON.stringify(job.raw);
  }
  return `{"queue":${JSON.stringify(job.queue)},"run_at":${JSON.stringify(isoTime(startedAt))},"payload":${payload},"worker":${JSON.stringify(name)}}`;
}

function logFinished(jobs: readonly FinishedJob[], next?: (jobs: readonly FinishedJob[]) => void): void {
  const failed = jobs.filter((job) => job.outcome === 'fail').length;
  log(`acknowledged ${jobs.length} job(s), ${failed} failed`);
  next?.(jobs);
}

/** A child's log line: queue and class names and error texts come from Redis, so they are escaped. */
function log(message: string): void {
  console.log(`[resque ${process.pid}] ${printable(message)}`);
}

function logError(message: string): void {
  console.error(`[resque ${process.pid}] ${printable(message)}`);
}
