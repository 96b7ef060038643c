/**
 * The worker loop's operations, on real Redis: reserve and finish are one script call each, sent
 * in one pipeline when both are due; idle waiting blocks on Redis without taking a job.
 *
 * Blocking without taking, on one connection whatever the queues (`*` and any number of them):
 * our producers add an entry to the wake-up stream when they push to an empty queue
 * (enqueue.lua); an idle worker reads the stream from the id its last dry exchange returned, so
 * a push after that look always wakes it, and every idle worker sees it (nothing is consumed).
 * Jobs from foreign producers (a bare RPUSH) wake nobody: the wait ends after INTERVAL and the
 * next exchange finds them.
 */
import type { RedisClient } from '../redis/connection.js';
import type { Redis } from 'ioredis';
import { failureRecordParts } from '../protocol/failure.js';
import { decodeInflightEntry } from '../protocol/inflight-entry.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { JobExchange, type ExchangeTarget, type FinishedJob, type RateLimitsByQueue, type ReservedJob } from '../protocol/scripts/exchange-jobs.js';
import { heartbeat } from '../protocol/scripts/heartbeat.js';
import { recoverWorker } from '../protocol/scripts/recover-worker.js';
import { isoTime } from '../protocol/time.js';
import { isCluster, quietly, workerConnection } from '../redis/connection.js';
import { bulk, encodableClient, sendEncoded } from '../redis/encoded-command.js';
import { PendingStatuses } from './pending-statuses.js';
import { QueueSelection } from './queue-selection.js';
import type { Exchanged, WorkerOperations } from './worker-loop.js';

const NO_QUEUES: readonly string[] = [];

/** The blocking connection of an idle worker; `lost` resolves when its connection dropped. */
interface Watcher {
  readonly client: RedisClient;
  id: number | undefined;
  readonly lost: Promise<null>;
}

export interface RedisOperationsOptions {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  readonly target: ExchangeTarget;
  readonly blocking: boolean;
  readonly maxCrashRequeues: number;
  /**
   * PREFETCH > 0: the loop records each job start in `inflight-mark:<id>` before the job runs
   * (markStarted), so a recovery tells the reserved-only jobs from the started ones.
   */
  readonly marksStarts?: boolean;
  /** A name in `queues` breaking the queue-name rule (`*` skips it): told once per name. */
  readonly onInvalidQueue?: (name: string, problem: string) => void;
}

export class RedisWorkerOperations implements WorkerOperations {
  private nextToken = (Date.now() % 1e9) * 100;
  private reconnected = false;
  private watcher: Watcher | undefined;
  private unblockDenied = false;
  private readonly redis: RedisClient;
  private readonly keys: ResqueKeys;
  private readonly jobs: JobExchange;
  private readonly selection: QueueSelection;
  private readonly pending: PendingStatuses;
  private readonly markKey: string;
  private lastQueues: readonly string[] = NO_QUEUES;
  private lastLimits: RateLimitsByQueue | undefined;
  private isClosed = false;
  /** The client, when it takes encoded commands, and `*3 SET <mark key>` as RESP text for it. */
  private readonly markClient: Redis | undefined;
  private readonly markHead: string;

  constructor(private readonly options: RedisOperationsOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.jobs = new JobExchange(this.redis, this.keys, options.target);
    this.markKey = this.keys.inflightMark(options.target.workerId);
    this.markClient = encodableClient(this.redis);
    this.markHead = `*3\r\n${bulk('SET')}${bulk(this.markKey)}`;
    this.pending = new PendingStatuses(async (due) => {
      // Its own exchange: no job acknowledged or reserved, only the rechecks (tokens unused).
      return (await this.jobs.exchangeWithNotices([], 0, 0, NO_QUEUES, false, due)).applied;
    });
    this.selection = new QueueSelection({
      queues: options.target.queues,
      readAll: () => this.redis.smembers(this.keys.queues),
      readLimits: () => this.redis.hgetall(this.keys.rateLimits),
      readPaused: () => this.redis.smembers(this.keys.pausedQueues),
      onInvalid: options.onInvalidQueue,
    });
    let lost = false;
    this.redis.on('close', () => {
      lost = true;
    });
    this.redis.on('ready', () => {
      if (lost) this.reconnected = true;
      lost = false;
    });
  }

  get workerId(): string {
    return this.options.target.workerId;
  }

