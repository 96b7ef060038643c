/**
 * Reads the per-class metrics our workers write (metrics/class-metrics-writer.ts): the last N
 * minutes' hashes (`class-metrics:<minute>`, one HGETALL each, sent together), added up by class.
 * PHP, Ruby and node-resque workers write none: their runs are not in it.
 */
import { addClassMetrics, bucketQuantile, CLASS_METRICS_TTL_SECONDS, type ClassTotals } from '../protocol/class-metrics.js';
import type { ResqueClient } from './resque-client.js';

/** The longest range kept: the hashes' lifetime, in whole minutes. */
export const CLASS_METRICS_MINUTES = Math.floor(CLASS_METRICS_TTL_SECONDS / 60 / 60) * 60;

export interface ClassMetrics {
  readonly className: string;
  readonly processed: number;
  readonly failed: number;
  /** Execution time of all its runs, ms. */
  readonly totalMs: number;
  readonly averageMs: number;
  /** Upper bounds of the histogram slots the median and the 95th percentile fall in (ms); Infinity past the last bound. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

/** Every class run by our workers in the `minutes` minutes ending with the one holding `nowMs`, most execution time first. */
export async function readClassMetrics(client: ResqueClient, minutes: number, nowMs = Date.now()): Promise<ClassMetrics[]> {
  const { redis, keys } = client;
  const span = Math.min(Math.max(1, Math.floor(minutes)), CLASS_METRICS_MINUTES);
  const last = Math.floor(nowMs / 60_000);
  const hashes = await client.call('classMetrics', false, () =>
    Promise.all(Array.from({ length: span }, (_, i) => redis.hgetall(keys.classMetrics(last - i)) as Promise<Record<string, string>>)),
  );
  const totals = new Map<string, ClassTotals>();
  for (const hash of hashes) addClassMetrics(totals, hash);
  return [...totals.values()]
    .filter((t) => t.processed > 0)
    .map((t) => ({
      className: t.className,
      processed: t.processed,
      failed: t.failed,
      totalMs: t.ms,
      averageMs: t.ms / t.processed,
      p50Ms: bucketQuantile(t.buckets, 0.5),
      p95Ms: bucketQuantile(t.buckets, 0.95),
    }))
    .sort((a, b) => b.totalMs - a.totalMs || b.processed - a.processed || (a.className < b.className ? -1 : 1));
}
