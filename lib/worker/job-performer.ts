/**
 * Turns a reserved job into an acknowledgement: decode the payload, run it, and describe the
 * outcome for the exchange script (which already marked a tracked job RUNNING when reserving it). Never throws: a bad payload, an
 * unknown class or a failing job all become failure records with a clear reason.
 */
import { backtraceOf, failureRecordParts, payloadAsJsonString } from '../protocol/failure.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { isUtf8 } from 'node:buffer';
import { decodePayload, type DecodeResult, type JobPayload } from '../protocol/payload.js';
import type { JobRun } from '../scheduler/job-lifecycle.js';
import type { FinishedJob, ReservedJob } from '../protocol/scripts/exchange-jobs.js';
import type { JobContext } from './job-context.js';
import type { Perform } from './worker-loop.js';

export interface PerformerOptions {
  readonly keys: ResqueKeys;
  readonly workerId: string;
  /** Runs the job's class (the child adapts Nest's JobRunner into this). */
  readonly run: (context: JobContext) => Promise<unknown>;
  /** Called before a job runs; returns a callback for when it ends (timeouts, logging), or nothing. */
  readonly onStart?: (job: ReservedJob, className: string, id: string | undefined) => (() => void) | undefined;
  /**
   * The job's stored bytes (its in-flight entry, see protocol/inflight-entry.ts), read only when
   * the decoded text holds U+FFFD: valid UTF-8 bytes make it a real U+FFFD that runs.
   * Without it such a payload is failed as not UTF-8.
   */
  readonly payloadBytes?: (job: ReservedJob) => Promise<Buffer | null>;
  /** Retries and locks (lib/scheduler/job-lifecycle.ts): a run for classes that have them, else undefined. */
  readonly lifecycle?: { begin(job: ReservedJob, payload: JobPayload): Promise<JobRun> | undefined };
}

export function createPerformer(options: PerformerOptions): Perform {
  const { keys, workerId, run, onStart } = options;

  const failed = (job: ReservedJob, exception: string, error: string, backtrace: string[], statusKey?: string, literal?: string): FinishedJob => ({
    token: job.token,
    statusKey,
    watchStatus: job.statusPending,
    outcome: 'fail',
    record: failureRecordParts({ exception, error, backtrace, worker: workerId, queue: job.queue }),
    literalPayload: literal,
  });

  const decode = async (job: ReservedJob): Promise<DecodeResult> => {
    const decoded = decodePayload(job.raw);
    if (decoded.ok || !decoded.checkBytes || !options.payloadBytes) return decoded;
    let bytes: Buffer | null;
    try {
      bytes = await options.payloadBytes(job);
    } catch (error) {
      return { ...decoded, reason: `payload holds U+FFFD and its bytes could not be read to tell whether it is UTF-8 (${safeString((error as Error)?.message)})` };
    }
    return bytes !== null && isUtf8(bytes) ? decodePayload(job.raw, true) : decoded;
  };

  return async (job) => {
    const decoded = await decode(job);
    if (!decoded.ok) {
      // A payload that is not JSON cannot sit verbatim inside the JSON failure record. Its status (if
      // the exchange found one and marked it RUNNING) becomes FAILED: the same key, not a decode of ours.
      return failed(job, 'InvalidPayloadError', decoded.reason, [], job.statusKey, decoded.json ? undefined : payloadAsJsonString(job.raw));
    }
    const { payload } = decoded;
    const statusKey = payload.id === undefined ? undefined : keys.jobStatus(payload.id, payload.statusPrefix);
    const pending = options.lifecycle?.begin(job, payload);
    const lifecycle = pending ? await pending : undefined;
    if (lifecycle?.deferred) return { token: job.token, outcome: 'delayed' };
    const ended = onStart?.(job, payload.className, payload.id);
    try {
      await run({
        id: payload.id,
        className: payload.className,
        queue: job.queue,
        args: payload.args,
        data: payload.args[0],
        raw: job.raw,
        queueTime: payload.queueTime,
        workerId,
        ...(payload.bigints ? { bigints: payload.bigints } : {}),
        ...(payload.trace ? { trace: payload.trace } : {}),
        attempt: lifecycle?.attempt ?? 1,
      });
      await lifecycle?.succeeded().catch(() => undefined);
      return { token: job.token, statusKey, watchStatus: job.statusPending, outcome: 'ok' };
    } catch (error) {
      // Put back for another attempt (retry.lua): then there is nothing left to acknowledge.
      if (lifecycle && (await lifecycle.failed(error).catch(() => false))) return { token: job.token, outcome: 'delayed' };
      const { name, message, backtrace } = describeError(error);
      return failed(job, name, message, backtrace, statusKey);
    } finally {
      ended?.();
    }
  };
}

/** String(x) throws for some values (a null-prototype object); a failure reason must never throw. */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A thrown value as strings. User code can throw anything (throwing getters, revoked proxies): never throws. */
function describeError(error: unknown): { name: string; message: string; backtrace: string[] } {
  try {
    if (error instanceof Error) {
      const name = typeof error.name === 'string' && error.name !== '' ? error.name : 'Error';
      let backtrace: string[] = [];
      try {
        backtrace = backtraceOf(error);
      } catch {
        // a stack getter that throws: no backtrace
      }
      return { name, message: safeString(error.message), backtrace };
    }
    return { name: 'Error', message: safeString(error), backtrace: [] };
  } catch {
    return { name: 'Error', message: 'the job threw a value that cannot be inspected', backtrace: [] };
  }
}