  /** Registers the worker as resque-web expects: in `workers`, with its start time. */
  async register(): Promise<void> {
    const multi = this.redis.multi().sadd(this.keys.workers, this.workerId).set(this.keys.workerStarted(this.workerId), isoTime(new Date()));
    // With PREFETCH, no job started yet: whatever a crash leaves in flight now was only reserved.
    // Without, no mark: every job in flight started. Deleting matters when the id is used again (a
    // PID reused after a container restart): a mark an earlier worker left at its crash must never
    // make recovery give back, to run again, a job this one started.
    if (this.options.marksStarts) multi.set(this.markKey, '-1');
    else multi.del(this.markKey);
    await multi.exec();
    // In workers:alive before the first reservation: a worker whose host dies with it before the
    // host's first heartbeat must still be found (at the next host's start, or as stale) and recovered.
    await heartbeat(this.redis, this.keys, [this.workerId], Number.MAX_SAFE_INTEGER);
  }

  /** Removes every trace of the worker; only called when nothing is in flight. */
  async unregister(): Promise<void> {
    await recoverWorker(this.redis, this.keys, this.workerId, [], { maxCrashRequeues: this.options.maxCrashRequeues, unregister: true });
  }

  async exchange(done: readonly FinishedJob[], wanted: number): Promise<Exchanged> {
    const max = Math.max(0, wanted);
    const first = this.nextToken;
    this.nextToken += max;
    if (max === 0) {
      // The last queues and limits, though nothing is reserved: the script's encoded arguments stay cached.
      const reply = await this.jobs.exchangeWithNotices(done, 0, first, this.lastQueues, false, [], this.lastLimits);
      this.pending.add(reply.unset);
      return { jobs: reply.jobs, dry: false };
    }
    const next = this.selection.next();
    const queues = Array.isArray(next) ? (next as readonly string[]) : await next; // no extra tick on the hot path
    this.lastQueues = queues;
    this.lastLimits = this.selection.limits;
    const reply = await this.jobs.exchangeWithNotices(done, max, first, queues, this.selection.watchingWake, [], this.selection.limits);
    this.pending.add(reply.unset);
    // The script skips tokens in use (a resent command's first run holds them), so tokens may run past
    // first + max: the next exchange starts after the highest one. A token is then never handed out
    // twice, so acknowledging it again (a resent exchange) can never settle another job, and tokens
    // count up in reservation order (what inflight-mark relies on).
    for (const job of reply.jobs) if (Number(job.token) >= this.nextToken) this.nextToken = Number(job.token) + 1;
    return { jobs: reply.jobs, dry: this.selection.settle(queues, reply.leadingEmpty, reply.jobs, max, this.jobs.wakeId, reply.limited) };
  }

  /**
   * Records that the job with `token` starts (tokens count up and jobs start in reservation order,
   * so one number says which in-flight jobs started). Nothing to wait for when the SET is already
   * in the kernel's socket buffer: it reaches Redis before any recovery a crash from here on can
   * cause. Otherwise (connection not ready, writes backed up, a Cluster) the job waits for the reply.
   */
  markStarted(token: string): Promise<unknown> | undefined {
    if (this.markClient) {
      const sent = sendEncoded(this.markClient, 'set', this.markHead + bulk(token));
      if (sent.written) {
        sent.reply.catch(() => undefined); // an error here means the connection is gone: the exchange reports it
        return undefined;
      }
      return sent.reply;
    }
    return this.redis.set(this.markKey, token);
  }

  takeReconnected(): boolean {
    const value = this.reconnected;
    this.reconnected = false;
    return value;
  }

  async reconcile(known: ReadonlySet<string>): Promise<void> {
    const entries = await this.redis.hgetall(this.keys.inflight(this.workerId));
    const orphans = Object.keys(entries).filter((token) => !known.has(token));
    if (orphans.length === 0) return;
    // Reserved but never started (the reply was lost): back to the front of the queue is always safe.
    const record = failureRecordParts({ exception: 'DirtyExit', error: 'reservation reply lost', backtrace: [], worker: this.workerId, queue: '' });
    await recoverWorker(
      this.redis,
      this.keys,
      this.workerId,
      orphans.map((token) => ({ token, queue: decodeInflightEntry(entries[token]!).queue, action: 'requeue' as const, record })),
      { maxCrashRequeues: Number.MAX_SAFE_INTEGER, unregister: false },
    );
  }

  /**
   * Blocking: reads the wake-up stream from the id the last dry exchange returned (XREAD BLOCK, on
   * a connection of its own, so acknowledgements go on meanwhile), until an entry names one of
   * this worker's queues (or any queue), INTERVAL passes (the poll that finds foreign producers'
   * jobs), a full rate-limit window ends, or `abort`. Polling (BLOCKING=0): sleeps INTERVAL (or
   * until the window ends).
   */
  async waitForJobs(seconds: number, abort: AbortSignal): Promise<void> {
    try {
      await this.waitForWakeUp(seconds, abort);
    } finally {
      this.selection.reset(); // whatever ended the wait, the next look is a full one
    }
  }

