/**
 * The only place that knows Resque's key names. Every other file asks a
 * `ResqueKeys` instance; nothing else concatenates a key string.
 *
 * The prefix follows php-resque and node-resque: `resque` gives `resque:queue:x`,
 * `''` gives bare keys. A Redis Cluster deployment can use a hash-tagged prefix
 * such as `{resque}` so every key of one namespace lands in one slot.
 *
 * Keys beside Resque's own (ours alone, ignored by other implementations):
 * - `inflight:<workerId>`  list of raw payloads a worker has reserved and not yet finished
 * - `inflight-mark:<workerId>` the token of the last job the worker started (tokens count up): with
 *                          PREFETCH, in-flight jobs above it were reserved but never started, so a
 *                          recovery gives them back instead of failing them
 * - `workers:alive`        zset worker id -> last heartbeat in ms of Redis time (for exact-once recovery)
 * - `recovering:<workerId>` lock while one process recovers a dead worker
 * - `recovered:<workerId>` hash token -> what a recovery did with that job (a day), so a worker that
 *                          was presumed dead and finishes after all makes its late completion consistent
 * - `crash-requeues`       hash sha1(payload) -> requeues after crashes, so a job that kills its
 *                          process is failed after a few tries instead of looping forever
 * - `wake`                 stream (about 100 entries, field `q` = queue name or '' for any): our producers
 *                          add an entry when they push to an empty queue; idle workers read it from the
 *                          last id they saw (XREAD BLOCK), so every one of them wakes and none misses one
 * - `delayed-ids`          hash job id -> due second of a delayed job we wrote (find it by id)
 * - `scheduler-leader-lock` the leading scheduler's `host:pid`, with a TTL
 * - `recurring`            hash schedule name -> definition JSON (cron or every, queue, class, data)
 * - `recurring:next`       zset schedule name -> next fire time in epoch ms (the tick key: firing
 *                          compares and sets it, so each tick enqueues once whoever fires it)
 * - `recurring:last`       hash schedule name -> "<epoch ms> <job id>" of the last enqueue
 * - `retry-info`           hash sha1(class + args) -> JSON {attempt, queue, class, id, error, at}:
 *                          failed attempts of a job waiting to be retried (any promoter keeps it)
 * - `retrying`             zset sha1(class + args) -> due second of the next attempt
 * - `rate-limits`          hash queue name -> "<max> <duration ms>" (rate-limit.ts)
 * - `rate-limit:<queue>`   jobs reserved from the queue in the current window; expires with the window
 * - `events`               pub/sub channel: JSON arrays of job outcomes our workers publish after
 *                          acknowledging (PUBLISH_EVENTS=1; protocol/job-outcome.ts)
 * - `results:<bucket>`     hash job id -> outcome of a finished job with an id, one hash per minute
 *                          (bucket = epoch minutes), living EVENT_RESULT_TTL + 60 s after its last write,
 *                          so waitFor(id) resolves for a job that finished before it subscribed
 * - `paused-queues`        set of queue names our workers take no jobs from (re-read about once a second)
 * - `stat-history`         zset epoch minute -> "<minute>:<stat:processed>:<stat:failed>", one sample
 *                          a minute of Resque's global counters (any process may write a minute's
 *                          sample, the first one wins), the last day kept; the dashboard's chart
 * - `class-metrics:<minute>` hash of one minute's (epoch minutes) runs by our workers, per job class:
 *                          `<class>:processed|failed|ms|b<i>` (protocol/class-metrics.ts), added by
 *                          each worker every few seconds, living CLASS_METRICS_TTL_SECONDS
 *
 * node-resque's lock plugins' keys, shared so both sides agree:
 * `lock:<class>:<queue>:<key>` (QueueLock: one waiting job per key) and
 * `workerslock:<class>:<queue>:<key>` (JobLock: one running job per key); <key> is JSON of the args
 * by default, as node-resque builds it.
 *
 * resque-scheduler's delayed layout (shared with Ruby, php-resque-scheduler and node-resque):
 * `delayed_queue_schedule` (zset second -> second), `delayed:<second>` (list of items) and
 * `timestamps:<item>` (set of "delayed:<second>", not namespaced inside the member).
 */
export class ResqueKeys {
  private readonly head: string;

  constructor(readonly prefix = 'resque') {
    this.head = prefix === '' ? '' : prefix.endsWith(':') ? prefix : `${prefix}:`;
  }

  key(name: string): string {
    return this.head + name;
  }

