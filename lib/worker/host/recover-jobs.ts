/**
 * What happens to the jobs a dead worker held. Each in-flight job is settled by policy:
 * - killed for its timeout, or by USR1: failed (JobTimeoutError / DirtyExit)
 * - a class marked `retryOnCrash` with retries (`retry`, its own or the module's): a failed attempt,
 *   crash or timeout alike: back through the delayed queue with the class's backoff, counted with
 *   its other attempts; failed once none is left (USR1 still fails it at once)
 * - a class marked `retryOnCrash` without retries: back to the front of its queue (failed after too many crashes)
 * - anything else: failed with a DirtyExit reason, as Resque records a dirty exit
 * - reserved but never started (PREFETCH; in flight above the worker's inflight-mark): back to the
 *   front of its queue, WAITING, whatever its class (it did not crash anything)
 * The script settles each job only if it is still in flight, so recovery is exactly once.
 */
import type { RedisClient } from '../../redis/connection.js';
import { failureRecordParts } from '../../protocol/failure.js';
import { clip } from '../../protocol/printable.js';
import type { ResqueKeys } from '../../protocol/keys.js';
import { decodeInflightEntry } from '../../protocol/inflight-entry.js';
import { decodePayload } from '../../protocol/payload.js';
import { recoverWorker, type RecoveredJob, type RecoverResult } from '../../protocol/scripts/recover-worker.js';
import { encodeOutcome } from '../../protocol/job-outcome.js';
import { publishOutcomes, type EncodedOutcome } from '../../protocol/scripts/publish-outcomes.js';
import { attemptDigest, failedAttempts, putBackForRetry } from '../../scheduler/job-retries.js';
import { crashRetryDelay } from '../../scheduler/retry-policy.js';
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
  /** PUBLISH_EVENTS: the EVENT_RESULT_TTL to publish the jobs failed here with (events across processes); absent: none. */
  readonly eventResultTtl?: number;
}

export async function recoverJobs(redis: RedisClient, keys: ResqueKeys, request: RecoverRequest): Promise<RecoverResult> {
  const [entries, mark] = await Promise.all([redis.hgetall(keys.inflight(request.workerId)), redis.get(keys.inflightMark(request.workerId))]);
  const lastStarted = mark === null ? Infinity : Number(mark); // no mark: no prefetch, every job started
  if (request.onlyIfHeld && Object.keys(entries).length === 0) return { requeued: 0, failed: 0 };
  const jobs: RecoveredJob[] = [];
  const outcomes: EncodedOutcome[] = [];
  let retried = 0;
  // Newest first: each requeue is an LPUSH, so the jobs put back end up in the order they were reserved.
  for (const [token, entry] of Object.entries(entries).sort(([a], [b]) => Number(b) - Number(a))) {
    const { queue, raw } = decodeInflightEntry(entry);
    if (Number(token) > lastStarted && !request.timedOut?.has(token)) {
      jobs.push({ token, queue, statusKey: statusKeyOf(keys, decodePayload(raw)), action: 'return', record: failureRecordParts({ exception: 'DirtyExit', error: request.reason, backtrace: [], worker: request.workerId, queue }) });
      continue;
    }
    const decoded = decodePayload(raw);
    const className = decoded.ok ? decoded.payload.className : undefined;
    const statusKey = statusKeyOf(keys, decoded);
    const timeout = request.timedOut?.get(token);
    const exception = timeout === undefined ? 'DirtyExit' : 'JobTimeoutError';
    const error = crashText(timeout, request.reason, className);
    const crashRetry = decoded.ok && !request.neverRequeue ? request.policies[decoded.payload.className]?.crashRetry : undefined;
    if (crashRetry && decoded.ok) {
      const error = new Error(crashText(timeout, request.reason, className));
      error.name = exception;
      const digest = attemptDigest(decoded.payload);
      const attempt = (await failedAttempts(redis, keys, digest)) + 1;
      const put = await putBackForRetry(redis, keys, {
        workerId: request.workerId,
        token,
        raw,
        queue,
        payload: decoded.payload,
        digest,
        attempts: crashRetry.attempts,
        delay: crashRetryDelay(crashRetry, attempt),
        error,
        now: Date.now(),
      });
      if (put !== 0) {
        if (put > 0) retried++;
        continue; // put back for its next attempt, or settled meanwhile by another recovery
      }
      // No attempt left: failed below like any crash.
    }
    // A payload the worker could not decode is put back, so the worker fails it with its real reason.
    const requeue = timeout === undefined && !request.neverRequeue && !crashRetry && (!decoded.ok || (className !== undefined && request.policies[className]?.retryOnCrash === true));
    jobs.push({
      token,
      queue,
      statusKey,
      action: requeue ? 'requeue' : 'fail',
      record: failureRecordParts({ exception, error, backtrace: [], worker: request.workerId, queue }),
    });
    if (!requeue && request.eventResultTtl !== undefined) {
      const id = decoded.ok ? decoded.payload.id : undefined;
      outcomes.push({ id, record: encodeOutcome({ type: 'job.failed', queue, className: className ?? '', id, workerId: request.workerId, durationMs: 0, error: { exception, message: error } }) });
    }
  }
  const settled = await recoverWorker(redis, keys, request.workerId, jobs, { maxCrashRequeues: request.maxCrashRequeues, unregister: true, failedMax: request.failedMax });
  // Only when this recovery failed them all (none was settled meanwhile elsewhere): best effort, as the workers' own.
  if (outcomes.length > 0 && settled.failed >= outcomes.length) {
    await publishOutcomes(redis, keys, outcomes, request.eventResultTtl!).catch(() => undefined);
  }
  return { ...settled, retried };
}

function statusKeyOf(keys: ResqueKeys, decoded: ReturnType<typeof decodePayload>): string | undefined {
  return decoded.ok && decoded.payload.id ? keys.jobStatus(decoded.payload.id, decoded.payload.statusPrefix) : undefined;
}

/** The DirtyExit (or JobTimeoutError) text of a job whose process died. */
function crashText(timeout: number | undefined, reason: string, className: string | undefined): string {
  return timeout === undefined ? reason : `Job ${clip(className ?? '')} exceeded its timeout of ${timeout} ms and its process was killed`;
}
