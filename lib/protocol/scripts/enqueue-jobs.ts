import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import type { RedisClient } from '../../redis/connection.js';
import { bulk, encodableClient, EncodedCommand } from '../../redis/encoded-command.js';
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

/**
 * An untracked job's awaited enqueue without a script: SADD queues + RPUSH, for the caller to send
 * in one write (Redis reads and runs both at once; its RPUSH reply is the queue length). That is
 * Ruby's Resque.push (SADD + RPUSH pipelined); php-resque sends the same two commands one by one.
 * Two plain commands cost Redis a fraction of the script call (about 0.9 against 4.5 µs of command
 * time per job here), and SADD first means a job is never in a list its queue is not registered for.
 * When the push made the queue's first job, the caller sends `wakeCommand` (see there).
 * A tracked job keeps the script: its WAITING status must exist before a worker can reserve it.
 */
export function pushJobCommands(redis: RedisClient, keys: EnqueueKeys, queue: string, payload: string): readonly [register: Command, push: Command] {
  // As RESP text, the constant parts (both keys, the queue name) encoded once per queue: ioredis
  // would encode every argument of both commands again per job (see encoded-command.ts).
  if (encodableClient(redis)) {
    const text = keys.encoded(queue);
    return [new EncodedCommand('sadd', text.register), new EncodedCommand('rpush', text.pushHead + bulk(payload))];
  }
  const options = { keyPrefix: redis.options.keyPrefix, replyEncoding: 'utf8' as const };
  return [new Command('sadd', [keys.queues, queue], options), new Command('rpush', [keys.queue(queue), payload], options)];
}

/**
 * The wake-up entry enqueue.lua adds when a push found its queue empty, sent after the RPUSH
 * replied 1. It need not be atomic with the push: the entry is a hint that idle workers read from
 * the id their last dry exchange returned. That exchange ran before this RPUSH (it found nothing),
 * so this entry, added after it, is past that id and wakes them; a worker whose exchange ran after
 * the RPUSH found the job without it. If the entry never arrives (the producer died between the
 * two, the connection dropped), the job waits for the worker's next poll, within INTERVAL, as a
 * foreign producer's bare RPUSH does; a late or spare entry only wakes a worker that finds nothing.
 */
export function wakeCommand(redis: RedisClient, keys: EnqueueKeys, queue: string): Command {
  if (encodableClient(redis)) return new EncodedCommand('xadd', keys.encoded(queue).wake);
  return new Command('xadd', [keys.wake, 'MAXLEN', '~', '100', '*', 'q', queue], { keyPrefix: redis.options.keyPrefix, replyEncoding: 'utf8' });
}

/** The keys the one-job path needs, computed once per client (ResqueKeys builds a new string per call). */
export interface EnqueueKeys {
  readonly queues: string;
  readonly wake: string;
  queue(name: string): string;
  /** The one-job path's commands of queue `name` as RESP text, but for the payload (for a client without keyPrefix). */
  encoded(name: string): EncodedPush;
}

/** SADD queues <name>, RPUSH's head (`*3 rpush <list>`: the payload's bulk string follows) and the wake-up XADD, as RESP text. */
export interface EncodedPush {
  readonly register: string;
  readonly pushHead: string;
  readonly wake: string;
}

/** EnqueueKeys of `keys`, remembering the last queue's key and text: producers repeat the same few queues. */
export function enqueueKeys(keys: ResqueKeys): EnqueueKeys {
  let lastQueue: string | undefined;
  let lastKey = '';
  let lastEncoded: string | undefined;
  let encoded: EncodedPush = { register: '', pushHead: '', wake: '' };
  const queues = bulk(keys.queues);
  const wake = bulk(keys.wake);
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
    encoded(name) {
      if (name !== lastEncoded) {
        const queue = bulk(name);
        // The same bytes ioredis writes for sadd(queues, name), rpush(list, payload) and wakeCommand's xadd.
        encoded = {
          register: `*3\r\n$4\r\nsadd\r\n${queues}${queue}`,
          pushHead: `*3\r\n$5\r\nrpush\r\n${bulk(keys.queue(name))}`,
          wake: `*8\r\n$4\r\nxadd\r\n${wake}$6\r\nMAXLEN\r\n$1\r\n~\r\n$3\r\n100\r\n$1\r\n*\r\n$1\r\nq\r\n${queue}`,
        };
        lastEncoded = name;
      }
      return encoded;
    },
  };
}

function waiting(): string {
  return statusJson(JobStatus.Waiting, new Date(), true);
}

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
