/**
 * The worker loop's operations, on real Redis: reserve and finish are one script call each, sent
 * in one pipeline when both are due; idle waiting blocks on Redis without taking a job.
 *
 * Blocking without taking: `BLMOVE queue:q queue:q LEFT LEFT` returns as soon as the queue has a
 * job and leaves it where it was (popped and pushed back to the head in one atomic command).
 * The reserve script then takes jobs in priority order. Only one key can be watched per
 * command, so each watched queue gets its own blocking connection; with `*` or more than
 * MAX_WATCHED queues, the worker polls every INTERVAL seconds instead.
 */
import type { Redis } from 'ioredis';
import { failureRecordParts } from '../protocol/failure.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { JobExchange, type ExchangeTarget, type FinishedJob, type ReservedJob } from '../protocol/scripts/exchange-jobs.js';
import { heartbeat } from '../protocol/scripts/heartbeat.js';
import { recoverWorker } from '../protocol/scripts/recover-worker.js';
import { isoTime } from '../protocol/time.js';
import { quietly, workerConnection } from '../redis/connection.js';
import type { WorkerOperations } from './worker-loop.js';

const MAX_WATCHED = 8;

export interface RedisOperationsOptions {
  readonly redis: Redis;
  readonly keys: ResqueKeys;
  readonly target: ExchangeTarget;
  readonly blocking: boolean;
  readonly maxCrashRequeues: number;
}

export class RedisWorkerOperations implements WorkerOperations {
  private nextToken = (Date.now() % 1e9) * 100;
  private reconnected = false;
  private watchers: Array<{ client: Redis; id: number | undefined; queue: string }> = [];
  private readonly redis: Redis;
  private readonly keys: ResqueKeys;
  private readonly jobs: JobExchange;

  constructor(private readonly options: RedisOperationsOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.jobs = new JobExchange(this.redis, this.keys, options.target);
    let lost = false;
    this.redis.on('close', () => {
      lost = true;
    });
    this.redis.on('ready', () => {
      if (lost) this.reconnected = true;
      lost = false;
    });
  }

  get workerId(): string {
    return this.options.target.workerId;
  }

  /** Registers the worker as resque-web expects: in `workers`, with its start time. */
  async register(): Promise<void> {
    await this.redis
      .multi()
      .sadd(this.keys.workers, this.workerId)
      .set(this.keys.workerStarted(this.workerId), isoTime(new Date()))
      .exec();
    // In workers:alive before the first reservation: a worker whose host dies with it before the
    // host's first heartbeat must still be found (at the next host's start, or as stale) and recovered.
    await heartbeat(this.redis, this.keys, [this.workerId], Number.MAX_SAFE_INTEGER);
  }

  /** Removes every trace of the worker; only called when nothing is in flight. */
  async unregister(): Promise<void> {
    await recoverWorker(this.redis, this.keys, this.workerId, [], { maxCrashRequeues: this.options.maxCrashRequeues, unregister: true });
  }

  exchange(done: readonly FinishedJob[], max: number): Promise<ReservedJob[]> {
    const first = this.nextToken;
    this.nextToken += max;
    return this.jobs.exchange(done, max, first);
  }

  takeReconnected(): boolean {
    const value = this.reconnected;
    this.reconnected = false;
    return value;
  }

  async reconcile(known: ReadonlySet<string>): Promise<void> {
    const entries = await this.redis.hgetall(this.keys.inflight(this.workerId));
    const orphans = Object.keys(entries).filter((token) => !known.has(token));
    if (orphans.length === 0) return;
    // Reserved but never started (the reply was lost): back to the front of the queue is always safe.
    const record = failureRecordParts({ exception: 'DirtyExit', error: 'reservation reply lost', backtrace: [], worker: this.workerId, queue: '' });
    await recoverWorker(
      this.redis,
      this.keys,
      this.workerId,
      orphans.map((token) => ({ token, action: 'requeue' as const, record })),
      { maxCrashRequeues: Number.MAX_SAFE_INTEGER, unregister: false },
    );
  }

  async waitForJobs(seconds: number, abort: AbortSignal): Promise<void> {
    const queues = this.options.target.queues;
    if (!this.options.blocking || queues.includes('*') || queues.length > MAX_WATCHED) {
      return sleep(seconds * 1000, abort);
    }
    if (this.watchers.length === 0) {
      // They reconnect by themselves; the main connection reports outages.
      this.watchers = queues.map((queue) => ({ client: workerConnection(this.redis, () => undefined), id: undefined, queue }));
    }
    const waits = this.watchers.map(async (watcher) => {
      watcher.id ??= Number(await watcher.client.client('ID'));
      if (abort.aborted) return;
      const key = this.keys.queue(watcher.queue);
      await watcher.client.blmove(key, key, 'LEFT', 'LEFT', seconds);
    });
    const onAbort = () => this.unblockAll();
    abort.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race(waits);
    } finally {
      abort.removeEventListener('abort', onAbort);
      if (this.watchers.length > 1) await this.unblockAll();
      await Promise.allSettled(waits);
    }
  }

  private async unblockAll(): Promise<void> {
    const ids = this.watchers.map((w) => w.id).filter((id): id is number => id !== undefined);
    await Promise.all(ids.map((id) => this.redis.client('UNBLOCK', id).catch(() => 0)));
  }

  async close(): Promise<void> {
    await Promise.all(this.watchers.map((w) => quietly(w.client)));
    this.watchers = [];
  }
}

function sleep(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (abort.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      abort.removeEventListener('abort', done);
      resolve();
    }
    abort.addEventListener('abort', done, { once: true });
  });
}
