/**
 * Fires the recurring schedules whose tick has come: one enqueue per tick, whoever fires it
 * (fire-schedule.lua claims the tick by compare-and-set), with the policies of recurrence.ts
 * (catch up once after missed ticks). The leading scheduler calls it every tick.
 */
import type { RedisClient } from '../redis/connection.js';
import { nextFire, type StoredSchedule } from '../client/recurrence.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { encodePayload, newJobId, queueTimeNow } from '../protocol/payload.js';
import { JobStatus, statusJson } from '../protocol/status.js';
import { dueSchedulesScript, fireScheduleScript } from '../protocol/scripts/lua.generated.js';
import { runScript } from '../redis/scripts.js';

export interface RecurringFirerOptions {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  /** Epoch ms; default: Redis's clock. */
  readonly now?: () => number;
  readonly wakeKey?: string;
  /** A stored definition that cannot be fired (not ours, or corrupt): it is unscheduled and reported. */
  readonly onError?: (error: Error) => void;
}

const PER_CALL = 100;

export class RecurringFirer {
  constructor(private readonly options: RecurringFirerOptions) {}

  /** Enqueues every due tick; resolves with how many this call enqueued. */
  async fireDue(): Promise<number> {
    const { redis, keys } = this.options;
    const now = this.options.now ? String(this.options.now()) : '';
    const flat = (await runScript(redis, dueSchedulesScript, [keys.recurring, keys.recurringNext], [now, PER_CALL])) as string[];
    const at = Number(flat[0]);
    let fired = 0;
    for (let i = 1; i < flat.length; i += 3) {
      if (await this.fire(flat[i], Number(flat[i + 1]), flat[i + 2], at)) fired++;
    }
    return fired;
  }

  private async fire(name: string, slot: number, definition: string, now: number): Promise<boolean> {
    const { redis, keys } = this.options;
    let stored: StoredSchedule;
    let following: number;
    try {
      stored = JSON.parse(definition) as StoredSchedule;
      following = nextFire(name, stored, Math.max(now, slot), slot);
      if (typeof stored.class !== 'string' || typeof stored.queue !== 'string' || typeof stored.data !== 'string') throw new Error('not a schedule we wrote');
    } catch (error) {
      await redis.zrem(keys.recurringNext, name);
      this.options.onError?.(new Error(`schedule ${JSON.stringify(name.slice(0, 200))} cannot fire and was unscheduled: ${(error as Error).message}`));
      return false;
    }
    const id = newJobId();
    const payload = encodePayload(stored.class, stored.data, id, queueTimeNow());
    const statusKey = stored.track ? [keys.jobStatus(id)] : [];
    const claimed = await runScript(
      redis,
      fireScheduleScript,
      [keys.recurring, keys.recurringNext, keys.recurringLast, keys.queues, keys.queue(stored.queue), ...statusKey],
      [name, definition, slot, following, stored.queue, payload, `${now} ${id}`, statusJson(JobStatus.Waiting, new Date(), true), this.options.wakeKey ?? this.options.keys.wake],
    );
    return Number(claimed) === 1;
  }
}
