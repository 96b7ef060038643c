/**
 * Unique worker ids when many hosts share a hostname. Resque's id is `hostname:pid:queues`; two
 * containers with the same hostname (or host networking) and their own PID namespaces give their
 * children the same pids, so the same ids: one would settle the other's running jobs as a dead
 * predecessor's, and `workers` would list one worker for two.
 *
 * A registered id whose heartbeat (`workers:alive`, Redis ms) still advances belongs to a live
 * worker elsewhere; one whose heartbeat stopped belongs to a dead worker (our predecessor, when a
 * container restarted). Telling the two apart needs time: a heartbeat older than HEARTBEAT_WINDOW
 * (two heartbeat intervals and a second, the hosts of one deployment sharing HEARTBEAT_INTERVAL)
 * has stopped; a younger one is watched until that window has passed since it. A live id is not
 * taken: the host part gets `-2`, `-3`... (`web-1-2:7:mail`), which every Resque still reads as
 * host:pid:queues.
 */
import type { ResqueKeys } from '../../protocol/keys.js';
import { workerId } from '../../protocol/worker-id.js';
import type { RedisClient } from '../../redis/connection.js';

/** free: nobody has it; stopped: registered, its heartbeat stopped (recover it first); live: in use elsewhere. */
export type IdVerdict = 'free' | 'stopped' | 'live';

export interface IdJudgeOptions {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  /** HEARTBEAT_INTERVAL in ms. */
  readonly heartbeatIntervalMs: number;
  /** Ends a wait early (the host stops): the verdict is then 'live', which takes nothing from anyone. */
  readonly signal?: AbortSignal;
}

export function heartbeatWindowMs(heartbeatIntervalMs: number): number {
  return 2 * heartbeatIntervalMs + 1_000;
}

/** Whether `id` is in use by a live worker, waiting (at most a heartbeat window) when its last heartbeat is recent. */
export async function judgeWorkerId(id: string, options: IdJudgeOptions): Promise<IdVerdict> {
  const { redis, keys } = options;
  const [score, registered] = await Promise.all([redis.zscore(keys.alive, id), redis.sismember(keys.workers, id)]);
  if (score === null) return registered ? 'stopped' : 'free';
  const last = Number(score);
  const window = heartbeatWindowMs(options.heartbeatIntervalMs);
  for (;;) {
    const now = await redisNow(redis);
    const beat = await redis.zscore(keys.alive, id);
    if (beat === null) return 'free'; // recovered or unregistered meanwhile
    if (Number(beat) > last) return 'live';
    if (now - last > window) return 'stopped';
    if (options.signal?.aborted) return 'live';
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(20, last + window - now + 20))));
  }
}

export interface ClaimOptions extends IdJudgeOptions {
  readonly queues: readonly string[];
  readonly pid: number;
  readonly hostname: string;
  /** Ids this host's other children have. */
  readonly own: ReadonlySet<string>;
}

export interface ClaimedId {
  readonly id: string;
  /** The id was registered by a worker that stopped: settle what it holds before using it. */
  readonly previousOwnerStopped: boolean;
}

/** The first of `hostname:pid:queues`, `hostname-2:pid:queues`... that no live worker uses. */
export async function claimWorkerId(options: ClaimOptions): Promise<ClaimedId> {
  for (let n = 1; ; n++) {
    const id = workerId(options.queues, options.pid, n === 1 ? options.hostname : `${options.hostname}-${n}`);
    if (options.own.has(id)) continue;
    const verdict = await judgeWorkerId(id, options);
    if (verdict !== 'live' || n >= 1_000) return { id, previousOwnerStopped: verdict === 'stopped' };
  }
}

async function redisNow(redis: RedisClient): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
