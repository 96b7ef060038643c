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
import { bucketOf, classMetricField, CLASS_METRIC_BUCKETS_MS, CLASS_METRICS_TTL_SECONDS } from '../protocol/class-metrics.js';
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

/** One class's counts in one minute, kept as numbers: field names are built once per write, not per job. */
interface Counts {
  processed: number;
  failed: number;
  ms: number;
  readonly buckets: number[];
}

/** minute -> class -> counts */
type Pending = Map<number, Map<string, Counts>>;

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
    let classes = this.pending.get(minute);
    if (!classes) this.pending.set(minute, (classes = new Map()));
    let counts = classes.get(className);
    if (!counts) classes.set(className, (counts = { processed: 0, failed: 0, ms: 0, buckets: new Array<number>(CLASS_METRIC_BUCKETS_MS.length + 1).fill(0) }));
    counts.processed++;
    if (failed) counts.failed++;
    counts.ms += Math.max(0, Math.round(ms));
    counts.buckets[bucketOf(ms)]!++;
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
        [...batch].map(([minute, classes]) => runScript(this.redis, addClassMetricsScript, [this.keys.classMetrics(minute)], [CLASS_METRICS_TTL_SECONDS, ...fieldArgs(classes)])),
      );
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.options.onError?.(error as Error);
      this.failing = true;
    }
  }
}

/** field, increment pairs for add-class-metrics.lua; zero counts are left out. */
function fieldArgs(classes: Map<string, Counts>): Array<string | number> {
  const args: Array<string | number> = [];
  const push = (className: string, counter: Parameters<typeof classMetricField>[1], n: number) => {
    if (n > 0) args.push(classMetricField(className, counter), n);
  };
  for (const [className, counts] of classes) {
    push(className, 'processed', counts.processed);
    push(className, 'failed', counts.failed);
    push(className, 'ms', counts.ms);
    counts.buckets.forEach((n, i) => push(className, `b${i}`, n));
  }
  return args;
}
