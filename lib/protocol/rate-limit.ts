/**
 * Per-queue rate limits: at most `max` jobs reserved from a queue per `duration` ms, across every
 * worker on the Redis. The definitions live in the `rate-limits` hash (queue -> "<max> <duration>"),
 * so every host agrees without configuration of its own; workers re-read it about once a second.
 *
 * The count is a fixed window on Redis's clock: `rate-limit:<queue>` is incremented by the
 * reservation script (exchange.lua) for each job it takes from the queue and expires `duration` ms
 * after the first one. A worker that finds the window full skips the queue until the key's
 * remaining time has passed (the script returns it), so a limited queue costs no polling.
 */

/** @publicApi */
export interface RateLimit {
  /** Jobs that may be reserved from the queue per window. */
  readonly max: number;
  /** The window, ms. */
  readonly duration: number;
}

/** The stored form, "<max> <duration>", as exchange.lua reads it too. */
export function encodeRateLimit(limit: RateLimit): string {
  return `${limit.max} ${limit.duration}`;
}

/** Undefined for a stored value that is not a usable limit (foreign or corrupt data is ignored). */
export function decodeRateLimit(stored: string): RateLimit | undefined {
  const match = /^(\d{1,9}) (\d{1,12})$/.exec(stored);
  if (!match) return undefined;
  const limit = { max: Number(match[1]), duration: Number(match[2]) };
  return rateLimitProblem(limit) === undefined ? limit : undefined;
}

export function rateLimitProblem(limit: RateLimit): string | undefined {
  if (!Number.isInteger(limit.max) || limit.max < 1 || limit.max > 1e9) return '`max` must be a whole number from 1 to 1e9';
  if (!Number.isInteger(limit.duration) || limit.duration < 1 || limit.duration > 31 * 86_400_000) return '`duration` must be whole ms from 1 to 31 days';
  return undefined;
}
