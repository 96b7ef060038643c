/**
 * Messages between the worker host and its children, over the fork() IPC channel.
 *
 * child                                  host
 *   boots the Nest context
 *   ready {jobs, moduleSettings, redis} ->
 *                                       <- start {settings, maxJobs, hold, workerId}
 *   connects and registers; with hold (a warm spare in fork-per-job mode) it waits for
 *                                       <- go
 *   runs the worker loop
 *   job-started {token, ...}           ->   only for jobs with a timeout: the host enforces it
 *   job-finished {tokens}              ->   ditto
 *   metrics {batch}                    ->   with METRICS_PORT (start.metrics): job counts and durations since
 *                                            the last batch, about once a second and before exiting
 *   quota-reached {reason?}            ->   it takes no more jobs (quota, memory ceiling): the host replaces it now
 *   drained                            ->   INTERVAL=0 and the queues are empty: it exits, and the host
 *                                            forks no more children and exits 0 once all have exited
 *                                       <- pause | resume | drain
 *   exits 0 after drain or maxJobs; any other exit is a crash the host recovers.
 */
import type { WorkerSettings } from '../options/worker-settings.js';
import type { PortableRedisOptions } from '../redis/connection.js';
import type { JobMetricsBatch } from '../metrics/job-metrics.js';

/** What the host needs to know of a job class to judge its fate when its process dies. */
export interface JobPolicy {
  /** Milliseconds before the host kills the job's child; 0 = none. */
  readonly timeoutMs: number;
  /** Put the job back at the front of its queue after a crash, instead of failing it. */
  readonly retryOnCrash: boolean;
  /**
   * A `retryOnCrash` class with retries (its own or the module's): a crash or timeout is a failed
   * attempt, put back through the delayed queue with the class's backoff and counted with its
   * other attempts. The backoff is computed in the child at boot (a function cannot cross IPC).
   */
  readonly crashRetry?: CrashRetryPolicy;
}

export interface CrashRetryPolicy {
  /** Runs in all, as RetryOptions.attempts. */
  readonly attempts: number;
  /** Wait in ms after failed attempt k at index k - 1 (before jitter), for k = 1 .. attempts - 1. */
  readonly delays: readonly number[];
  readonly jitter: number;
}

export interface ReadyMessage {
  readonly type: 'ready';
  readonly jobs: Readonly<Record<string, JobPolicy>>;
  /** The application's `ResqueModule` worker options, which the host merges under the environment. */
  readonly moduleSettings: Partial<WorkerSettings>;
  /** The connection the application configured, minus anything that cannot cross a process (TLS Buffers tagged). */
  readonly redis: PortableRedisOptions;
  readonly bootMs: number;
}

export interface JobStartedMessage {
  readonly type: 'job-started';
  readonly workerId: string;
  readonly token: string;
  readonly className: string;
  readonly queue: string;
  /** Epoch ms after which the host kills the child. */
  readonly deadline: number;
}

export interface JobFinishedMessage {
  readonly type: 'job-finished';
  readonly tokens: readonly string[];
}

export interface ChildErrorMessage {
  readonly type: 'fatal';
  readonly message: string;
}

/** The child takes no more jobs: its quota (fork-per-job, MAX_JOBS_PER_CHILD) or its memory ceiling; `reason` says which. */
export interface QuotaReachedMessage {
  readonly type: 'quota-reached';
  readonly reason?: string;
}

/** Aggregated in the child (lib/metrics/job-metrics.ts): one message per second at most, whatever the throughput. */
export interface MetricsMessage {
  readonly type: 'metrics';
  readonly batch: JobMetricsBatch;
}

export type ChildMessage =
  | ReadyMessage
  | JobStartedMessage
  | JobFinishedMessage
  | ChildErrorMessage
  | QuotaReachedMessage
  | MetricsMessage
  | { readonly type: 'drained' };

export interface StartMessage {
  readonly type: 'start';
  readonly settings: WorkerSettings;
  /** The host's connection (REDIS_URL, runWorker's redis, or the application's), over the child's own options. */
  readonly redis: PortableRedisOptions;
  /** Exit after this many jobs (1 in fork-per-job mode, else MAX_JOBS_PER_CHILD); 0 = no limit. */
  readonly maxJobs: number;
  /** Connect and register, then wait for `go`: a warm spare, ready to take a job within a round trip. */
  readonly hold: boolean;
  /** The host serves Prometheus metrics (METRICS_PORT): record job counts and durations and send them in batches. */
  readonly metrics?: boolean;
  /** The id to register as, unique among live workers (host/worker-ids.ts); absent: hostname:pid:queues. */
  readonly workerId?: string;
}

export type HostMessage =
  | StartMessage
  | { readonly type: 'go' }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'drain' }
  /** A recovery had unregistered this live worker (its host was cut off): write `worker:<id>` again. */
  | { readonly type: 'registered-again' };

/** The environment variable that tells a forked entry file to run as a child. */
export const CHILD_ENV = 'RESQUE_WORKER_CHILD';

/**
 * Node can only write a process title as long as the original command line, so children get one
 * blank argument of this length: room for `resque-x.y.z: Processing <queue> since <t> [<Class>]`.
 * The child removes it from process.argv before the application sees it.
 */
export const TITLE_ROOM = ' '.repeat(160);
