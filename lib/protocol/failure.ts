/**
 * Failure records for the `failed` list, with all seven fields in Ruby and PHP's order:
 * failed_at, payload, exception, error, backtrace, worker, queue.
 *
 * The record is built as two halves around the payload so a Lua script can put the popped
 * bytes between them unchanged (PHP's `\/`, integers beyond 2^53 and `[]` all survive).
 * A payload that is not JSON cannot sit there verbatim, so it is embedded as a JSON string.
 */
import { clip } from './printable.js';
import { resqueTime } from './time.js';

/** Longest exception name and error text a failure record keeps (longer ones are cut with a marker). */
export const MAX_EXCEPTION_CHARS = 256;
export const MAX_ERROR_CHARS = 4096;

export interface FailureDetails {
  /** Exception class name, e.g. `Error`, `DirtyExit`, `JobTimeoutError`. */
  readonly exception: string;
  readonly error: string;
  readonly backtrace: readonly string[];
  readonly worker: string;
  readonly queue: string;
}

/** `head + payload + tail` is the record. */
export interface FailureRecordParts {
  readonly head: string;
  readonly tail: string;
}

export function failureRecordParts(details: FailureDetails, failedAt = new Date()): FailureRecordParts {
  // Errors come from user code: a non-string name or message must still give a valid record.
  // Bounded: an error text that repeats a huge class name or payload must not double the record.
  const text = (value: unknown, max: number) => JSON.stringify(clip(typeof value === 'string' ? value : String(value), max));
  return {
    head: `{"failed_at":${JSON.stringify(resqueTime(failedAt))},"payload":`,
    tail:
      `,"exception":${text(details.exception, MAX_EXCEPTION_CHARS)},"error":${text(details.error, MAX_ERROR_CHARS)}` +
      `,"backtrace":${JSON.stringify(details.backtrace.map(String))},"worker":${JSON.stringify(details.worker)}` +
      `,"queue":${JSON.stringify(details.queue)}}`,
  };
}

/** For a payload that is not valid JSON: the record holds it as a string so the record stays parseable. */
export function payloadAsJsonString(raw: string): string {
  return JSON.stringify(raw);
}

/** Stack lines without the message line, as Ruby and PHP store them. Never null. */
export function backtraceOf(error: unknown): string[] {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  return stack
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** A decoded failure record as stored in `failed`; `payload` is whatever the record holds. */
export interface FailureRecord {
  readonly failed_at: string;
  readonly payload: unknown;
  readonly exception: string;
  readonly error: string;
  readonly backtrace: readonly string[];
  readonly worker: string;
  readonly queue: string;
  readonly retried_at?: string;
}
