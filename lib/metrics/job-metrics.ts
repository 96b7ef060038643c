/**
 * Job counters and duration histograms, aggregated where jobs run and merged where they are served.
 * No prom-client here: a child records into plain numbers and sends one small batch about every
 * second (never a message per job), and the host merges batches into its totals, which the
 * Prometheus side (prometheus-metrics.ts) reads at scrape time.
 */

/** Upper bounds in seconds of the job duration histogram (prom-client's defaults, plus a minute and ten). */
export const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600];
/** Upper bounds in seconds of the wait histogram (enqueue to perform): a job can wait for hours. */
export const WAIT_BUCKETS: readonly number[] = [0.005, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400];

/**
 * How a job run ended, as the exchange acknowledges it. `retried`: it ran, failed, and was put back
 * for another attempt; a job deferred without running (a held run-time lock) is not counted at all.
 */
export type JobOutcome = 'ok' | 'fail' | 'retried';

/** One queue and class's counts since the last batch. */
export interface JobCounts {
  readonly queue: string;
  readonly className: string;
  readonly ok: number;
  readonly fail: number;
  readonly retried: number;
}

/** One class's durations (or waits) since the last batch: `buckets[i]` counts runs of at most DURATION_BUCKETS[i] (WAIT_BUCKETS[i]); not cumulative; the last slot is +Inf. */
export interface DurationCounts {
  readonly className: string;
  readonly buckets: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** What a child sends its host (ipc.ts `metrics`): deltas since its previous batch. */
export interface JobMetricsBatch {
  readonly counts: readonly JobCounts[];
  readonly durations: readonly DurationCounts[];
  /** Seconds from enqueue (the payload's queue_time) to perform, for jobs that carry one. */
  readonly waits?: readonly DurationCounts[];
}

interface MutableCounts { queue: string; className: string; ok: number; fail: number; retried: number }
interface MutableDurations { className: string; buckets: number[]; sum: number; count: number }

/** Deltas in a child (or an in-process worker) between two batches. */
export class JobMetricsRecorder {
  private counts = new Map<string, MutableCounts>();
  private durations = new Map<string, MutableDurations>();
  private waits = new Map<string, MutableDurations>();

  /** A job starts `seconds` after it was enqueued. */
  recordWait(className: string, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    observe(this.waits, WAIT_BUCKETS, className, Math.max(0, seconds));
  }

  record(queue: string, className: string, outcome: JobOutcome, seconds: number): void {
    // A NUL cannot be in a Redis key segment we read queue names from, nor in a class name we run.
    const key = `${queue}\u0000${className}`;
    let counts = this.counts.get(key);
    if (!counts) this.counts.set(key, (counts = { queue, className, ok: 0, fail: 0, retried: 0 }));
    counts[outcome]++;
    observe(this.durations, DURATION_BUCKETS, className, seconds);
  }

  get empty(): boolean {
    return this.counts.size === 0;
  }

  /** The deltas since the previous call, or undefined when no job finished meanwhile. */
  take(): JobMetricsBatch | undefined {
    if (this.counts.size === 0) return undefined;
    const batch: JobMetricsBatch = { counts: [...this.counts.values()], durations: [...this.durations.values()], waits: [...this.waits.values()] };
    this.counts = new Map();
    this.durations = new Map();
    this.waits = new Map();
    return batch;
  }
}

function observe(into: Map<string, MutableDurations>, bounds: readonly number[], className: string, seconds: number): void {
  let h = into.get(className);
  if (!h) into.set(className, (h = { className, buckets: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 }));
  let i = 0;
  while (i < bounds.length && seconds > bounds[i]!) i++;
  h.buckets[i]!++;
  h.sum += seconds;
  h.count++;
}

/** Totals since the host started, merged from every child's batches. Batches come over IPC: checked, not trusted blindly. */
export class JobMetricsTotals {
  readonly counts = new Map<string, MutableCounts>();
  readonly durations = new Map<string, MutableDurations>();
  readonly waits = new Map<string, MutableDurations>();

  merge(batch: JobMetricsBatch): void {
    for (const c of Array.isArray(batch?.counts) ? batch.counts : []) {
      if (typeof c?.queue !== 'string' || typeof c.className !== 'string') continue;
      const key = `${c.queue}\u0000${c.className}`;
      let total = this.counts.get(key);
      if (!total) this.counts.set(key, (total = { queue: c.queue, className: c.className, ok: 0, fail: 0, retried: 0 }));
      total.ok += count(c.ok);
      total.fail += count(c.fail);
      total.retried += count(c.retried);
    }
    mergeHistograms(this.durations, DURATION_BUCKETS, batch.durations);
    mergeHistograms(this.waits, WAIT_BUCKETS, batch.waits);
  }
}

function mergeHistograms(into: Map<string, MutableDurations>, bounds: readonly number[], from: readonly DurationCounts[] | undefined): void {
  for (const d of Array.isArray(from) ? from : []) {
    if (typeof d?.className !== 'string' || !Array.isArray(d.buckets) || d.buckets.length !== bounds.length + 1) continue;
    let total = into.get(d.className);
    if (!total) into.set(d.className, (total = { className: d.className, buckets: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < d.buckets.length; i++) total.buckets[i]! += count(d.buckets[i]);
    total.sum += Number.isFinite(d.sum) && d.sum >= 0 ? d.sum : 0;
    total.count += count(d.count);
  }
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}
