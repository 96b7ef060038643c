/**
 * What happens to the jobs a dead worker held. Each in-flight job is settled by policy:
 * - killed for its timeout, or by USR1: failed (JobTimeoutError / DirtyExit)
 * - a class marked `retryOnCrash`: back to the front of its queue (failed after too many crashes)
 * - anything else: failed with a DirtyExit reason, as Resque records a dirty exit
 * The script settles each job only if it is still in flight, so recovery is exactly once.
 */
import type { Redis } from 'ioredis';
import { failureRecordParts } from '../../protocol/failure.js';
import { clip } from '../../protocol/printable.js';
import type { ResqueKeys } from '../../protocol/keys.js';
import { decodeInflightEntry } from '../../protocol/inflight-entry.js';
import { decodePayload } from '../../protocol/payload.js';
import { recoverWorker, type RecoveredJob, type RecoverResult } from '../../protocol/scripts/recover-worker.js';
import type { JobPolicy } from '../ipc.js';

export interface RecoverRequest {
  readonly workerId: string;
  /** The DirtyExit message: what happened to the process. */
  readonly reason: string;
  readonly policies: Readonly<Record<string, JobPolicy>>;
  /** Tokens the host killed the process for, with the timeout that ran out. */
  readonly timedOut?: ReadonlyMap<string, number>;
  /** USR1: the operator asked to kill the running jobs, so none is put back. */
  readonly neverRequeue?: boolean;
  readonly maxCrashRequeues: number;
  /** FAILED_MAX (0 or absent: keep every failure record). */
  readonly failedMax?: number;
  /** Do nothing (not even unregister) when the worker holds nothing in flight. */
  readonly onlyIfHeld?: boolean;
}

export async function recoverJobs(redis: Redis, keys: ResqueKeys, request: RecoverRequest): Promise<RecoverResult> {
  const entries = await redis.hgetall(keys.inflight(request.workerId));
  if (request.onlyIfHeld && Object.keys(entries).length === 0) return { requeued: 0, failed: 0 };
  const jobs: RecoveredJob[] = [];
  for (const [token, entry] of Object.entries(entries)) {
    const { queue, raw } = decodeInflightEntry(entry);
    const decoded = decodePayload(raw);
    const className = decoded.ok ? decoded.payload.className : undefined;
    const statusKey = decoded.ok && decoded.payload.id ? keys.jobStatus(decoded.payload.id, decoded.payload.statusPrefix) : undefined;
    const timeout = request.timedOut?.get(token);
    const exception = timeout === undefined ? 'DirtyExit' : 'JobTimeoutError';
    const error = timeout === undefined ? request.reason : `Job ${clip(className ?? '')} exceeded its timeout of ${timeout} ms and its process was killed`;
    // A payload the worker could not decode is put back, so the worker fails it with its real reason.
    const requeue = timeout === undefined && !request.neverRequeue && (!decoded.ok || (className !== undefined && request.policies[className]?.retryOnCrash === true));
    jobs.push({
      token,
      statusKey,
      action: requeue ? 'requeue' : 'fail',
      record: failureRecordParts({ exception, error, backtrace: [], worker: request.workerId, queue }),
    });
  }
  return recoverWorker(redis, keys, request.workerId, jobs, { maxCrashRequeues: request.maxCrashRequeues, unregister: true, failedMax: request.failedMax });
}
