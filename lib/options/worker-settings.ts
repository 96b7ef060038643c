/**
 * Worker settings, named and read like php-resque's environment (QUEUE, COUNT, INTERVAL,
 * BLOCKING, PREFIX, REDIS_URL, PIDFILE, VERBOSE) plus the ones Resque never had.
 * Precedence: environment > options passed to runWorker > ResqueModule's `worker` options > defaults.
 */
import { InvalidSettingError } from '../errors/invalid-setting.error.js';
import { printable } from '../protocol/printable.js';
import { queueNameProblem } from '../protocol/queue-name.js';

export interface WorkerSettings {
  /** QUEUE: queue names in priority order; `*` alone means every queue, alphabetically, re-read as queues appear. */
  readonly queues: readonly string[];
  /** COUNT: child processes. */
  readonly count: number;
  /** CONCURRENCY: jobs one child runs at once (async jobs overlap; 1 is Resque's behaviour). */
  readonly concurrency: number;
  /**
   * PREFETCH: jobs a child reserves beyond CONCURRENCY while jobs are short (the last one finished
   * within 10 ms), so the next job starts as soon as one ends instead of after a round trip to
   * Redis. Each start is recorded before the job runs, so a crash fails only the started jobs and
   * gives the reserved ones back; a reserved job waits at most 100 ms for a slot, then goes back;
   * stop and pause give them back too. 0 = reserve only for free slots. Unset: 8 at CONCURRENCY
   * 1-2, 0 above.
   */
  readonly prefetch: number;
  /** INTERVAL: seconds an idle worker waits before looking at the queues again (with BLOCKING, the longest wait for a wake-up). */
  readonly interval: number;
  /** BLOCKING: wait on Redis for our producers' wake-ups (on by default); 0 = php-resque's plain polling every INTERVAL. */
  readonly blocking: boolean;
  /** PREFIX: key namespace (`resque` gives `resque:queue:x`; on a Redis Cluster `{resque}`, and a prefix must carry a hash tag). */
  readonly prefix: string;
  /** PIDFILE: where the host writes its pid. */
  readonly pidFile?: string;
  /** VERBOSE: log every job. */
  readonly verbose: boolean;
  /** FORK_PER_JOB: a fresh child per job (Resque's classic isolation) instead of long-lived children. */
  readonly forkPerJob: boolean;
  /** SPARES: booted children kept waiting in fork-per-job mode, so a job does not wait for a boot. */
  readonly spares: number;
  /** SHUTDOWN_TIMEOUT: seconds TERM/INT let running jobs finish before they are killed (0 = php-resque's immediate kill). */
  readonly shutdownTimeout: number;
  /** JOB_TIMEOUT: default seconds a job may run before its child is killed and the job failed (0 = none). */
  readonly jobTimeout: number;
  /** HEARTBEAT_INTERVAL: seconds between heartbeats. */
  readonly heartbeatInterval: number;
  /** DEAD_AFTER: seconds without a heartbeat after which any worker recovers a worker's jobs. */
  readonly deadAfter: number;
  /** MAX_CRASH_REQUEUES: times one job is put back after its process died before it is failed. */
  readonly maxCrashRequeues: number;
  /** FAILED_MAX: most failure records `failed` keeps, the oldest trimmed as new ones come (0 = all, Resque's behaviour). */
  readonly failedMax: number;
  /** SCHEDULER: run the delayed-job scheduler in this host (one host leads at a time); 0 turns it off. */
  readonly scheduler: boolean;
  /** REDIS_STARTUP_TIMEOUT: seconds the host waits for Redis at start-up before it gives up (exit 1). */
  readonly redisStartupTimeout: number;
  /** MAX_JOBS_PER_CHILD: a long-lived child is replaced after this many jobs (0 = never). */
  readonly maxJobsPerChild: number;
  /** MAX_CHILD_MEMORY_MB: a child whose RSS is above this after a job is replaced (0 = never). */
  readonly maxChildMemoryMb: number;
  /**
   * PUBLISH_EVENTS: publish each job's outcome (completed/failed) for other processes once it is
   * acknowledged (JobOutcomes.events$, waitFor). Off by default: it costs a script call per
   * acknowledgement and a short-lived key per job with an id.
   */
  readonly publishEvents: boolean;
  /** EVENT_RESULT_TTL: seconds a published job's outcome stays readable by id (waitFor of a job that already finished). */
  readonly eventResultTtl: number;
}

