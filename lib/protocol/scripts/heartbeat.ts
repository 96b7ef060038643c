import type { Redis } from 'ioredis';
import { runScript } from '../../redis/scripts.js';
import type { ResqueKeys } from '../keys.js';
import { isoTime } from '../time.js';
import { heartbeatScript } from './lua.generated.js';

/** Marks `workerIds` alive (Redis clock) and returns ids whose heartbeat is older than `staleMs`. */
export async function heartbeat(redis: Redis, keys: ResqueKeys, workerIds: readonly string[], staleMs: number): Promise<string[]> {
  const reply = await runScript(redis, heartbeatScript, [keys.heartbeats, keys.alive], [isoTime(new Date()), staleMs, ...workerIds]);
  return reply as string[];
}
