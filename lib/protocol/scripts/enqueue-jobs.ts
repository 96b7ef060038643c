import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import type { RedisClient } from '../../redis/connection.js';
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
export async function enqueueJobs(redis: RedisClient, keys: ResqueKeys, queue: string, jobs: readonly EncodedJob[]): Promise<number> {
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
 * The same script for one job, as a plain EVALSHA command (or EVAL, when `withSource`: after Redis
 * answered NOSCRIPT, it loads the script as well), for the caller to send with
 * `redis.sendCommand`. This is the hot path of an awaited enqueue: no argument arrays, no wrapper
 * command of ioredis' defineCommand, and the caller can reject the command at its deadline.
 * KEYS and ARGV are exactly what enqueueJobs sends for a batch of one (enqueue.lua's header).
 */
export function enqueueJobCommand(redis: RedisClient, keys: EnqueueKeys, queue: string, job: EncodedJob, withSource = false): Command {
  const script = withSource ? enqueueScript.lua : ENQUEUE_SHA;
  const list = keys.queue(queue);
  const args =
    job.statusKey === undefined
      ? [script, 3, keys.queues, list, keys.wake, queue, '', job.payload]
      : [script, 4, keys.queues, list, keys.wake, job.statusKey, queue, waiting(), job.payload];
  // As ioredis' own command methods build it (keyPrefix from the client's options, string replies).
  return new Command(withSource ? 'eval' : 'evalsha', args, { keyPrefix: redis.options.keyPrefix, replyEncoding: 'utf8' });
}

/** The keys the one-job path needs, computed once per client (ResqueKeys builds a new string per call). */
export interface EnqueueKeys {
  readonly queues: string;
  readonly wake: string;
  queue(name: string): string;
}

/** EnqueueKeys of `keys`, remembering the last queue's key: producers repeat the same few queues. */
export function enqueueKeys(keys: ResqueKeys): EnqueueKeys {
  let lastQueue: string | undefined;
  let lastKey = '';
  return {
    queues: keys.queues,
    wake: keys.wake,
    queue(name) {
      if (name !== lastQueue) {
        lastQueue = name;
        lastKey = keys.queue(name);
      }
      return lastKey;
    },
  };
}

function waiting(): string {
  return statusJson(JobStatus.Waiting, new Date(), true);
}

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
