/**
 * What each CLI command does and prints, apart from argument parsing (program.ts) so tests and
 * the parser stay small. Human output escapes everything read from Redis (printable); `--json`
 * output is JSON.stringify's, which escapes control characters itself.
 */
import type { RedisClient } from '../redis/connection.js';
import { ResqueClient } from '../client/resque-client.js';
import { readRedisSnapshot } from '../metrics/redis-snapshot.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { printable } from '../protocol/printable.js';
import { FailedJobNotFoundError } from '../errors/failed-job-not-found.error.js';
import { pauseQueues, pausedQueues, resumeQueues } from '../client/paused-queues.js';
import { isEmptyFilter, searchFailed, type FailedFilter } from '../client/failed-records.js';
import { sweepFailed, type FailedAction } from '../client/failed-actions.js';
import type { FailedJob } from '../protocol/records.js';
import type { ProgressBar } from './progress-bar.js';

export interface CliContext {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  readonly out: (line: string) => void;
  /** A progress bar for a bulk operation (on stderr, TTY only; a silent one otherwise). */
  readonly progress: (label: string) => ProgressBar;
}

function client(ctx: CliContext): ResqueClient {
  return new ResqueClient({ redis: ctx.redis, keys: ctx.keys });
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ').trimEnd());
}

export async function queues(ctx: CliContext, json: boolean): Promise<void> {
  const [snapshot, paused] = await Promise.all([readRedisSnapshot(ctx.redis, ctx.keys), pausedQueues(client(ctx))]);
  const pausedSet = new Set(paused);
  const list = snapshot.queues.map((q) => ({ name: q.name, size: q.depth, latencySeconds: Math.round(q.latency * 1000) / 1000, paused: pausedSet.has(q.name) }));
  if (json) return ctx.out(JSON.stringify(list));
  if (list.length === 0) return ctx.out('no queues');
  ctx.out(
    table([
      ['QUEUE', 'SIZE', 'OLDEST', 'PAUSED'],
      ...list.map((q) => [printable(q.name), String(q.size), q.size > 0 ? `${q.latencySeconds}s` : '-', q.paused ? 'paused' : '']),
    ]).join('\n'),
  );
}

export async function workers(ctx: CliContext, json: boolean): Promise<void> {
  const list = await client(ctx).workers();
  if (json) return ctx.out(JSON.stringify(list));
  if (list.length === 0) return ctx.out('no workers');
  const className = (payload: unknown) => (payload && typeof payload === 'object' && typeof (payload as { class?: unknown }).class === 'string' ? (payload as { class: string }).class : '?');
  ctx.out(
    table([
      ['WORKER', 'HEARTBEAT', 'RUNNING'],
      ...list.map((w) => [printable(w.id), printable(w.heartbeat ?? '-'), w.job ? printable(`${className(w.job.payload)} on ${w.job.queue} since ${w.job.run_at}`) : 'idle']),
    ]).join('\n'),
  );
}

export async function stats(ctx: CliContext, json: boolean): Promise<void> {
  const [base, snapshot, paused] = await Promise.all([client(ctx).stats(), readRedisSnapshot(ctx.redis, ctx.keys), ctx.redis.get(ctx.keys.pauseAllWorkers)]);
  const all = { ...base, delayed: snapshot.delayed, retrying: snapshot.retrying, paused: paused === 'true' };
  if (json) return ctx.out(JSON.stringify(all));
  ctx.out(table(Object.entries(all).map(([name, value]) => [name, String(value)])).join('\n'));
}

export async function failedList(ctx: CliContext, start: number, count: number, json: boolean, filter: FailedFilter = {}): Promise<void> {
  const c = client(ctx);
  if (!isEmptyFilter(filter)) return failedSearch(ctx, c, start, count, json, filter);
  const [list, total] = await Promise.all([c.failed(start, count), c.failedCount()]);
  if (json) return ctx.out(JSON.stringify({ total, start, jobs: list.map((f) => ({ index: f.index, record: f.record ?? null, raw: f.record ? undefined : f.raw })) }));
  if (list.length === 0) return ctx.out(`no failed jobs at ${start}.. (${total} in all)`);
  ctx.out(failedTable(list).join('\n'));
  ctx.out(`${list.length} of ${total} shown (from index ${start})`);
}

/** The first `count` records matching `filter` from index `start` on, scanning the whole list if need be. */
async function failedSearch(ctx: CliContext, c: ResqueClient, start: number, count: number, json: boolean, filter: FailedFilter): Promise<void> {
  const bar = json ? undefined : ctx.progress('searching');
  let found = await searchFailed(c, filter, start, { limit: count, scanLimit: SCAN_CHUNK });
  const matches = [...found.matches];
  while (matches.length < count && found.next !== null) {
    bar?.update(found.next, found.total);
    found = await searchFailed(c, filter, found.next, { limit: count - matches.length, scanLimit: SCAN_CHUNK });
    matches.push(...found.matches);
  }
  bar?.end();
  const next = found.next;
  if (json) {
    return ctx.out(JSON.stringify({ total: found.total, start, filter, next, jobs: matches.map((f) => ({ index: f.index, record: f.record ?? null, raw: f.record ? undefined : f.raw })) }));
  }
  if (matches.length === 0) return ctx.out(`no failed jobs match from index ${start} (${found.total} in all)`);
  ctx.out(failedTable(matches).join('\n'));
  ctx.out(`${matches.length} matching shown${next === null ? '' : ` (more from index ${next}: --start ${next})`}; ${found.total} in all`);
}

