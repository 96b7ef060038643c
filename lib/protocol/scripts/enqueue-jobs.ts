import { createHash } from 'node:crypto';
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

/** SADD queues + RPUSH + WAITING statuses (+ a wake-up when the queue was empty), atomically, in one round trip. Returns the queue length. */
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
    [keys.queues, keys.queue(queue), keys.wake, ...statusKeys],
    [queue, statusKeys.length > 0 ? statusJson(JobStatus.Waiting, new Date(), true) : '', ...payloads],
  );
  return Number(length);
}

const ENQUEUE_SHA = createHash('sha1').update(enqueueScript.lua).digest('hex');

/**
 * The same script for one job, sent as a plain EVALSHA (or EVAL, when `withSource`: after Redis
 * answered NOSCRIPT, it loads the script as well). This is the hot path of an awaited enqueue:
 * it skips the argument arrays and the wrapper command of ioredis' defineCommand. Resolves with the
 * queue length; a NOSCRIPT rejection is the caller's to retry with `withSource`.
 */
export function enqueueJob(redis: Redis, keys: ResqueKeys, queue: string, job: EncodedJob, withSource = false): Promise<unknown> {
  // KEYS and ARGV exactly as enqueueJobs sends them for a batch of one (enqueue.lua's header).
  const queues = keys.queues;
  const list = keys.queue(queue);
  const wake = keys.wake;
  if (withSource) {
    if (job.statusKey === undefined) return redis.eval(enqueueScript.lua, 3, queues, list, wake, queue, '', job.payload);
    return redis.eval(enqueueScript.lua, 4, queues, list, wake, job.statusKey, queue, waiting(), job.payload);
  }
  if (job.statusKey === undefined) return redis.evalsha(ENQUEUE_SHA, 3, queues, list, wake, queue, '', job.payload);
  return redis.evalsha(ENQUEUE_SHA, 4, queues, list, wake, job.statusKey, queue, waiting(), job.payload);
}

function waiting(): string {
  return statusJson(JobStatus.Waiting, new Date(), true);
}

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
