/**
 * The worker's one round trip: acknowledge finished jobs and reserve new ones (exchange.lua).
 * The fixed part of the command (keys, queue names, worker name) is built once per worker;
 * only what changes per call is computed per call, because this runs once per job at concurrency 1.
 */
import type { Redis } from 'ioredis';
import type { RedisClient } from '../../redis/connection.js';
import { bulk, encodableClient, EncodedScript } from '../../redis/encoded-command.js';
import { defineScripts, runScript } from '../../redis/scripts.js';
import type { FailureRecordParts } from '../failure.js';
import type { ResqueKeys } from '../keys.js';
import type { RateLimit } from '../rate-limit.js';
import { FINISHED_STATUS_TTL_SECONDS } from '../status.js';
import { isoTime } from '../time.js';
import { exchangeScript } from './lua.generated.js';

/** A job taken from a queue and recorded as in flight under `token` in the worker's in-flight hash. */
export interface ReservedJob {
  readonly token: string;
  readonly queue: string;
  /** The payload exactly as the producer wrote it. */
  readonly raw: string;
  /** The php-resque status key the exchange marked RUNNING, if the job has one. */
  readonly statusKey?: string;
  /**
   * The job has an id but no status key existed when it was reserved from the tail of its queue:
   * php-resque's enqueue creates the key right after its RPUSH, so it may still appear.
   */
  readonly statusPending?: boolean;
}

export interface ExchangeResult {
  readonly jobs: ReservedJob[];
  /** How many of the queues passed gave nothing before one gave a job. */
  leadingEmpty: number;
  /** Final statuses whose key did not exist (yet). */
  readonly unset: PendingStatus[];
  /** Status keys of the rechecks that were written. */
  readonly applied: string[];
  /** Rate-limited queues whose window was full, with the ms until it ends. */
  readonly limited: { readonly queue: string; readonly ms: number }[];
}

/** Rate limits by queue name (only the queues passed that have one matter). */
export type RateLimitsByQueue = ReadonlyMap<string, RateLimit>;
const NO_LIMITS: RateLimitsByQueue = new Map();

/** A final status whose key did not exist yet: re-applied (as SET XX) if the key appears soon. */
export interface PendingStatus {
  readonly key: string;
  readonly code: number;
}

export type FinishedJob =
  | { readonly token: string; readonly statusKey?: string; readonly watchStatus?: boolean; readonly outcome: 'ok' }
  /** Put back in the delayed queue (a retry, or a held run-time lock) by a script that took it out of flight: nothing to send. */
  | { readonly token: string; readonly outcome: 'delayed' }
  /** Reserved but never started (prefetched, then paused or stopped): back to the front of its queue, WAITING again. */
  | { readonly token: string; readonly statusKey?: string; readonly outcome: 'return' }
  /** With `literalPayload` (a JSON string) the record embeds it instead of the raw bytes. */
  | {
      readonly token: string;
      readonly statusKey?: string;
      /** From ReservedJob.statusPending: if the key is still missing, the exchange reports it (`unset`). */
      readonly watchStatus?: boolean;
      readonly outcome: 'fail';
      readonly record: FailureRecordParts;
      readonly literalPayload?: string;
    };

export interface ExchangeTarget {
  readonly workerId: string;
  /** node-resque's `host:pid` name, stored in `worker:<id>`. */
  readonly workerName: string;
  /** Queue names in priority order, or `['*']` for every queue, alphabetically. */
  readonly queues: readonly string[];
  /** FAILED_MAX: most failure records `failed` keeps, oldest trimmed (0 or absent: all). */
  readonly failedMax?: number;
  /**
   * A job this worker acknowledged late (it was presumed dead, its job requeued) had already been
   * taken by another worker: it may run twice.
   */
  readonly onTakenMeanwhile?: (token: string) => void;
}

/** The exchange as EVALSHA text (lib/redis/encoded-command.ts): the constant parts are encoded once. */
const ENCODED_EXCHANGE = new EncodedScript(exchangeScript);

export class JobExchange {
  private readonly fixedArgs: readonly string[];
  private second = -1;
  private runAt = '';
  /** Set when commands can go as text: ARGV[3] (run_at), and ARGV[7..8] (now, TTL), encoded. */
  private readonly encodable: Redis | undefined;
  private runAtText = '';
  private secondText = '';
  private readonly fixedText: string;
  private readonly tailText: string;

