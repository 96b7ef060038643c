import type { RedisClient } from '../../redis/connection.js';
import { runScript } from '../../redis/scripts.js';
import type { FailureRecordParts } from '../failure.js';
import type { ResqueKeys } from '../keys.js';
import { FINISHED_STATUS_TTL_SECONDS, JobStatus, statusJson } from '../status.js';
import { recoverScript } from './lua.generated.js';

/**
 * How long a recovery's tombstones live: a worker presumed dead that acknowledges a job within this
 * time has its late completion made consistent (see exchange.lua); later, it is simply not counted.
 */
export const RECOVERY_TOMBSTONE_TTL_SECONDS = 86_400;

export interface RecoveredJob {
  readonly token: string;
  /** The queue of its in-flight entry (read before the call): its queue key is declared to the script. */
  readonly queue: string;
  readonly statusKey?: string;
  /** 'return': reserved but never started (PREFETCH): back to the front, not counted as a crash. */
  readonly action: 'requeue' | 'return' | 'fail';
  /** The failure record, used for 'fail' and for a 'requeue' past the crash-requeue limit. */
  readonly record: FailureRecordParts;
}

/** KEYS[1..14] of recover.lua; the jobs' keys follow. */
const FIXED_KEYS = 14;

export interface RecoverOptions {
  /** How many times one payload may be put back after crashes before it is failed instead. */
  readonly maxCrashRequeues: number;
  /** FAILED_MAX: most failure records kept, oldest trimmed (0 or absent: all). */
  readonly failedMax?: number;
  /** Unregister the worker once nothing is left in flight (false while the worker lives on). */
  readonly unregister: boolean;
}

export interface RecoverResult {
  readonly requeued: number;
  readonly failed: number;
  /** Reserved but never started (PREFETCH): back to the front of their queues. */
  readonly returned?: number;
  /** Put back through the delayed queue for another attempt (retryOnCrash classes with retries). */
  readonly retried?: number;
}

/**
 * Settles in-flight jobs of a worker (each only if still in flight) and, when asked and nothing
 * is left, removes every trace of the worker. With no jobs it is the clean unregister.
 */
export async function recoverWorker(
  redis: RedisClient,
  keys: ResqueKeys,
  workerId: string,
  jobs: readonly RecoveredJob[],
  options: RecoverOptions,
): Promise<RecoverResult> {
  const now = new Date();
  const args: (string | number)[] = [
    workerId,
    keys.queuePrefix,
    statusJson(JobStatus.Waiting, now),
    options.maxCrashRequeues,
    statusJson(JobStatus.Failed, now),
    FINISHED_STATUS_TTL_SECONDS,
    options.unregister ? '1' : '0',
    RECOVERY_TOMBSTONE_TTL_SECONDS,
  ];
  // The jobs' queue and status keys go into KEYS (from 14), each once, referenced by index.
  const declared: string[] = [];
  const indexOf = (key: string): number => {
    let at = declared.indexOf(key);
    if (at === -1) at = declared.push(key) - 1;
    return FIXED_KEYS + 1 + at;
  };
  for (const job of jobs) {
    const status = job.statusKey ? indexOf(job.statusKey) : 0;
    args.push(job.token, status, job.action, job.record.head, job.record.tail, indexOf(keys.queue(job.queue)));
  }
  args.push(options.failedMax ?? 0);
  const reply = (await runScript(
    redis,
    recoverScript,
    [
      keys.inflight(workerId),
      keys.worker(workerId),
      keys.workerStarted(workerId),
      keys.workers,
      keys.heartbeats,
      keys.alive,
      keys.statProcessed(workerId),
      keys.statFailed(workerId),
      keys.statProcessed(),
      keys.statFailed(),
      keys.failed,
      keys.crashRequeues,
      keys.recovered(workerId),
      keys.inflightMark(workerId),
      ...declared,
    ],
    args,
  )) as [number, number, number];
  const returned = Number(reply[2]);
  return { requeued: Number(reply[0]), failed: Number(reply[1]), ...(returned > 0 ? { returned } : {}) };
}
