/** Failure records as any Resque writes them, pushed straight onto `failed` in bulk. */
import type { Redis } from 'ioredis';
import { failureRecordParts } from '../../../lib/protocol/failure.js';
import type { ResqueKeys } from '../../../lib/index.js';

export interface FakeFailure {
  readonly queue?: string;
  readonly className?: string;
  readonly exception?: string;
  readonly error?: string;
  readonly args?: unknown[];
}

/** One fixed failure time: a record built twice is the same bytes, whatever second it is built in. */
const FAILED_AT = new Date('2026-12-02T04:00:00Z');

export function failureRecord(f: FakeFailure, n = 0): string {
  const payload = JSON.stringify({ class: f.className ?? 'DashboardFlakyJob', args: f.args ?? [{ n }], id: n.toString(16).padStart(32, '0'), queue_time: 1_764_000_000 + n });
  const { head, tail } = failureRecordParts({
    exception: f.exception ?? 'Error',
    error: f.error ?? `failure number ${n}`,
    backtrace: ['at perform (job.ts:1:1)', 'at run (worker.ts:2:2)'],
    worker: 'host:1:dash',
    queue: f.queue ?? 'dash',
  }, FAILED_AT);
  return head + payload + tail;
}

/** Pushes `count` records (10,000 per round trip). */
export async function pushFailures(redis: Redis, keys: ResqueKeys, count: number, make: (n: number) => string = (n) => failureRecord({}, n)): Promise<void> {
  for (let first = 0; first < count; first += 10_000) {
    const batch: string[] = [];
    for (let n = first; n < Math.min(count, first + 10_000); n++) batch.push(make(n));
    await redis.rpush(keys.failed, ...batch);
  }
}
