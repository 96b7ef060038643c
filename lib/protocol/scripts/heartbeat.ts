import type { RedisClient } from '../../redis/connection.js';
import { runScript } from '../../redis/scripts.js';
import type { ResqueKeys } from '../keys.js';
import { isoTime } from '../time.js';
import { heartbeatScript } from './lua.generated.js';

export interface HeartbeatReply {
  /** Redis's clock, ms. */
  readonly now: number;
  /** Workers whose heartbeat is older than `staleMs`, judged from `sinceMs` on. */
  readonly stale: string[];
  /** Of `workerIds`, those that were no longer registered (a recovery took them for dead) and are again. */
  readonly registeredAgain: string[];
}

/**
 * Marks `workerIds` alive (Redis clock; re-registers one a recovery removed) and returns the ids
 * whose heartbeat is older than `staleMs`, none while `sinceMs` (the caller's connected-since, Redis ms) is younger.
 */
export async function judgeHeartbeats(
  redis: RedisClient,
  keys: ResqueKeys,
  workerIds: readonly string[],
  staleMs: number,
  sinceMs: number,
): Promise<HeartbeatReply> {
  const reply = (await runScript(
    redis,
    heartbeatScript,
    [keys.heartbeats, keys.alive, keys.workers, ...workerIds.map((id) => keys.workerStarted(id))],
    [isoTime(new Date()), staleMs, sinceMs, ...workerIds],
  )) as [number, number, ...string[]];
  const again = Number(reply[1]);
  return { now: Number(reply[0]), registeredAgain: reply.slice(2, 2 + again) as string[], stale: reply.slice(2 + again) as string[] };
}

/** Marks `workerIds` alive (Redis clock) and returns ids whose heartbeat is older than `staleMs`. */
export async function heartbeat(redis: RedisClient, keys: ResqueKeys, workerIds: readonly string[], staleMs: number): Promise<string[]> {
  return (await judgeHeartbeats(redis, keys, workerIds, staleMs, 0)).stale;
}
