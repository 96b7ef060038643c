import type { RunLockOptions, UniqueOptions } from '../options/lock-options.js';
import type { RetryOptions } from '../options/retry-options.js';

/** @publicApi */
export interface JobOptions {
  /** The queue this job is enqueued on by `enqueue(JobClass, data)`. */
  readonly queue: string;
  /** The Resque class name on the wire (`class`). Default: the class's name when the decorator runs. */
  readonly name?: string;
  /** Milliseconds the job may run before its process is killed and the job failed; 0 = no limit. */
  readonly timeout?: number;
  /** After the job's process crashed, put the job back instead of failing it (default false). */
  readonly retryOnCrash?: boolean;
  /**
   * Enqueue this job on a recurring schedule (or several): `{ cron: '*\/5 * * * *', tz, data }` or
   * `{ every: 60_000, data }`. Written to Redis at boot; one enqueue per tick across all hosts.
   */
  readonly schedule?: JobSchedule | readonly JobSchedule[];
  /**
   * Try a failed job again, through the delayed queue: `{ attempts: 5, backoff: 'exponential', delay: 1000 }`.
   * Overrides ResqueModule's `retry`; `{ attempts: 1 }` turns a module-wide default off.
   */
  readonly retry?: RetryOptions;
  /** At most one job per key waits in the queue (node-resque's QueueLock); a duplicate enqueue returns the waiting job's id. */
  readonly unique?: UniqueOptions;
  /** At most one job per key runs at once (node-resque's JobLock); the others wait through the delayed queue. */
  readonly lock?: RunLockOptions;
  /**
   * Integers in the payload outside Number's safe range (beyond ±2^53, as PHP and Ruby write ids):
   * `'bigint'` (default) hands them to perform exactly, as bigint (type such fields `number | bigint`);
   * `'fail'` fails the job with UnsafeIntegerError naming the field, without running it.
   */
  readonly unsafeIntegers?: 'bigint' | 'fail';
}

/** @publicApi */
export interface JobSchedule {
  /** Schedule name (default: the Resque class name; give one per schedule when a class has several). */
  readonly name?: string;
  readonly cron?: string;
  /** IANA time zone for `cron` (default UTC). */
  readonly tz?: string;
  /** Instead of cron: every this many milliseconds (at least 1000). */
  readonly every?: number;
  /** The job's data on every run. */
  readonly data?: unknown;
  readonly track?: boolean;
}

/** `JobOptions` with the defaults applied and the class name fixed at decoration time. */
export interface JobMetadata {
  readonly queue: string;
  readonly name: string;
  readonly timeout: number;
  readonly retryOnCrash: boolean;
  readonly retry?: RetryOptions;
  readonly unique?: UniqueOptions;
  readonly lock?: RunLockOptions;
  /** Set when the job refuses integers beyond Number's safe range (`unsafeIntegers: 'fail'`). */
  readonly unsafeIntegers?: 'fail';
  /** Recurring schedules, with their names resolved. */
  readonly schedules: ReadonlyArray<JobSchedule & { readonly name: string }>;
}