  /** The text a queue key starts with; stripping it from a key gives the queue name. */
  get queuePrefix(): string {
    return this.key('queue:');
  }

  get queues(): string { return this.key('queues'); }
  queue(name: string): string { return this.key(`queue:${name}`); }

  get workers(): string { return this.key('workers'); }
  worker(id: string): string { return this.key(`worker:${id}`); }
  workerStarted(id: string): string { return this.key(`worker:${id}:started`); }
  get heartbeats(): string { return this.key('workers:heartbeat'); }
  get pauseAllWorkers(): string { return this.key('pause-all-workers'); }
  /** Wake-up stream for idle workers (see the list above). */
  get wake(): string { return this.key('wake'); }

  statProcessed(workerId?: string): string {
    return this.key(workerId === undefined ? 'stat:processed' : `stat:processed:${workerId}`);
  }
  statFailed(workerId?: string): string {
    return this.key(workerId === undefined ? 'stat:failed' : `stat:failed:${workerId}`);
  }

  get failed(): string { return this.key('failed'); }
  /** Per-minute samples of the global stat counters (see the list above). */
  get statHistory(): string { return this.key('stat-history'); }
  /** One minute's per-class runs by our workers (see the list above). */
  classMetrics(minute: number): string { return this.key(`class-metrics:${minute}`); }

  /** php-resque's status key; resque/php-resque adds `<prefix>_` before the id when a payload carries one. */
  jobStatus(id: string, statusPrefix?: string): string {
    const { head, tail } = this.jobStatusParts;
    return `${head}${statusPrefix ? `${statusPrefix}_` : ''}${id}${tail}`;
  }

  /** The status key around `[<prefix>_]<id>`: exchange.lua builds keys of reserved jobs from these. */
  get jobStatusParts(): { readonly head: string; readonly tail: string } {
    return { head: this.key('job:'), tail: ':status' };
  }

  inflight(workerId: string): string { return this.key(`inflight:${workerId}`); }
  inflightMark(workerId: string): string { return this.key(`inflight-mark:${workerId}`); }
  get alive(): string { return this.key('workers:alive'); }
  recovering(workerId: string): string { return this.key(`recovering:${workerId}`); }
  recovered(workerId: string): string { return this.key(`recovered:${workerId}`); }
  /** hash sha1(payload) -> times requeued after a crash; caps crash loops. */
  get crashRequeues(): string { return this.key('crash-requeues'); }

  get delayedSchedule(): string { return this.key('delayed_queue_schedule'); }
  delayed(second: number): string { return this.key(`delayed:${second}`); }
  /** The text before `<second>` in a delayed list's key (scripts find lists by second). */
  get delayedPrefix(): string { return this.key('delayed:'); }
  /** The text before `<item>` in a `timestamps:<item>` key. */
  get timestampsPrefix(): string { return this.key('timestamps:'); }
  get delayedIds(): string { return this.key('delayed-ids'); }
  /**
   * The scheduler leader's lock, ours alone. Ruby's resque-scheduler (`resque:resque_scheduler_master_lock`)
   * and node-resque (`resque_scheduler_leader_lock`) lock other keys, so their leaders promote beside
   * ours; promotion pops atomically, so each item still moves once. Sharing node's key would let a
   * node leader promote all of our items, and its promoter re-encodes them without their id.
   */
  get schedulerLock(): string { return this.key('scheduler-leader-lock'); }
  get recurring(): string { return this.key('recurring'); }
  get recurringNext(): string { return this.key('recurring:next'); }
  get recurringLast(): string { return this.key('recurring:last'); }
  get retryInfo(): string { return this.key('retry-info'); }
  get retrying(): string { return this.key('retrying'); }
  get rateLimits(): string { return this.key('rate-limits'); }
  rateLimit(queue: string): string { return this.key(`rate-limit:${queue}`); }
  /** Pub/sub channel of job outcomes (not a key; the prefix keeps namespaces apart). */
  get events(): string { return this.key('events'); }
  /** One minute's recorded job outcomes (protocol/job-outcome.ts resultBucket). */
  jobResults(bucket: number): string { return this.key(`results:${bucket}`); }
  get pausedQueues(): string { return this.key('paused-queues'); }
  queueLock(className: string, queue: string, key: string): string { return this.key(`lock:${className}:${queue}:${key}`); }
  jobLock(className: string, queue: string, key: string): string { return this.key(`workerslock:${className}:${queue}:${key}`); }
}
