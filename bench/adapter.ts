// The contract every library adapter implements. The orchestrator (run.ts) only talks to this.
import type { ThrowAwayRedis } from './redis.js';
import type { JobPayload } from './protocol.js';

export type { JobPayload } from './protocol.js';

/** Thrown by an adapter (e.g. the nestjs-resque placeholder) to make run.ts skip the library. */
export class NotImplementedError extends Error {
  constructor(what: string) {
    super(`not implemented: ${what}`);
    this.name = 'NotImplementedError';
  }
}

/** Thrown when a job is lost, performed twice, fails, or the counts don't add up. Aborts the run (exit 1). */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** One measurement's environment: a fresh throw-away redis-server. */
export interface BenchContext {
  /** the throw-away server (host/port, admin connection, INFO cpu) */
  server: ThrowAwayRedis;
  redis: { host: string; port: number };
  /** queue name to use */
  queue: string;
  /** number of jobs in this measurement; payload userIds are 1..jobs */
  jobs: number;
}

/** How to run workers: `processes` children forked from `entry`, each getting `options`. */
export interface WorkerPlan {
  /** human readable, e.g. "2 procs × concurrency 50" */
  label: string;
  /** absolute path of the compiled worker entry (dist/bench/workers/<lib>-worker.js) */
  entry: string;
  processes: number;
  /** passed verbatim to every child as WorkerConfig.options */
  options: Record<string, unknown>;
  /** Node flags of the worker processes (default none), e.g. the flags a library's own host uses */
  execArgv?: string[];
  /** Extra environment of the worker processes */
  env?: Record<string, string>;
}

export interface ProcessResult {
  jobs: number;
  /** from the 'start' message sent to the (already booted, connected) workers to the last job done */
  elapsedMs: number;
  jobsPerSec: number;
  /** process.cpuUsage() user+sys summed over all worker processes, ms */
  workerCpuMs: number;
  /** redis-server used_cpu_user+used_cpu_sys delta over the run, ms */
  redisCpuMs: number;
  /** VmHWM of each worker process, kB */
  peakRssKb: number[];
  /** Redis commands over the run (INFO commandstats delta, the measuring INFO calls excluded) */
  redisCalls: number;
  /** from 99% of the jobs reported done to the last one (0 if reported together) */
  tailMs: number;
}

export interface LatencyOptions {
  jobs: number;
  ratePerSec: number;
  /** enqueue one job (the adapter's enqueueOne, already open) */
  enqueue: (payload: JobPayload) => Promise<void>;
}

export interface LatencyResult {
  /** enqueue → start of perform, ms, one per job */
  samplesMs: number[];
  /** achieved enqueue rate, jobs/s */
  achievedRate: number;
  peakRssKb: number[];
}

export interface LibraryAdapter {
  /** key used by BENCH_ONLY, e.g. 'bullmq' */
  readonly name: string;
  /** npm package whose version is printed (read from node_modules/<pkg>/package.json, or ./package.json) */
  readonly packageName: string;
  /** free-text notes printed under the table (settings, what "bulk" means, ...) */
  readonly notes: string[];

  /** Connect the producer side to ctx.redis. Throw NotImplementedError to have the library skipped. */
  open(ctx: BenchContext): Promise<void>;
  close(): Promise<void>;

  /** Enqueue ONE job with ONE library call; the orchestrator awaits each call before the next. */
  enqueueOne(payload: JobPayload): Promise<void>;
  /** The library's idiomatic bulk enqueue for all payloads (chunking is up to the adapter). Omit if none. */
  enqueueBulk?(payloads: JobPayload[]): Promise<void>;
  /** e.g. "addBulk, chunks of 1000"; shown in the table. */
  readonly bulkDescription?: string;
  /** Fastest way to pre-queue jobs for the process workload (not timed). Defaults to enqueueBulk ?? enqueueOne. */
  prefill?(payloads: JobPayload[]): Promise<void>;
  /** Jobs currently waiting in ctx.queue (sanity check after enqueue/prefill). */
  queued(): Promise<number>;

  /** Plan for workload 2a: one worker process, concurrency 1. */
  c1Plan(ctx: BenchContext): WorkerPlan;
  /** Candidate plans for workload 2b; the orchestrator sweeps them once and keeps the fastest (none: no 2b row). */
  bestPlans(ctx: BenchContext): WorkerPlan[];
  /** Plans for workload 3 (usually one: a single idle worker, concurrency 1). */
  latencyPlans(ctx: BenchContext): WorkerPlan[];
  /** The "jobs that take time" workload: one process, `concurrency` jobs at once, each awaiting `sleepMs`. Omit to skip. */
  timedPlan?(concurrency: number, sleepMs: number): WorkerPlan;
  /** The raw Redis floor (not a library): no best-setting sweep; the report gives libraries' ratios to it. */
  readonly floor?: boolean;

  /** Run `plan` on the ctx.jobs pre-queued jobs until all are done (use runProcessWorkload from fork.ts). */
  processWorker(ctx: BenchContext, plan: WorkerPlan): Promise<ProcessResult>;
  /** Start `plan`'s idle workers, enqueue opts.jobs at opts.ratePerSec, measure (use runLatencyWorkload). */
  latency(ctx: BenchContext, plan: WorkerPlan, opts: LatencyOptions): Promise<LatencyResult>;
}
