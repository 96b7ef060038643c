import type { Redis } from 'ioredis';
import { runScript } from '../../redis/scripts.js';
import type { ResqueKeys } from '../keys.js';
import { JobStatus, statusJson } from '../status.js';
import { enqueueScript } from './lua.generated.js';

export interface EncodedJob {
  readonly payload: string;
  /** Set for a tracked job: its `job:<id>:status` key. */
  readonly statusKey?: string;
}

/** SADD queues + RPUSH + WAITING statuses, atomically, in one round trip. Returns the queue length. */
export async function enqueueJobs(redis: Redis, keys: ResqueKeys, queue: string, jobs: readonly EncodedJob[]): Promise<number> {
  const statusKeys: string[] = [];
  const payloads: string[] = [];
  for (const job of jobs) {
    payloads.push(job.payload);
    if (job.statusKey) statusKeys.push(job.statusKey);
  }
  const length = await runScript(
    redis,
    enqueueScript,
    [keys.queues, keys.queue(queue), ...statusKeys],
    [queue, statusKeys.length > 0 ? statusJson(JobStatus.Waiting, new Date(), true) : '', ...payloads],
  );
  return Number(length);
}
