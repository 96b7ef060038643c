/**
 * The item we write to resque-scheduler's `delayed:<second>` lists: a php-resque payload with the
 * queue inside, `{"class":"C","args":[data],"queue":"q","id":"<32 hex>","queue_time":<float>}`.
 *
 * - Ruby's and node's promoters read class, args and queue from it; php-resque-scheduler reads
 *   class, args and queue too (and calls enqueue with args[0], our data, as it does for its own).
 * - Our promoter pushes it unchanged, so the job keeps its id and a tracked status follows it.
 * - A worker of any Resque reads it as a payload: the extra "queue" field is ignored.
 */
import { InvalidDelayError } from '../errors/invalid-delay.error.js';

/** Inserts `"queue"` before the id of an encoded php-resque payload (class, args, id, queue_time). */
export function delayedItem(payload: string, queue: string, id: string): string {
  const at = payload.lastIndexOf(`,"id":"${id}"`);
  if (at < 0) throw new Error(`internal: payload without its id ${id}`);
  return `${payload.slice(0, at)},"queue":${JSON.stringify(queue)}${payload.slice(at)}`;
}

/** A time as a Date, or milliseconds since the epoch. */
export type When = Date | number;

/**
 * The second a job due at `when` is stored under: rounded UP, so no promoter (ours promotes when
 * Redis's clock reaches the second) ever runs it before the time asked for. Ruby and php-resque
 * truncate, node rounds to the nearest second; a delayed job here is late by under a second plus
 * the scheduler's tick, never early.
 */
export function dueSecond(when: When): number {
  const ms = when instanceof Date ? when.getTime() : when;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new InvalidDelayError(when);
  return Math.ceil(ms / 1000);
}

/**
 * A payload someone else wrote (or ours), as a delayed item: promoters need its queue inside. A
 * payload without a top-level "queue" gets one inserted after its opening brace; its other bytes
 * stay as they are.
 */
export function delayedItemFromPayload(raw: string, queue: string): string {
  let hasQueue = false;
  try {
    const value = JSON.parse(raw) as Record<string, unknown>;
    hasQueue = typeof value === 'object' && value !== null && typeof value.queue === 'string';
  } catch {
    hasQueue = false;
  }
  if (hasQueue) return raw;
  const open = raw.indexOf('{');
  return `${raw.slice(0, open + 1)}"queue":${JSON.stringify(queue)},${raw.slice(open + 1)}`;
}