  private async waitForWakeUp(seconds: number, abort: AbortSignal): Promise<void> {
    const window = this.selection.nextWindow;
    const ms = window === undefined ? seconds * 1000 : Math.min(seconds * 1000, Math.max(1, window - Date.now()));
    if (!this.options.blocking) return sleep(ms, abort);
    const watcher = (this.watcher ??= this.newWatcher());
    const onAbort = () => void this.unblock();
    abort.addEventListener('abort', onAbort, { once: true });
    const deadline = Date.now() + ms;
    try {
      // On a cluster, CLIENT ID and CLIENT UNBLOCK would go to any node, not the one the XREAD
      // blocks on: an abort closes the watcher instead (unblock()), rare enough (pause, stop, slots all busy).
      if (!isCluster(watcher.client) && watcher.id === undefined) {
        const id = watcher.client.client('ID');
        const reply = await Promise.race([id, watcher.lost]);
        if (reply === null) {
          id.catch(() => undefined);
          return; // lost before it connected (Redis away): the next look waits on the main connection
        }
        watcher.id = Number(reply);
      }
      while (!abort.aborted) {
        const left = deadline - Date.now();
        if (left <= 0) return;
        const from = this.jobs.wakeId ?? '$';
        const read = watcher.client.xread('COUNT', 100, 'BLOCK', Math.max(1, Math.ceil(left)), 'STREAMS', this.keys.wake, from) as Promise<
          Array<[string, Array<[string, string[]]>]> | null
        >;
        const reply = await Promise.race([read, watcher.lost]);
        if (this.watcher !== watcher) {
          read.catch(() => undefined); // abandoned with its connection
          return; // the connection dropped: look again
        }
        const entries = reply?.[0]?.[1];
        if (!entries || entries.length === 0) return; // INTERVAL passed (or unblocked by abort)
        this.jobs.wakeId = entries[entries.length - 1][0];
        if (entries.some(([, fields]) => this.concerns(fields))) return;
      }
    } finally {
      abort.removeEventListener('abort', onAbort);
    }
  }

  /**
   * A wait that outlives its connection (a failover, an outage) ends and the worker looks again:
   * what its last look saw may not hold on the Redis it reaches next. After a Sentinel failover the
   * promoted replica may still hold jobs this worker took from the old primary in its last
   * moments, so their queue is not empty and no producer adds a wake-up: a worker still waiting
   * would sit out INTERVAL. The next wait opens a new connection (its CLIENT ID, for unblock(), changed too).
   */
  private newWatcher(): Watcher {
    // The main connection reports outages.
    const client = workerConnection(this.redis, () => undefined);
    let resolveLost: (value: null) => void = () => undefined;
    const watcher: Watcher = { client, id: undefined, lost: new Promise<null>((resolve) => (resolveLost = resolve)) };
    client.once('close', () => {
      if (this.watcher === watcher) this.watcher = undefined;
      client.disconnect();
      resolveLost(null);
    });
    return watcher;
  }

  /** A wake-up entry (`q` = queue name, '' for any) this worker takes jobs from. */
  private concerns(fields: readonly string[]): boolean {
    const at = fields.indexOf('q');
    const queue = at >= 0 && at % 2 === 0 ? fields[at + 1] : '';
    const queues = this.options.target.queues;
    return queue === '' || queues.includes('*') || queues.includes(queue);
  }

  /**
   * Ends a blocked XREAD early. A Redis user without `+client|unblock` (ACL) cannot: warned once,
   * the blocked connection is then closed instead and the next wait opens a new one.
   */
  private async unblock(): Promise<void> {
    const watcher = this.watcher;
    if (!watcher) return;
    if (watcher.id === undefined && !isCluster(watcher.client)) return;
    if (!this.unblockDenied && watcher.id !== undefined) {
      const denied = await this.redis.client('UNBLOCK', watcher.id).then(
        () => false,
        (error: Error) => /NOPERM/.test(error.message),
      );
      if (!denied) return;
      this.unblockDenied = true;
      console.warn(`[resque ${process.pid}] CLIENT UNBLOCK is denied to this Redis user (grant +client|unblock): an idle wait is ended by reconnecting instead`);
    }
    if (this.watcher === watcher) this.watcher = undefined;
    watcher.client.disconnect();
  }

  /** See WorkerOperations.closed. */
  get closed(): boolean {
    return this.isClosed;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.pending.close();
    const watcher = this.watcher;
    this.watcher = undefined;
    // Not QUIT: it would queue behind a blocked XREAD.
    watcher?.client.disconnect();
  }
}

function sleep(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (abort.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      abort.removeEventListener('abort', done);
      resolve();
    }
    abort.addEventListener('abort', done, { once: true });
  });
}