  private readonly onTakenMeanwhile: ((token: string) => void) | undefined;
  /**
   * The wake-up stream's last id as of the latest exchange that found fewer jobs than it asked
   * for: waiting for entries after it misses no job pushed by our producers since that look.
   */
  wakeId: string | undefined;

  constructor(private readonly redis: RedisClient, keys: ResqueKeys, target: ExchangeTarget) {
    this.onTakenMeanwhile = target.onTakenMeanwhile;
    defineScripts(redis, exchangeScript);
    const id = target.workerId;
    this.head = [
      keys.inflight(id),
      keys.worker(id),
      keys.statProcessed(),
      keys.statProcessed(id),
      keys.statFailed(),
      keys.statFailed(id),
      keys.failed,
      keys.pauseAllWorkers,
      keys.queues,
    ];
    this.tail = [
      keys.recovered(id), // KEYS[10+Q]: tombstones for late acknowledgements
      keys.wake, // KEYS[11+Q]
    ];
    this.resqueKeys = keys;
    // ARGV[5..6], ARGV[10..11]: the parts that never change for this worker.
    this.fixedArgs = [keys.queuePrefix, JSON.stringify(target.workerName)];
    const status = keys.jobStatusParts;
    this.statusKeyArgs = [status.head, status.tail];
    this.failedMax = target.failedMax ?? 0;
    this.defaultQueues = target.queues.includes('*') ? [] : target.queues;
    this.encodable = encodableClient(redis);
    this.fixedText = this.fixedArgs.map(bulk).join('');
    this.tailText = bulk(this.failedMax);
  }

  private readonly head: readonly string[];
  private readonly tail: readonly string[];
  private readonly resqueKeys: ResqueKeys;
  private readonly statusKeyArgs: readonly string[];
  private readonly failedMax: number;
  private readonly defaultQueues: readonly string[];
  /** KEYS and the rate-limit ARGV for the last queue list passed (the same list comes back call after call). */
  private keysFor: {
    queues: readonly string[];
    limits: RateLimitsByQueue;
    keys: string[];
    limitArgs: (string | number)[];
    /** numkeys and KEYS, encoded; then ARGV[9..] up to the finished jobs, and how many that is. */
    keysText: string;
    queuesText: string;
    queuesCount: number;
  } = {
    queues: [],
    limits: NO_LIMITS,
    keys: [],
    limitArgs: [0],
    keysText: bulk(0),
    queuesText: '',
    queuesCount: 0,
  };
  /** How many of the queues passed to the last exchange gave nothing before one gave a job. */

  /** Acknowledges `done`, then reserves up to `max` jobs with tokens from `firstToken`. */
  async exchange(done: readonly FinishedJob[], max: number, firstToken: number, queues: readonly string[] = this.defaultQueues): Promise<ReservedJob[]> {
    return (await this.exchangeWithNotices(done, max, firstToken, queues)).jobs;
  }

