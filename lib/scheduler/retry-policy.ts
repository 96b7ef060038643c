/**
 * When a failed job tries again: `@Job('q', { retry: { attempts, backoff, delay, jitter, retryIf } })`,
 * or ResqueModule's `retry` for every job class without its own. Pure functions: the worker asks
 * them, lib/scheduler/job-retries.ts does the Redis part.
 */
import { DontPerformError } from '../errors/dont-perform.error.js';
import { UnrecoverableError } from '../errors/unrecoverable.error.js';

/** @publicApi */
export interface RetryOptions {
  /** Runs in all, the first included (BullMQ's `attempts`): 3 = one run and up to two retries. */
  readonly attempts: number;
  /**
   * Wait before the next attempt: 'exponential' (delay, 2x delay, 4x ...; the default), 'fixed'
   * (delay every time), a list of ms per retry (the last repeats), or a function of the attempt
   * that failed (1 = the first run) and its error.
   */
  readonly backoff?: 'fixed' | 'exponential' | readonly number[] | ((attempt: number, error: unknown) => number);
  /** Base wait in ms for 'fixed' and 'exponential' (default 1000). */
  readonly delay?: number;
  /** Longest wait in ms (default one day). */
  readonly maxDelay?: number;
  /** Up to this fraction of the wait is taken off at random (0 to 1, default 0), so retries spread out. */
  readonly jitter?: number;
  /** Retry only errors this accepts (default: all but UnrecoverableError). */
  readonly retryIf?: (error: unknown) => boolean;
}

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

/** Checks options when they are declared, so a typo fails at boot rather than at the first failure. */
export function retryOptionsProblem(options: RetryOptions): string | undefined {
  if (!Number.isInteger(options.attempts) || options.attempts < 1 || options.attempts > 1000) return '`attempts` must be a whole number from 1 to 1000';
  if (options.delay !== undefined && !(options.delay >= 0)) return '`delay` must be >= 0 ms';
  if (options.jitter !== undefined && !(options.jitter >= 0 && options.jitter <= 1)) return '`jitter` must be from 0 to 1';
  const b = options.backoff;
  if (b !== undefined && typeof b !== 'function' && !Array.isArray(b) && b !== 'fixed' && b !== 'exponential') {
    return "`backoff` must be 'fixed', 'exponential', a list of ms or a function";
  }
  if (Array.isArray(b) && !b.every((ms) => typeof ms === 'number' && ms >= 0)) return '`backoff` lists must hold ms >= 0';
  return undefined;
}
