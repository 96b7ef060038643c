/**
 * Per-class job metrics per minute, as our workers write them and the dashboard reads them: one
 * hash a minute (`class-metrics:<epoch minute>`, keys.ts) whose fields are `<class>:<counter>`.
 * Counters: `processed` (runs that ended, failed ones included, as Resque's stat:processed counts),
 * `failed` (runs that failed, retried or not), `ms` (execution time, whole milliseconds) and
 * `b<i>` (runs that took at most CLASS_METRIC_BUCKETS_MS[i]; the last `b` is the rest).
 * A class name may hold colons: the counter is what follows the last one.
 */

/** Upper bounds in ms of the duration histogram (the Prometheus buckets, in ms). */
export const CLASS_METRIC_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 60_000, 600_000];

/** How long a minute's hash lives after its last write: eight hours and a few minutes. */
export const CLASS_METRICS_TTL_SECONDS = 8 * 3600 + 300;

export type ClassCounter = 'processed' | 'failed' | 'ms' | `b${number}`;

export function classMetricField(className: string, counter: ClassCounter): string {
  return `${className}:${counter}`;
}

/** The histogram slot of a run of `ms` milliseconds. */
export function bucketOf(ms: number): number {
  let i = 0;
  while (i < CLASS_METRIC_BUCKETS_MS.length && ms > CLASS_METRIC_BUCKETS_MS[i]!) i++;
  return i;
}

/** One class's totals over some minutes. `buckets` has CLASS_METRIC_BUCKETS_MS.length + 1 slots. */
export interface ClassTotals {
  readonly className: string;
  processed: number;
  failed: number;
  ms: number;
  readonly buckets: number[];
}

/**
 * Adds one minute's hash (HGETALL) into `into`, by class. Fields that are not ours, or values that
 * are not counts, are skipped: the hash is read from Redis, where anything may have written.
 */
export function addClassMetrics(into: Map<string, ClassTotals>, hash: Record<string, string>): void {
  for (const [field, value] of Object.entries(hash)) {
    const cut = field.lastIndexOf(':');
    if (cut <= 0) continue;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) continue;
    const className = field.slice(0, cut);
    const counter = field.slice(cut + 1);
    let totals = into.get(className);
    const create = (): ClassTotals => ({ className, processed: 0, failed: 0, ms: 0, buckets: new Array<number>(CLASS_METRIC_BUCKETS_MS.length + 1).fill(0) });
    if (counter === 'processed' || counter === 'failed' || counter === 'ms') {
      if (!totals) into.set(className, (totals = create()));
      totals[counter] += n;
      continue;
    }
    const slot = /^b(\d{1,2})$/.exec(counter);
    if (!slot || Number(slot[1]) > CLASS_METRIC_BUCKETS_MS.length) continue;
    if (!totals) into.set(className, (totals = create()));
    totals.buckets[Number(slot[1])]! += n;
  }
}

/**
 * The `q` quantile (0..1) of a histogram, as the upper bound of the slot it falls in (ms), or
 * Infinity when it falls past the last bound; null for an empty histogram.
 */
export function bucketQuantile(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i]!;
    if (seen >= rank) return i < CLASS_METRIC_BUCKETS_MS.length ? CLASS_METRIC_BUCKETS_MS[i]! : Infinity;
  }
  return Infinity;
}