/** The highest CONCURRENCY the default PREFETCH applies to (see resolveSettings). */
export const PREFETCH_MAX_CONCURRENCY = 2;

export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  queues: ['*'],
  count: 1,
  concurrency: 1,
  prefetch: 8,
  interval: 5,
  blocking: true,
  prefix: 'resque',
  verbose: false,
  forkPerJob: false,
  spares: 1,
  shutdownTimeout: 0,
  jobTimeout: 0,
  heartbeatInterval: 5,
  deadAfter: 30,
  maxCrashRequeues: 3,
  failedMax: 0,
  scheduler: true,
  redisStartupTimeout: 30,
  maxJobsPerChild: 0,
  maxChildMemoryMb: 512,
  publishEvents: false,
  eventResultTtl: 120,
};

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the environment; throws InvalidSettingError naming the first bad variable. */
export function settingsFromEnv(env: Env): Partial<WorkerSettings> & { redisUrl?: string; redisCluster?: string } {
  const out: { -readonly [K in keyof WorkerSettings]?: WorkerSettings[K] } & { redisUrl?: string; redisCluster?: string } = {};
  const queue = env.QUEUE ?? env.QUEUES;
  if (queue !== undefined) out.queues = parseQueues('QUEUE', queue);
  if (env.COUNT !== undefined) out.count = integer('COUNT', env.COUNT, 1, 256);
  if (env.CONCURRENCY !== undefined) out.concurrency = integer('CONCURRENCY', env.CONCURRENCY, 1, 1000);
  if (env.PREFETCH !== undefined) out.prefetch = integer('PREFETCH', env.PREFETCH, 0, 1000);
  if (env.INTERVAL !== undefined) out.interval = decimal('INTERVAL', env.INTERVAL, 0, 3600);
  if (env.BLOCKING !== undefined) out.blocking = flag(env.BLOCKING);
  if (env.PREFIX !== undefined) out.prefix = env.PREFIX;
  if (env.PIDFILE) out.pidFile = env.PIDFILE;
  if (env.VERBOSE !== undefined || env.VVERBOSE !== undefined || env.LOGGING !== undefined) {
    out.verbose = flag(env.VERBOSE ?? env.VVERBOSE ?? env.LOGGING ?? '');
  }
  if (env.FORK_PER_JOB !== undefined) out.forkPerJob = flag(env.FORK_PER_JOB);
  if (env.SPARES !== undefined) out.spares = integer('SPARES', env.SPARES, 0, 64);
  if (env.SHUTDOWN_TIMEOUT !== undefined) out.shutdownTimeout = decimal('SHUTDOWN_TIMEOUT', env.SHUTDOWN_TIMEOUT, 0, 86400);
  if (env.JOB_TIMEOUT !== undefined) out.jobTimeout = decimal('JOB_TIMEOUT', env.JOB_TIMEOUT, 0, 86400 * 7);
  if (env.HEARTBEAT_INTERVAL !== undefined) out.heartbeatInterval = decimal('HEARTBEAT_INTERVAL', env.HEARTBEAT_INTERVAL, 0.1, 3600);
  if (env.DEAD_AFTER !== undefined) out.deadAfter = decimal('DEAD_AFTER', env.DEAD_AFTER, 1, 86400);
  if (env.MAX_CRASH_REQUEUES !== undefined) out.maxCrashRequeues = integer('MAX_CRASH_REQUEUES', env.MAX_CRASH_REQUEUES, 0, 1000);
  if (env.FAILED_MAX !== undefined) out.failedMax = integer('FAILED_MAX', env.FAILED_MAX, 0, 1_000_000_000);
  if (env.SCHEDULER !== undefined) out.scheduler = flag(env.SCHEDULER);
  if (env.REDIS_STARTUP_TIMEOUT !== undefined) out.redisStartupTimeout = decimal('REDIS_STARTUP_TIMEOUT', env.REDIS_STARTUP_TIMEOUT, 0, 3600);
  if (env.MAX_JOBS_PER_CHILD !== undefined) out.maxJobsPerChild = integer('MAX_JOBS_PER_CHILD', env.MAX_JOBS_PER_CHILD, 0, 1e9);
  if (env.MAX_CHILD_MEMORY_MB !== undefined) out.maxChildMemoryMb = integer('MAX_CHILD_MEMORY_MB', env.MAX_CHILD_MEMORY_MB, 0, 1e7);
  if (env.PUBLISH_EVENTS !== undefined) out.publishEvents = flag(env.PUBLISH_EVENTS);
  if (env.EVENT_RESULT_TTL !== undefined) out.eventResultTtl = integer('EVENT_RESULT_TTL', env.EVENT_RESULT_TTL, 1, 86400 * 30);
  if (env.REDIS_URL) out.redisUrl = env.REDIS_URL;
  // REDIS_CLUSTER: comma-separated host:port seed nodes of a Redis Cluster (redis/cluster-connection.ts).
  if (env.REDIS_CLUSTER) out.redisCluster = env.REDIS_CLUSTER;
  return out;
}

