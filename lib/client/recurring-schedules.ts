/**
 * Recurring schedules, managed at run time (code-declared ones, `@Job({ schedule })`, are written
 * through the same `set` at boot). Stored in `recurring` (definition) and `recurring:next` (the
 * tick key); the leading scheduler fires them (lib/scheduler/recurring-firer.ts).
 */
import { toJobJson } from '../protocol/payload.js';
import { runScript } from '../redis/scripts.js';
import { defineScheduleScript } from '../protocol/scripts/lua.generated.js';
import type { ResqueClient } from './resque-client.js';
import { checkSchedule, nextFire, type ScheduleDefinition, type StoredSchedule } from './recurrence.js';

/** @publicApi */
export interface ScheduleInfo extends ScheduleDefinition {
  readonly name: string;
  /** When it fires next; null when it is not scheduled. */
  readonly next: Date | null;
  readonly lastRun: Date | null;
  readonly lastJobId: string | null;
}

/** @publicApi */
export class RecurringSchedules {
  constructor(private readonly client: ResqueClient) {}

  /**
   * Adds or replaces a schedule; resolves true when it was new or changed. The same definition
   * set again (every boot of the same code) keeps its next tick.
   */
  set(name: string, definition: ScheduleDefinition): Promise<boolean> {
    checkSchedule(name, definition);
    const stored = storedForm(definition);
    const json = JSON.stringify(stored);
    const first = nextFire(name, stored, Date.now());
    const keys = this.client.keys;
    return this.client.call('setSchedule', true, async () =>
      Number(await runScript(this.client.redis, defineScheduleScript, [keys.recurring, keys.recurringNext], [name, json, first])) === 1,
    );
  }

  /** Removes a schedule; true if it existed. A code-declared one comes back at the next boot. */
  remove(name: string): Promise<boolean> {
    const keys = this.client.keys;
    return this.client.call('removeSchedule', true, async () => {
      const results = await this.client.redis.multi().hdel(keys.recurring, name).zrem(keys.recurringNext, name).hdel(keys.recurringLast, name).exec();
      return Number(results?.[0]?.[1] ?? 0) === 1;
    });
  }

  /** Every schedule, by name, with its next and last run. */
  list(): Promise<ScheduleInfo[]> {
    const keys = this.client.keys;
    return this.client.call('schedules', false, async () => {
      const results = await this.client.redis.multi().hgetall(keys.recurring).zrange(keys.recurringNext, '0', '-1', 'WITHSCORES').hgetall(keys.recurringLast).exec();
      const defs = (results?.[0]?.[1] ?? {}) as Record<string, string>;
      const flat = (results?.[1]?.[1] ?? []) as string[];
      const last = (results?.[2]?.[1] ?? {}) as Record<string, string>;
      const next = new Map<string, number>();
      for (let i = 0; i < flat.length; i += 2) next.set(flat[i], Number(flat[i + 1]));
      return Object.keys(defs)
        .sort()
        .map((name) => describe(name, defs[name], next.get(name), last[name]));
    });
  }
}

function storedForm(def: ScheduleDefinition): StoredSchedule {
  return {
    queue: def.queue,
    class: def.className,
    data: toJobJson(def.data === undefined ? null : def.data),
    ...(def.cron !== undefined ? { cron: def.cron } : {}),
    ...(def.tz !== undefined ? { tz: def.tz } : {}),
    ...(def.every !== undefined ? { every: def.every } : {}),
    ...(def.track ? { track: true } : {}),
  };
}

function describe(name: string, json: string, next: number | undefined, last: string | undefined): ScheduleInfo {
  let stored: Partial<StoredSchedule> = {};
  try {
    stored = JSON.parse(json) as Partial<StoredSchedule>;
  } catch {
    // listed with what can be read: a definition we did not write
  }
  let data: unknown;
  try {
    data = typeof stored.data === 'string' ? JSON.parse(stored.data) : undefined;
  } catch {
    data = undefined;
  }
  const [lastAt, lastId] = (last ?? '').split(' ');
  return {
    name,
    queue: String(stored.queue ?? ''),
    className: String(stored.class ?? ''),
    data,
    cron: stored.cron,
    tz: stored.tz,
    every: stored.every,
    track: stored.track,
    next: next === undefined ? null : new Date(next),
    lastRun: lastAt ? new Date(Number(lastAt)) : null,
    lastJobId: lastId || null,
  };
}
