/** Options of `@Job({ retry })` and ResqueModule's `retry` (lib/scheduler/retry-policy.ts computes with them). */

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
