/**
 * Delayed jobs on resque-scheduler's shared layout (see lib/protocol/keys.ts): add, find by id,
 * remove, run now, and list. The scheduler (scheduler.ts) moves due jobs to their queues.
 * Every call goes through ResqueClient's deadline and outage handling.
 */
import type { ResqueClient } from './resque-client.js';
import { decodePayload, type JobPayload } from '../protocol/payload.js';
import { FINISHED_STATUS_TTL_SECONDS, JobStatus, statusJson } from '../protocol/status.js';
import { runScript } from '../redis/scripts.js';
import { delayScript, takeDelayedScript } from '../protocol/scripts/lua.generated.js';
import { delayedItem, dueSecond, type When } from '../protocol/delayed-item.js';

/** One due second of the delayed queue. */
export interface DelayedTimestamp {
  /** Epoch seconds, as stored in `delayed_queue_schedule`. */
  readonly second: number;
  readonly at: Date;
  /** Items due in that second. */
  readonly count: number;
}

export interface DelayedJob {
  readonly second: number;
  readonly at: Date;
  readonly raw: string;
  /** Null when the item is not a Resque payload. */
  readonly payload: JobPayload | null;
  /** The queue it will be pushed to (the item's "queue"), if it has one. */
  readonly queue: string | null;
}

/** Items per script call, so one huge bulk never builds one giant command. */
const BATCH = 1000;

/** @publicApi */
export class DelayedJobs {
  constructor(private readonly client: ResqueClient, private readonly wakeKey?: string) {}

  /** Adds one job to run at `when` (a Date or epoch ms); resolves with its id once stored. */
  async enqueueAt(when: When, queue: string, className: string, data: unknown, trackStatus = false): Promise<string> {
    const [id] = await this.enqueueBulkAt(when, queue, className, [data], trackStatus);
    return id;
  }

  /** Adds one job to run `ms` milliseconds from now. */
  enqueueIn(ms: number, queue: string, className: string, data: unknown, trackStatus = false): Promise<string> {
    return this.enqueueAt(Date.now() + ms, queue, className, data, trackStatus);
  }

  /**
   * Many jobs of one class due at the same time; every item is validated before anything is written.
   * `traceJson`: an OpenTelemetry carrier for every payload (QueueService passes it when tracing).
   */
  async enqueueBulkAt(when: When, queue: string, className: string, items: readonly unknown[], trackStatus = false, traceJson?: string): Promise<string[]> {
    const second = dueSecond(when);
    const jobs = items.map((data) => {
      const job = this.client.prepare(queue, className, data, trackStatus, traceJson);
      return { ...job, item: delayedItem(job.payload, queue, job.id) };
    });
    if (jobs.length === 0) return [];
    const keys = this.client.keys;
    await this.client.call('enqueueAt', true, async () => {
      const waiting = statusJson(JobStatus.Waiting, new Date(), true);
      const statusTtl = Math.max(1, second - Math.floor(Date.now() / 1000)) + FINISHED_STATUS_TTL_SECONDS;
      const calls: Promise<unknown>[] = [];
      for (let first = 0; first < jobs.length; first += BATCH) {
        const batch = jobs.slice(first, first + BATCH);
        const statusKeys = batch.flatMap((job) => (job.statusKey ? [job.statusKey] : []));
        calls.push(
          runScript(
            this.client.redis,
            delayScript,
            [keys.delayedSchedule, keys.delayed(second), keys.delayedIds, ...batch.map((job) => keys.timestampsPrefix + job.item), ...statusKeys],
            [second, waiting, batch.length, statusTtl, ...batch.flatMap((job) => [job.id, job.item])],
          ),
        );
      }
      await Promise.all(calls);
    });
    return jobs.map((job) => job.id);
  }

  /** Removes a delayed job by id; false when it is not delayed (any more: promoted, removed or unknown). */
  async remove(id: string): Promise<boolean> {
    return (await this.take(id, 'remove')) !== 0;
  }

  /** Pushes a delayed job to its queue now; false when it is not delayed (any more). */
  async runNow(id: string): Promise<boolean> {
    return (await this.take(id, 'now')) !== 0;
  }

  /** When a delayed job we wrote is due, or null when it is not delayed (any more). */
  async at(id: string): Promise<Date | null> {
    const second = await this.take(id, 'at');
    return second === 0 ? null : new Date(second * 1000);
  }

  /** Due seconds, oldest first, `count` from position `start`, each with its number of items. */
  timestamps(start = 0, count = 50): Promise<DelayedTimestamp[]> {
    return this.client.call('delayedTimestamps', false, async () => {
      const { redis, keys } = this.client;
      const seconds = (await redis.zrange(keys.delayedSchedule, String(start), String(start + count - 1))).map(Number);
      const pipeline = redis.pipeline();
      for (const second of seconds) pipeline.llen(keys.delayed(second));
      const lengths = seconds.length === 0 ? [] : ((await pipeline.exec()) ?? []);
      return seconds.map((second, i) => ({ second, at: new Date(second * 1000), count: Number(lengths[i]?.[1] ?? 0) }));
    });
  }

  /** How many due seconds are scheduled (resque-scheduler's delayed_queue_schedule_size). */
  timestampCount(): Promise<number> {
    return this.client.call('delayedTimestampCount', false, () => this.client.redis.zcard(this.client.keys.delayedSchedule));
  }

  /** Total delayed items: one LLEN per due second, pipelined. */
  count(): Promise<number> {
    return this.client.call('delayedCount', false, async () => {
      const { redis, keys } = this.client;
      const seconds = await redis.zrange(keys.delayedSchedule, "0", "-1");
      if (seconds.length === 0) return 0;
      const pipeline = redis.pipeline();
      for (const second of seconds) pipeline.llen(keys.delayed(Number(second)));
      const lengths = (await pipeline.exec()) ?? [];
      return lengths.reduce((sum, [, length]) => sum + Number(length ?? 0), 0);
    });
  }

  /** The items due in one second, `count` from position `start`. */
  jobsAt(second: number, start = 0, count = 100): Promise<DelayedJob[]> {
    return this.client.call('delayedJobs', false, async () => {
      const raws = await this.client.redis.lrange(this.client.keys.delayed(second), start, start + count - 1);
      return raws.map((raw) => describeItem(second, raw));
    });
  }

  /** The job's due second (0: not delayed), after doing `mode` to it (take-delayed.lua). */
  private take(id: string, mode: 'at' | 'remove' | 'now'): Promise<number> {
    if (typeof id !== 'string' || !/^[0-9a-f]{1,64}$/i.test(id)) return Promise.resolve(0);
    const keys = this.client.keys;
    const operation = { at: 'delayedAt', remove: 'removeDelayed', now: 'runDelayedNow' }[mode];
    return this.client.call(operation, mode !== 'at', async () => {
      const found = await runScript(
        this.client.redis,
        takeDelayedScript,
        [keys.delayedSchedule, keys.delayedIds, keys.queues],
        [id, mode, keys.delayedPrefix, keys.timestampsPrefix, keys.queuePrefix, this.wakeKey ?? keys.wake],
      );
      return Number(found);
    });
  }
}

function describeItem(second: number, raw: string): DelayedJob {
  const decoded = decodePayload(raw);
  let queue: string | null = null;
  try {
    const value = JSON.parse(raw) as { queue?: unknown };
    if (typeof value?.queue === 'string') queue = value.queue;
  } catch {
    // not JSON: listed with payload and queue null
  }
  return { second, at: new Date(second * 1000), raw, payload: decoded.ok ? decoded.payload : null, queue };
}
