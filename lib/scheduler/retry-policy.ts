/**
 * When a failed job tries again: `@Job('q', { retry: { attempts, backoff, delay, jitter, retryIf } })`,
 * or ResqueModule's `retry` for every job class without its own. Pure functions: the worker asks
 * them, lib/scheduler/job-retries.ts does the Redis part.
 */
import { DontPerformError } from '../errors/dont-perform.error.js';
import { UnrecoverableError } from '../errors/unrecoverable.error.js';
import type { RetryOptions } from '../options/retry-options.js';

export type { RetryOptions };

const DAY_MS = 86_400_000;

/** Whether an attempt that threw `error` may be retried (attempts left are counted in Redis). */
export function isRetryable(options: RetryOptions, error: unknown): boolean {
  if (error instanceof UnrecoverableError || error instanceof DontPerformError) return false;
  if (!options.retryIf) return true;
  try {
    return options.retryIf(error) === true;
  } catch {
    return false;
  }
}

/** Milliseconds to wait after attempt `attempt` (1 = the first run) failed with `error`. */
export function retryDelay(options: RetryOptions, attempt: number, error: unknown, random: () => number = Math.random): number {
  const base = options.delay ?? 1000;
  const backoff = options.backoff ?? 'exponential';
  let ms: number;
  if (typeof backoff === 'function') {
    try {
      ms = Number(backoff(attempt, error));
    } catch {
      ms = base;
    }
  } else if (Array.isArray(backoff)) {
    ms = backoff.length === 0 ? base : backoff[Math.min(attempt, backoff.length) - 1];
  } else if (backoff === 'fixed') {
    ms = base;
  } else {
    ms = base * 2 ** (attempt - 1);
  }
  if (!Number.isFinite(ms) || ms < 0) ms = base;
  ms = Math.min(ms, options.maxDelay ?? DAY_MS);
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0));
  return Math.round(ms * (1 - jitter * random()));
}
