/**
 * The `resque_*` metrics on a prom-client registry, for the worker host (its own registry, served on
 * METRICS_PORT) and the app (prom-client's default registry, which @willsoto/nestjs-prometheus serves).
 * Gauges are read from Redis at scrape time (one snapshot per scrape, shared by all of them); job
 * counters and durations come from JobMetricsTotals where jobs run (the host's children).
 *
 *   resque_queue_depth{queue}              jobs waiting
 *   resque_queue_latency_seconds{queue}    age of the oldest waiting job (from its queue_time; 0 without one)
 *   resque_delayed_jobs                    items in resque-scheduler's delayed queue
 *   resque_retrying_jobs                   jobs waiting for another attempt
 *   resque_workers{state=busy|idle}        registered workers of every implementation
 *   resque_redis_up                        1 when the last scrape could read Redis
 *   resque_jobs_processed_total{queue,class}  runs acknowledged, succeeded or failed (Resque's stat:processed)
 *   resque_jobs_failed_total{queue,class}     runs that failed (Resque's stat:failed)
 *   resque_jobs_retried_total{queue,class}    runs that failed and were put back for another attempt
 *   resque_job_duration_seconds{class}        histogram of run times
 *   resque_job_wait_seconds{class}            histogram of enqueue (queue_time) to perform
 */
import type * as PromClient from 'prom-client';
type Registry = PromClient.Registry;
import { DURATION_BUCKETS, WAIT_BUCKETS, type JobMetricsTotals } from './job-metrics.js';
import type { Prom } from './load-prom-client.js';
import type { RedisSnapshot } from './redis-snapshot.js';

export interface ResqueMetricsSources {
  readonly snapshot: () => Promise<RedisSnapshot>;
  readonly totals?: JobMetricsTotals;
  /** A scrape waits this long for Redis, then reports resque_redis_up 0 (default 2 s). */
  readonly redisTimeoutMs?: number;
}

export interface RegisteredMetrics {
  /** Takes the metrics off the registry again (the app's module on shutdown). */
  remove(): void;
}

export function registerResqueMetrics(prom: Prom, registry: Registry, sources: ResqueMetricsSources): RegisteredMetrics {
  const names: string[] = [];
  const registers = [registry];
  const scrape = sharedScrape(sources.snapshot, sources.redisTimeoutMs ?? 2_000);

  const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: PromClient.Gauge<L>, s: RedisSnapshot) => void, up?: true) => {
    names.push(name);
    const g: PromClient.Gauge<L> = new prom.Gauge<L>({
      name, help, labelNames, registers,
      async collect() {
        const snapshot = await scrape();
        g.reset();
        if (up) g.set(snapshot ? 1 : 0);
        else if (snapshot) fill(g, snapshot);
      },
    });
  };
  gauge('resque_queue_depth', 'Jobs waiting in the queue', ['queue'], (g, s) => s.queues.forEach((q) => g.set({ queue: q.name }, q.depth)));
  gauge('resque_queue_latency_seconds', 'Age of the oldest waiting job of the queue (from its queue_time; 0 when empty or without one)', ['queue'], (g, s) =>
    s.queues.forEach((q) => g.set({ queue: q.name }, q.latency)));
  gauge('resque_delayed_jobs', 'Jobs in the delayed queue (resque-scheduler layout)', [], (g, s) => g.set(s.delayed));
  gauge('resque_retrying_jobs', 'Jobs waiting for another attempt', [], (g, s) => g.set(s.retrying));
  gauge('resque_workers', 'Registered workers (any implementation), busy or idle', ['state'], (g, s) => {
    g.set({ state: 'busy' }, s.workersBusy);
    g.set({ state: 'idle' }, s.workersIdle);
  });
  gauge('resque_redis_up', 'Whether the last scrape could read Redis', [], () => undefined, true);

  const totals = sources.totals;
  if (totals) {
    const counter = (name: string, help: string, pick: (c: { ok: number; fail: number; retried: number }) => number) => {
      names.push(name);
      const c: PromClient.Counter<'queue' | 'class'> = new prom.Counter<'queue' | 'class'>({
        name, help, labelNames: ['queue', 'class'], registers,
        collect() {
          // Totals live in JobMetricsTotals (merged from children's batches): the counter mirrors them.
          c.reset();
          for (const t of totals.counts.values()) c.inc({ queue: t.queue, class: t.className }, pick(t));
        },
      });
    };
    counter('resque_jobs_processed_total', 'Job runs acknowledged, succeeded or failed', (t) => t.ok + t.fail);
    counter('resque_jobs_failed_total', 'Job runs that failed', (t) => t.fail);
    counter('resque_jobs_retried_total', 'Job runs that failed and were put back for another attempt', (t) => t.retried);
    names.push('resque_job_duration_seconds', 'resque_job_wait_seconds');
    registry.registerMetric(countedHistogram('resque_job_duration_seconds', 'Job run time in seconds', DURATION_BUCKETS, totals.durations) as unknown as PromClient.Metric);
    registry.registerMetric(
      countedHistogram('resque_job_wait_seconds', 'Seconds from enqueue (the payload\'s queue_time) to perform, for jobs that carry one', WAIT_BUCKETS, totals.waits) as unknown as PromClient.Metric,
    );
  }
  return {
    remove() {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

/**
 * A histogram whose buckets are already counted (in the children): prom-client's Histogram only
 * takes single observations, so this is a metric object of the shape its registry reads (get()).
 */
function countedHistogram(name: string, help: string, bounds: readonly number[], histograms: JobMetricsTotals['durations']) {
  const base = { name, help, type: 'histogram' as const, aggregator: 'sum' as const };
  return {
    ...base,
    collect: undefined,
    reset: () => undefined,
    async get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const d of histograms.values()) {
        let cumulative = 0;
        bounds.forEach((le, i) => {
          cumulative += d.buckets[i] ?? 0;
          values.push({ metricName: `${name}_bucket`, labels: { le, class: d.className }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', class: d.className }, value: d.count });
        values.push({ metricName: `${name}_sum`, labels: { class: d.className }, value: d.sum });
        values.push({ metricName: `${name}_count`, labels: { class: d.className }, value: d.count });
      }
      return { ...base, values };
    },
  };
}

/**
 * One Redis read per scrape: a registry collects every metric at once (Promise.all), so the gauges
 * share the read in flight; the next scrape reads again. Undefined when Redis failed or was too slow.
 */
function sharedScrape(read: () => Promise<RedisSnapshot>, timeoutMs: number): () => Promise<RedisSnapshot | undefined> {
  let pending: Promise<RedisSnapshot | undefined> | undefined;
  return () => {
    if (pending) return pending;
    let timer: NodeJS.Timeout | undefined;
    const promise = Promise.race([
      read().catch(() => undefined),
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs))),
    ]).finally(() => {
      clearTimeout(timer);
      pending = undefined;
    });
    pending = promise;
    return promise;
  };
}
