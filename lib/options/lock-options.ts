/** Options of `@Job({ unique, lock })` (lib/scheduler/job-locks.ts explains what they do). */

/** @publicApi */
export interface UniqueOptions {
  /** The uniqueness key from the job's data (default: JSON of the args, node-resque's key). */
  readonly key?: (data: unknown) => string;
  /** Milliseconds the lock lives at most (default one hour, node-resque's lockTimeout). */
  readonly ttl?: number;
  /** 'started' (default): another may be enqueued once this one starts; 'finished': once it ended. */
  readonly until?: 'started' | 'finished';
}

/** @publicApi */
export interface RunLockOptions {
  readonly key?: (data: unknown) => string;
  /** Milliseconds the lock lives at most (default one hour): a crashed job's lock ends then. */
  readonly ttl?: number;
  /** Milliseconds until a job that found the lock held tries again (default 1000). */
  readonly retryIn?: number;
}

export const DEFAULT_LOCK_TTL_MS = 3_600_000;
