import type { Redis } from 'ioredis';
import { runScript } from '../../redis/scripts.js';
import type { ResqueKeys } from '../keys.js';
import { isoTime } from '../time.js';
import { reserveScript } from './lua.generated.js';

/** A job taken from a queue and recorded as in flight under `token` in the worker's in-flight hash. */
export interface ReservedJob {
  readonly token: string;
  readonly queue: string;
  /** The payload exactly as the producer wrote it. */
  readonly raw: string;
}

export interface ReserveTarget {
  readonly workerId: string;
  /** node-resque's `host:pid` name, stored in `worker:<id>`. */
  readonly workerName: string;
  /** Queue names in priority order, or `['*']` for every queue, alphabetically. */
  readonly queues: readonly string[];
}

export function reserveArguments(keys: ResqueKeys, target: ReserveTarget, max: number, firstToken: number) {
  const wildcard = target.queues.includes('*');
  const queues = wildcard ? [] : target.queues;
  return {
    keys: [
      keys.inflight(target.workerId),
      keys.worker(target.workerId),
      keys.pauseAllWorkers,
      keys.queues,
      ...queues.map((q) => keys.queue(q)),
    ],
    args: [max, firstToken, JSON.stringify(isoTime(new Date())), wildcard ? '*' : '', keys.queuePrefix, JSON.stringify(target.workerName), ...queues],
  };
}

export function parseReserved(reply: unknown): ReservedJob[] {
  const flat = reply as string[];
  const jobs: ReservedJob[] = [];
  for (let i = 0; i < flat.length; i += 3) jobs.push({ token: flat[i], queue: flat[i + 1], raw: flat[i + 2] });
  return jobs;
}

/** Takes up to `max` jobs atomically into the worker's in-flight hash. Tokens start at `firstToken`. */
export async function reserveJobs(redis: Redis, keys: ResqueKeys, target: ReserveTarget, max: number, firstToken: number): Promise<ReservedJob[]> {
  const { keys: k, args } = reserveArguments(keys, target, max, firstToken);
  return parseReserved(await runScript(redis, reserveScript, k, args));
}