  /** exchange(), with what the script noticed besides the jobs (its header lists the notices). */
  async exchangeWithNotices(
    done: readonly FinishedJob[],
    max: number,
    firstToken: number,
    queues: readonly string[] = this.defaultQueues,
    watchWake = false,
    rechecks: readonly PendingStatus[] = [],
    limits: RateLimitsByQueue = NO_LIMITS,
  ): Promise<ExchangeResult> {
    this.tick();
    if (this.keysFor.queues !== queues || this.keysFor.limits !== limits) this.keysFor = this.fixedPart(queues, limits);
    const part = this.keysFor;
    let flat: string[];
    if (this.encodable) {
      // The same arguments as below, as text: 9 of ARGV[1..], the queue part, five per finished job, FAILED_MAX.
      let text = `${part.keysText}${bulk(max)}${bulk(firstToken)}${this.runAtText}${bulk(watchWake ? '1' : '')}${this.fixedText}${this.secondText}${part.queuesText}`;
      let count = part.keys.length + 1 + 8 + part.queuesCount + 1;
      finishedArgs(done, rechecks, (value) => {
        text += bulk(value);
        count++;
      });
      flat = (await ENCODED_EXCHANGE.call(this.encodable, text + this.tailText, count)) as string[];
    } else {
      const args: (string | number)[] = [max, firstToken, this.runAt, watchWake ? '1' : '', ...this.fixedArgs];
      args.push(this.second, FINISHED_STATUS_TTL_SECONDS, queues.length, ...this.statusKeyArgs, ...queues, ...part.limitArgs);
      finishedArgs(done, rechecks, (value) => args.push(value));
      args.push(this.failedMax);
      flat = (await runScript(this.redis, exchangeScript, part.keys, args)) as string[];
    }
    const jobs: ReservedJob[] = [];
    const result: ExchangeResult = { jobs, leadingEmpty: 0, unset: [], applied: [], limited: [] };
    for (let i = 0; i < flat.length; i += 4) {
      const status = flat[i + 3];
      if (flat[i] === '') {
        // A notice, not a job (exchange.lua's header lists them).
        const kind = flat[i + 1];
        if (kind === 'wake') this.wakeId = flat[i + 2];
        else if (kind === 'empty') result.leadingEmpty = Number(flat[i + 2]);
        else if (kind === 'unset') result.unset.push({ key: flat[i + 2], code: Number(status) });
        else if (kind === 'applied') result.applied.push(flat[i + 2]);
        else if (kind === 'limited') result.limited.push({ queue: flat[i + 2], ms: Number(status) });
        else if (kind === 'taken') this.onTakenMeanwhile?.(flat[i + 2]);
      } else if (status === '') jobs.push({ token: flat[i], queue: flat[i + 1], raw: flat[i + 2] });
      else if (status.startsWith('?')) jobs.push({ token: flat[i], queue: flat[i + 1], raw: flat[i + 2], statusKey: status.slice(1), statusPending: true });
      else jobs.push({ token: flat[i], queue: flat[i + 1], raw: flat[i + 2], statusKey: status });
    }
    return result;
  }

  /** KEYS (queues, then the window counters of the limited ones) and the limits' ARGV for a queue list. */
  private fixedPart(queues: readonly string[], limits: RateLimitsByQueue): JobExchange['keysFor'] {
    const counters: string[] = [];
    const limitArgs: (string | number)[] = [0];
    queues.forEach((queue, i) => {
      const limit = limits.get(queue);
      if (!limit) return;
      counters.push(this.resqueKeys.rateLimit(queue));
      limitArgs.push(i + 1, limit.max, limit.duration);
    });
    limitArgs[0] = counters.length;
    const keys = [...this.head, ...queues.map((q) => this.resqueKeys.queue(q)), ...this.tail, ...counters];
    const queueArgs = [queues.length, ...this.statusKeyArgs, ...queues, ...limitArgs];
    return {
      queues,
      limits,
      keys,
      limitArgs,
      keysText: bulk(keys.length) + keys.map(bulk).join(''),
      queuesText: queueArgs.map(bulk).join(''),
      queuesCount: queueArgs.length,
    };
  }

  /** run_at changes once a second; formatting it per job would be wasted work. */
  private tick(): void {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.runAt = JSON.stringify(isoTime(new Date(second * 1000)));
      this.runAtText = bulk(this.runAt);
      this.secondText = bulk(second) + bulk(FINISHED_STATUS_TTL_SECONDS);
    }
  }
}

/** ARGV for the finished jobs (five values each) and the status rechecks, in exchange.lua's order. */
function finishedArgs(done: readonly FinishedJob[], rechecks: readonly PendingStatus[], push: (value: string | number) => void): void {
  const five = (a: string, b: string, c: string, d: string | number, e: string) => {
    push(a);
    push(b);
    push(c);
    push(d);
    push(e);
  };
  for (const job of done) {
    if (job.outcome === 'delayed') continue;
    if (job.outcome === 'return') {
      five(job.token, job.statusKey ?? '', 'return', '', '');
      continue;
    }
    const statusKey = job.statusKey === undefined ? '' : job.watchStatus ? `?${job.statusKey}` : job.statusKey;
    if (job.outcome === 'ok') five(job.token, statusKey, 'ok', '', '');
    else if (job.literalPayload === undefined) five(job.token, statusKey, 'fail', job.record.head, job.record.tail);
    else five(job.token, statusKey, 'fail-literal', job.record.head + job.literalPayload, job.record.tail);
  }
  for (const pending of rechecks) five('', pending.key, 'recheck', pending.code, '');
}