/** Merges layers (later wins) over the defaults and checks the result. */
export function resolveSettings(...layers: ReadonlyArray<Partial<WorkerSettings> | undefined>): WorkerSettings {
  const defined = layers.map(definedOnly);
  const merged: WorkerSettings = Object.assign({}, DEFAULT_WORKER_SETTINGS, ...defined);
  // PREFETCH unset: on where a job would otherwise wait for a round trip (1-2 slots); with more
  // slots, jobs already share each round trip and a reserve only adds work per job.
  if (!defined.some((layer) => 'prefetch' in layer)) (merged as { prefetch: number }).prefetch = merged.concurrency <= PREFETCH_MAX_CONCURRENCY ? DEFAULT_WORKER_SETTINGS.prefetch : 0;
  validate(merged);
  return merged;
}

function definedOnly<T extends object>(layer: T | undefined): Partial<T> {
  if (!layer) return {};
  return Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validate(s: WorkerSettings): void {
  parseQueues('QUEUE', s.queues.join(','));
  integer('COUNT', String(s.count), 1, 256);
  integer('CONCURRENCY', String(s.concurrency), 1, 1000);
  integer('PREFETCH', String(s.prefetch), 0, 1000);
  decimal('INTERVAL', String(s.interval), 0, 3600);
  integer('SPARES', String(s.spares), 0, 64);
  integer('FAILED_MAX', String(s.failedMax), 0, 1_000_000_000);
  integer('EVENT_RESULT_TTL', String(s.eventResultTtl), 1, 86400 * 30);
  if (s.deadAfter <= s.heartbeatInterval * 2) {
    throw new InvalidSettingError('DEAD_AFTER', String(s.deadAfter), `must exceed twice HEARTBEAT_INTERVAL (${s.heartbeatInterval})`);
  }
}

export function parseQueues(name: string, value: string): string[] {
  const queues = value.split(',').map((q) => q.trim()).filter((q) => q !== '');
  if (queues.length === 0) throw new InvalidSettingError(name, value, 'needs at least one queue name, or *');
  for (const q of queues) {
    const problem = q === '*' ? undefined : queueNameProblem(q);
    if (problem !== undefined) throw new InvalidSettingError(name, value, `queue name "${printable(q, 64)}" is invalid: ${problem}`);
  }
  if (queues.includes('*') && queues.length > 1) {
    throw new InvalidSettingError(name, value, '* must stand alone (it already means every queue)');
  }
  return queues;
}

function integer(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n < min || n > max) {
    throw new InvalidSettingError(name, value, `must be a whole number from ${min} to ${max}`);
  }
  return n;
}

function decimal(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new InvalidSettingError(name, value, `must be a number of seconds from ${min} to ${max}`);
  }
  return n;
}

/** php-resque treats BLOCKING as on when set at all; we also accept the usual "off" words. */
function flag(value: string): boolean {
  return !['', '0', 'false', 'no', 'off'].includes(value.trim().toLowerCase());
}
