// Shared between the orchestrator (parent) and the worker entries (children):
// the job payload, the clock, the config handed to a worker child and the IPC messages.

/** The job every library runs: `{"userId":1,"email":"u1@example.com"}` (+ `t` in the latency workload). */
export interface JobPayload {
  userId: number;
  email: string;
  /** enqueue timestamp, `performance.timeOrigin + performance.now()` (latency workload only) */
  t?: number;
}

export function makePayload(userId: number): JobPayload {
  return { userId, email: `u${userId}@example.com` };
}

/** Wall clock in ms with sub-ms resolution, comparable across processes on the same machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export type WorkerMode = 'process' | 'latency';

/** Handed to each worker child in env BENCH_WORKER (JSON). */
export interface WorkerConfig {
  redis: { host: string; port: number };
  /** queue name */
  queue: string;
  /** userIds are 1..jobs */
  jobs: number;
  mode: WorkerMode;
  /** 0-based index of this child among the plan's processes */
  processIndex: number;
  /** library-specific settings from WorkerPlan.options (concurrency, ...) */
  options: Record<string, unknown>;
}

export type ParentToChild = { type: 'start' } | { type: 'stop' };

export interface WorkerResult {
  type: 'result';
  /** jobs the library reported as completed in this child */
  done: number;
  /** base64 of a Uint8Array(jobs): how often userId i+1 was performed here (saturates at 255) */
  counts: string;
  /** ids outside 1..jobs, or malformed payloads */
  badIds: number;
  failures: string[];
  /** timestamp (now()) of the last completed job, 0 if none */
  lastDoneAt: number;
  /** process.cpuUsage() delta from 'start' to the last progress tick that saw a new completion, µs */
  cpuUserUs: number;
  cpuSysUs: number;
  /** VmHWM / VmRSS from /proc/self/status, kB */
  hwmKb: number;
  rssKb: number;
  /** latency workload: perform-start minus payload.t, ms */
  latencies: number[];
}

export type ChildToParent =
  | { type: 'ready' }
  | { type: 'started' }
  | { type: 'progress'; done: number }
  | { type: 'fatal'; message: string }
  | WorkerResult;
