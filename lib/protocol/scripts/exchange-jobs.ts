/**
 * The worker's one round trip: acknowledge finished jobs and reserve new ones (exchange.lua).
 * The fixed part of the command (keys, queue names, worker name) is built once per worker;
 * only what changes per call is computed per call, because this runs once per job at concurrency 1.
 */
import type { Redis } from 'ioredis';
import { defineScripts, runScript } from '../../redis/scripts.js';
import type { FailureRecordParts } from '../failure.js';
import type { ResqueKeys } from '../keys.js';
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
}

export type FinishedJob =
  | { readonly token: string; readonly statusKey?: string; readonly outcome: 'ok' }
  /** Put back in the delayed queue (a retry, or a held run-time lock) by a script that took it out of flight: nothing to send. */
  | { readonly token: string; readonly outcome: 'delayed' }
  /** With `literalPayload` (a JSON string) the record embeds it instead of the raw bytes. */
  | { readonly token: string; readonly statusKey?: string; readonly outcome: 'fail'; readonly record: FailureRecordParts; readonly literalPayload?: string };

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

export class JobExchange {
  private readonly fixedArgs: readonly string[];
  private second = -1;
  private runAt = '';

  private readonly onTakenMeanwhile: ((token: string) => void) | undefined;
  /**
   * The wake-up stream's last id as of the latest exchange that found fewer jobs than it asked
   * for: waiting for entries after it misses no job pushed by our producers since that look.
   */
  wakeId: string | undefined;

  constructor(private readonly redis: Redis, keys: ResqueKeys, target: ExchangeTarget) {
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
  }

  private readonly head: readonly string[];
  private readonly tail: readonly string[];
  private readonly resqueKeys: ResqueKeys;
  private readonly statusKeyArgs: readonly string[];
  private readonly failedMax: number;
  private readonly defaultQueues: readonly string[];
  /** KEYS for the last queue list passed (the same list comes back call after call). */
  private keysFor: { queues: readonly string[]; keys: string[] } = { queues: [], keys: [] };
  /** How many of the queues passed to the last exchange gave nothing before one gave a job. */
  leadingEmpty = 0;

  /** Acknowledges `done`, then reserves up to `max` jobs with tokens from `firstToken`. */
  async exchange(
    done: readonly FinishedJob[],
    max: number,
    firstToken: number,
    queues: readonly string[] = this.defaultQueues,
    watchWake = false,
  ): Promise<ReservedJob[]> {
    this.tick();
    if (this.keysFor.queues !== queues) {
      this.keysFor = { queues, keys: [...this.head, ...queues.map((q) => this.resqueKeys.queue(q)), ...this.tail] };
    }
    const args: (string | number)[] = [max, firstToken, this.runAt, watchWake ? '1' : '', ...this.fixedArgs];
    args.push(this.second, FINISHED_STATUS_TTL_SECONDS, queues.length, ...this.statusKeyArgs, ...queues);
    for (const job of done) {
      if (job.outcome === 'delayed') continue;
      if (job.outcome === 'ok') {
        args.push(job.token, job.statusKey ?? '', 'ok', '', '');
      } else if (job.literalPayload === undefined) {
        args.push(job.token, job.statusKey ?? '', 'fail', job.record.head, job.record.tail);
      } else {
        args.push(job.token, job.statusKey ?? '', 'fail-literal', job.record.head + job.literalPayload, job.record.tail);
      }
    }
    args.push(this.failedMax);
    const flat = (await runScript(this.redis, exchangeScript, this.keysFor.keys, args)) as string[];
    const jobs: ReservedJob[] = [];
    this.leadingEmpty = 0;
    for (let i = 0; i < flat.length; i += 4) {
      if (flat[i] === '') {
        // A notice, not a job: a late acknowledgement's job taken meanwhile (exchange.lua 1b), or dry queues.
        if (flat[i + 1] === 'wake') this.wakeId = flat[i + 2];
        else if (flat[i + 1] === 'empty') this.leadingEmpty = Number(flat[i + 2]);
        else this.onTakenMeanwhile?.(flat[i + 2]);
      }
      else if (flat[i + 3] === '') jobs.push({ token: flat[i], queue: flat[i + 1], raw: flat[i + 2] });
      else jobs.push({ token: flat[i], queue: flat[i + 1], raw: flat[i + 2], statusKey: flat[i + 3] });
    }
    return jobs;
  }

  /** run_at changes once a second; formatting it per job would be wasted work. */
  private tick(): void {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.runAt = JSON.stringify(isoTime(new Date(second * 1000)));
    }
  }
}