/** Retries or removes every record matching `filter` (all of them when null), with a progress bar. */
export async function failedSweep(ctx: CliContext, action: FailedAction, filter: FailedFilter | null, json: boolean): Promise<void> {
  const bar = json ? undefined : ctx.progress(action === 'retry' ? 'retrying' : 'removing');
  const result = await sweepFailed(client(ctx), action, filter, (progress) => bar?.update(progress.scanned, progress.total));
  bar?.end();
  if (json) return ctx.out(JSON.stringify({ action, filter, ...result }));
  const done = action === 'retry' ? `requeued ${result.acted} failed job(s) and removed their records` : `removed ${result.acted} failed job(s)`;
  const notes = [
    `${result.scanned} record(s) looked at`,
    ...(result.changed > 0 ? [`${result.changed} changed meanwhile and left alone`] : []),
    ...(result.unretryable > 0 ? [`${result.unretryable} without a queue or job to retry, left in the list`] : []),
  ];
  ctx.out(`${done} (${notes.join('; ')})`);
}

/** Records scanned per search call while listing by filter (the search says where to go on). */
const SCAN_CHUNK = 10_000;

function failedTable(list: readonly FailedJob[]): string[] {
  const rows = list.map((f) => {
    const r = f.record;
    const cls = r && r.payload && typeof r.payload === 'object' ? String((r.payload as { class?: unknown }).class ?? '?') : '?';
    return [String(f.index), printable(r?.failed_at ?? '?'), printable(r?.queue ?? '?'), printable(cls, 60), printable(r ? `${r.exception}: ${r.error}` : 'unreadable record', 120)];
  });
  return table([['INDEX', 'FAILED AT', 'QUEUE', 'CLASS', 'ERROR'], ...rows]);
}

/** One failure record in full: JSON (the record as stored when it parses, else the raw text as a string). */
export async function failedShow(ctx: CliContext, index: number): Promise<void> {
  const [job] = await client(ctx).failed(index, 1);
  if (!job) throw new FailedJobNotFoundError(index);
  ctx.out(JSON.stringify({ index, record: job.record ?? null, ...(job.record ? {} : { raw: job.raw }) }, null, 2));
}

export async function failedRetry(ctx: CliContext, index: number, keep: boolean): Promise<void> {
  const c = client(ctx);
  if (keep) await c.retryFailed(index);
  else await c.retryAndRemoveFailed(index);
  ctx.out(keep ? `requeued failed job ${index} (record kept, marked retried)` : `requeued failed job ${index} and removed its record`);
}

export async function failedRemove(ctx: CliContext, index: number): Promise<void> {
  await client(ctx).removeFailed(index);
  ctx.out(`removed failed job ${index}`);
}

export async function failedClear(ctx: CliContext): Promise<void> {
  const removed = await client(ctx).clearFailed();
  ctx.out(`removed ${removed} failed job(s)`);
}

/**
 * No queues: Ruby's `pause-all-workers` (Ruby workers and ours take no new jobs while it is "true").
 * Queues: our per-queue pause (paused-queues), honoured by our workers within ~1 s; other Resques ignore it.
 */
export async function pause(ctx: CliContext, queues: readonly string[] = []): Promise<void> {
  if (queues.length > 0) {
    await pauseQueues(client(ctx), queues);
    return ctx.out(`paused ${queues.map((q) => printable(q)).join(', ')}: our workers take no new jobs from them within ~1 s (running jobs finish; other Resques ignore this)`);
  }
  await ctx.redis.set(ctx.keys.pauseAllWorkers, 'true');
  ctx.out('paused: workers take no new jobs (pause-all-workers; running jobs finish)');
}

export async function resume(ctx: CliContext, queues: readonly string[] = []): Promise<void> {
  if (queues.length > 0) {
    await resumeQueues(client(ctx), queues);
    return ctx.out(`resumed ${queues.map((q) => printable(q)).join(', ')}`);
  }
  await ctx.redis.del(ctx.keys.pauseAllWorkers);
  ctx.out('resumed');
}

/** One job from the shell, in our producers' format (php-resque's); prints its id. */
export async function enqueue(ctx: CliContext, queue: string, className: string, data: unknown, track: boolean, json: boolean): Promise<void> {
  const id = await client(ctx).enqueue(queue, className, data, track);
  ctx.out(json ? JSON.stringify({ id, queue, class: className }) : id);
}
