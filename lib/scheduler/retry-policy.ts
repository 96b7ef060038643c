/**
 * When a failed job tries again: `@Job('q', { retry: { attempts, backoff, delay, jitter, retryIf } })`,
 * or ResqueModule's `retry` for every job class without its own. Pure functions: the worker asks
 * them, lib/scheduler/job-retries.ts does the Redis part.
 */
import { DontPerformError } from '../errors/dont-perform.error.js';
import { UnrecoverableError } from '../errors/unrecoverable.error.js';
import type { RetryOptions } from '../options/retry-options.js';
import type { CrashRetryPolicy } from '../worker/ipc.js';

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

/**
 * What a crash (a killed child, a timeout) of a `retryOnCrash` job is, for `backoff` and `retryIf`:
 * an Error named DirtyExit, as Resque calls a dirty exit.
 */
export function crashError(): Error {
  const error = new Error('the job\'s process died while it ran');
  error.name = 'DirtyExit';
  return error;
}

/**
 * The part of a retry policy the worker host applies to crashes, computed once (in the child, at
 * boot): undefined when the class does not retry, or its `retryIf` refuses a crash.
 */
export function crashRetryPolicy(options: RetryOptions | undefined): CrashRetryPolicy | undefined {
  if (!options || options.attempts <= 1) return undefined;
  const error = crashError();
  if (!isRetryable(options, error)) return undefined;
  const delays: number[] = [];
  for (let attempt = 1; attempt < options.attempts; attempt++) delays.push(retryDelay({ ...options, jitter: 0 }, attempt, error));
  return { attempts: options.attempts, delays, jitter: Math.min(1, Math.max(0, options.jitter ?? 0)) };
}

/** The wait after failed attempt `attempt` of a crash policy, with its jitter. */
export function crashRetryDelay(policy: CrashRetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ms = policy.delays[Math.min(attempt, policy.delays.length) - 1] ?? 0;
  return Math.round(ms * (1 - policy.jitter * random()));
}
