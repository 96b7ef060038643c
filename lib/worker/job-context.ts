/**
 * What a job sees of itself while it runs. Built by the worker loop for each popped payload and
 * handed to `perform(data, context)` and to every hook. Imports nothing from Nest, so the worker
 * loop can build it.
 */
export interface JobContext {
  /** php-resque's 32-hex id; absent for jobs from Ruby or node-resque producers. */
  readonly id?: string;
  /** The Resque class name from the payload (`class`). */
  readonly className: string;
  readonly queue: string;
  /** The payload's `args` array as written by the producer. */
  readonly args: readonly unknown[];
  /** `args[0]`: php-resque's `$this->args`, and what our producers put there. */
  readonly data: unknown;
  /** The payload exactly as popped from Redis. */
  readonly raw: string;
  /** Full Resque worker id, `host:pid:queues`. */
  readonly workerId: string;
  /** php-resque's `queue_time` (epoch seconds, fractional), when the producer wrote one. */
  readonly queueTime?: number;
  /**
   * The payload's integers outside Number's safe range (PHP_INT_MAX, snowflake ids), which `args`
   * and `data` hold exactly as bigint; `path` is from the payload, e.g. `args[0].user.id`.
   * Absent when there are none.
   */
  readonly bigints?: readonly { readonly path: string; readonly value: bigint }[];
  /** The enqueue's trace context (the payload's `otel` carrier), when it was traced. */
  readonly trace?: Readonly<Record<string, string>>;
  /** 1 for the first run; 2 for the first retry of a job class with `@Job({ retry })`... */
  readonly attempt: number;
}
