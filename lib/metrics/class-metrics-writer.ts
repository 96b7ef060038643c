/**
 * The worker side of the dashboard's per-class metrics: each run's class, outcome and duration are
 * added up in memory by minute, and written every few seconds as one add-class-metrics.lua call
 * per minute that has counts (usually one), so the cost in Redis does not grow with throughput.
 * Runs of the last interval are lost if the process dies before its next write; a write that
 * fails is dropped (reported once until one succeeds), so memory stays bounded while Redis is away.
 * No Nest here: the worker loop's assembly (child-worker.ts) owns one.
 */
import type { RedisClient } from '../redis/connection.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { bucketOf, classMetricField, CLASS_METRICS_TTL_SECONDS } from '../protocol/class-metrics.js';
import { addClassMetricsScript } from '../protocol/scripts/lua.generated.js';
import { runScript } from '../redis/scripts.js';

/** How often a worker writes its per-class counts. */
export const CLASS_METRICS_FLUSH_MS = 5_000;

export interface ClassMetricsWriterOptions {
  readonly flushMs?: number;
  /** The clock (ms) that decides a run's minute; injectable for tests. */
  readonly now?: () => number;
  readonly onError?: (error: Error) => void;
}

/** minute -> field -> increment */
type Pending = Map<number, Map<string, number>>;

export class ClassMetricsWriter {
  private pending: Pending = new Map();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private failing = false;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ResqueKeys,
    private readonly options: ClassMetricsWriterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** One run that ended: `failed` when it failed (retried or not). */
  record(className: string, failed: boolean, ms: number): void {
    const minute = Math.floor(this.now() / 60_000);
    let fields = this.pending.get(minute);
    if (!fields) this.pending.set(minute, (fields = new Map()));
    add(fields, classMetricField(className, 'processed'), 1);
    if (failed) add(fields, classMetricField(className, 'failed'), 1);
    const whole = Math.max(0, Math.round(ms));
    if (whole > 0) add(fields, classMetricField(className, 'ms'), whole);
    add(fields, classMetricField(className, `b${bucketOf(ms)}`), 1);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushMs ?? CLASS_METRICS_FLUSH_MS);
    this.timer.unref();
  }

  /** Writes what was recorded since the last write (waits for a write in progress first). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  /** Stops the timer and writes the rest. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async write(batch: Pending): Promise<void> {
    try {
      await Promise.all(
        [...batch].map(([minute, fields]) => {
          const args: Array<string | number> = [CLASS_METRICS_TTL_SECONDS];
          for (const [field, n] of fields) args.push(field, n);
          return runScript(this.redis, addClassMetricsScript, [this.keys.classMetrics(minute)], args);
        }),
      );
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.options.onError?.(error as Error);
      this.failing = true;
    }
  }
}

function add(fields: Map<string, number>, field: string, n: number): void {
  fields.set(field, (fields.get(field) ?? 0) + n);
}
