/**
 * Recurring schedules: what one is, how it is stored, and when it fires next.
 *
 * A schedule fires on a cron expression (5 fields, or 6 with seconds; parsed by the `cron`
 * package, as @nestjs/schedule does) in a time zone, or every N milliseconds. Daylight-saving
 * changes follow the zone: a time that does not exist (spring forward) fires once at the next
 * valid minute, a time that exists twice (fall back) fires once, at its first occurrence.
 *
 * Missed ticks (no host ran): the first scheduler back fires the oldest missed tick once, then
 * continues from now ("catch up once"), so an outage never floods a queue.
 */
import { createRequire } from 'node:module';
import type { CronTime } from 'cron';
import { InvalidScheduleError } from '../errors/invalid-schedule.error.js';
import { queueNameProblem } from '../protocol/queue-name.js';

/** @publicApi */
export interface ScheduleDefinition {
  readonly queue: string;
  /** The Resque class name to enqueue. */
  readonly className: string;
  /** The job's data (php-resque's args[0]), the same on every run. */
  readonly data?: unknown;
  /** Cron expression: `*\/5 * * * *`, or with seconds first: `0 *\/5 * * * *`. */
  readonly cron?: string;
  /** IANA time zone for `cron` (default UTC), e.g. `Europe/Berlin`. */
  readonly tz?: string;
  /** Instead of cron: every this many milliseconds (at least 1000). */
  readonly every?: number;
  /** Track each enqueued job's status. */
  readonly track?: boolean;
}

/** The stored form (`recurring` hash), with the data as its exact JSON text. */
export interface StoredSchedule {
  readonly queue: string;
  readonly class: string;
  readonly data: string;
  readonly cron?: string;
  readonly tz?: string;
  readonly every?: number;
  readonly track?: boolean;
}

export function checkSchedule(name: string, def: ScheduleDefinition): void {
  if (typeof name !== 'string' || name === '' || name.length > 200 || /[\p{C}]/u.test(name)) {
    throw new InvalidScheduleError(String(name), 'the name must be 1-200 printable characters');
  }
  const queueProblem = queueNameProblem(def.queue);
  if (queueProblem) throw new InvalidScheduleError(name, `queue name is invalid: ${queueProblem}`);
  if (typeof def.className !== 'string' || def.className === '') throw new InvalidScheduleError(name, 'className must be a non-empty string');
  if ((def.cron === undefined) === (def.every === undefined)) throw new InvalidScheduleError(name, 'give exactly one of `cron` and `every`');
  if (def.every !== undefined && (!Number.isInteger(def.every) || def.every < 1000)) {
    throw new InvalidScheduleError(name, '`every` must be a whole number of milliseconds, at least 1000');
  }
  if (def.tz !== undefined && def.cron === undefined) throw new InvalidScheduleError(name, '`tz` only applies to `cron`');
  if (def.cron !== undefined) cronTime(name, def.cron, def.tz);
}

let cron: typeof import('cron') | undefined;
/** Loaded at the first cron schedule: a process without one (most workers) never loads cron and luxon (~6 MB). */
function loadCron(): typeof import('cron') {
  return (cron ??= createRequire(import.meta.url)('cron') as typeof import('cron'));
}

function cronTime(name: string, expression: string, tz: string | undefined): CronTime {
  try {
    const time = new (loadCron().CronTime)(expression, tz);
    time.getNextDateFrom(new Date(), tz);
    return time;
  } catch (error) {
    throw new InvalidScheduleError(name, `cron ${JSON.stringify(expression)}${tz ? ` in ${tz}` : ''} is invalid: ${(error as Error).message}`);
  }
}

/**
 * The first fire time strictly after `after` (epoch ms). For `every`, ticks are `slot + k*every`:
 * the first one after `after`.
 */
export function nextFire(name: string, schedule: Pick<StoredSchedule, 'cron' | 'tz' | 'every'>, after: number, slot?: number): number {
  if (schedule.every !== undefined) {
    const base = slot ?? after;
    const steps = Math.floor((after - base) / schedule.every) + 1;
    return base + Math.max(1, steps) * schedule.every;
  }
  const time = cronTime(name, schedule.cron!, schedule.tz);
  let from = after;
  for (;;) {
    const next = time.getNextDateFrom(new Date(from), schedule.tz).toMillis();
    if (next > after) return next;
    from += 1000;
  }
}
