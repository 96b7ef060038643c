/**
 * The producer and reader side of Resque, without Nest: QueueService wraps it, and benchmarks or
 * the worker host can use it directly.
 *
 * Outages: every call waits at most `enqueueTimeoutMs` for Redis. While the client is not
 * connected nothing is sent (we wait for `ready`, never queue into ioredis' offline queue), so a
 * timeout then means nothing was written. Only a write already sent when time ran out may have
 * been stored; RedisUnavailableError says which (`mayBeStored`).
 */
import { isUtf8 } from 'node:buffer';
import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from '../redis/connection.js';
import { waitOnSlotOf } from '../redis/cluster-connection.js';
import { InvalidJobDataError } from '../errors/invalid-job-data.error.js';
import { FailedJobNotFoundError } from '../errors/failed-job-not-found.error.js';
import { InvalidFailureRecordError } from '../errors/invalid-failure-record.error.js';
import { RedisUnavailableError } from '../errors/redis-unavailable.error.js';
import { NotReplicatedError } from '../errors/not-replicated.error.js';
import { isPermanentConnectionError } from '../redis/connection-refusal.js';
import { ResqueError } from '../errors/resque.error.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { toJobJson } from '../protocol/job-json.js';
import { decodePayload, encodePayload, newJobId, queueTimeNow, type JobPayload } from '../protocol/payload.js';
import {
  enqueueJobCommand,
  enqueueJobs,
  enqueueKeys,
  isNoScript,
  pushJobCommands,
  wakeCommand,
  type EncodedJob,
  type EnqueueKeys,
} from '../protocol/scripts/enqueue-jobs.js';
import { Deadlines } from './deadlines.js';
import { EnqueueBatcher } from './enqueue-batcher.js';
import { parseStatus, type JobStatusRecord } from '../protocol/status.js';
import { resqueTime } from '../protocol/time.js';
import { parseWorkerId } from '../protocol/worker-id.js';
import { assertQueueName } from '../protocol/queue-name.js';
import { parseFailureRecord, parseWorkingOn, retryTarget, withRetriedAt, type FailedJob, type WorkingOn } from '../protocol/records.js';

export interface ResqueClientOptions {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  /** Longest wait for Redis per call, in ms (default 5000). */
  readonly enqueueTimeoutMs?: number;
  /**
   * Replicas that must confirm each enqueue (Redis WAIT, within the call's deadline) before it
   * resolves; fewer is a NotReplicatedError. 0 (default): the primary's reply is enough.
   */
  readonly waitForReplicas?: number;
}

/** A validated, encoded job, ready to push; `id` is known before anything is written. */
export interface PreparedJob extends EncodedJob {
  readonly id: string;
}

export interface PeekedJob {
  readonly raw: string;
  /** Null when the stored text is not a Resque payload. */
  readonly payload: JobPayload | null;
}

/** Resque.info's numbers. `pending` sums all queue lengths; `working` counts workers with a job. */
export interface ResqueStats {
  readonly processed: number;
  readonly failed: number;
  readonly queues: number;
  readonly workers: number;
  readonly working: number;
  readonly pending: number;
}

export interface WorkerInfo {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly queues: readonly string[];
  /** `worker:<id>:started` as written (formats differ between Resques). */
  readonly started: string | null;
  /** `workers:heartbeat` field (Ruby ≥ 1.26 and us); null for workers that never wrote one. */
  readonly heartbeat: string | null;
  readonly job?: WorkingOn;
}

/** Jobs per enqueue script call, so one huge bulk never builds one giant command. */
const BATCH = 1000;

/** @publicApi */
export class ResqueClient {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  readonly enqueueTimeoutMs: number;
  readonly waitForReplicas: number;
  private ready?: Promise<void>;
  /** The connection's last error when no retry can fix it (see connection-refusal.ts); cleared when ready. */
  private refusal?: Error;
  /** One sweeping timer for every call's deadline, instead of a timer per enqueue. */
  private readonly deadlines = new Deadlines();
  private readonly enqueueKeys: EnqueueKeys;
  /** Queues whose last one-job push found them empty: the next push sends its wake-up with it. */
  private readonly keptUp = new Set<string>();
  private readonly batcher = new EnqueueBatcher(
    (queue, job) => this.sendOne(queue, job),
    (queue, jobs) => this.push(queue, jobs),
  );

  constructor(options: ResqueClientOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.enqueueKeys = enqueueKeys(options.keys);
    this.enqueueTimeoutMs = options.enqueueTimeoutMs ?? 5000;
    this.waitForReplicas = options.waitForReplicas ?? 0;
    this.redis.on('error', (error: Error) => {
      this.refusal = isPermanentConnectionError(error) ? error : undefined;
    });
    this.redis.on('ready', () => {
      this.refusal = undefined;
    });
  }

  /** Validates and encodes one job (php-resque's payload); writes nothing. */
  prepare(queue: string, className: string, data: unknown, trackStatus = false, traceJson?: string): PreparedJob {
    assertQueueName(queue);
    if (typeof className !== 'string' || className === '') {
      throw new InvalidJobDataError('class', 'the Resque class name must be a non-empty string');
    }
    const id = newJobId();
    const payload = encodePayload(className, toJobJson(data), id, queueTimeNow(), traceJson);
    return trackStatus ? { id, payload, statusKey: this.keys.jobStatus(id) } : { id, payload };
  }

  /** SADD queues + RPUSH (+ WAITING statuses) in one script call per 1000 jobs, pipelined. */
  push(queue: string, jobs: readonly PreparedJob[]): Promise<void> {
    assertQueueName(queue);
    if (jobs.length === 0) return Promise.resolve();
    const startedAt = Date.now();
    return this.call('enqueue', true, async () => {
      if (jobs.length <= BATCH) {
        await enqueueJobs(this.redis, this.keys, queue, jobs);
        return this.replicated('enqueue', startedAt);
      }
      const calls: Promise<number>[] = [];
      for (let first = 0; first < jobs.length; first += BATCH) {
        calls.push(enqueueJobs(this.redis, this.keys, queue, jobs.slice(first, first + BATCH)));
      }
      await Promise.all(calls);
      return this.replicated('enqueue', startedAt);
    });
  }

  /**
   * waitForReplicas: WAIT until that many replicas have every write this connection sent so far
   * (so one WAIT covers a whole batch), within what is left of the call's deadline.
   */
  private async replicated(operation: string, startedAt: number): Promise<void> {
    const wanted = this.waitForReplicas;
    if (wanted <= 0) return;
    const leftMs = Math.max(1, startedAt + this.enqueueTimeoutMs - Date.now());
    // On a cluster, WAIT must reach the primary that took the writes (a keyless command goes to any
    // node): a pipeline routed by one of the namespace's keys carries it there.
    const replicas = isCluster(this.redis) ? await waitOnSlotOf(this.redis, this.keys.queues, wanted, leftMs) : await this.redis.wait(wanted, leftMs);
    if (replicas < wanted) throw new NotReplicatedError(operation, replicas, wanted, this.enqueueTimeoutMs);
  }

  /** Enqueues one job; resolves with its id once Redis has stored it. */
  enqueue(queue: string, className: string, data: unknown, trackStatus = false): Promise<string> {
    let job: PreparedJob;
    try {
      job = this.prepare(queue, className, data, trackStatus);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.pushOne(queue, job);
  }

  /**
   * `push(queue, [job])` for a prepared job, resolving with its id: the path of `enqueue`. Calls
   * made in the same tick share one script call per queue (see EnqueueBatcher).
   */
  pushOne(queue: string, job: PreparedJob): Promise<string> {
    assertQueueName(queue);
    if (this.redis.status !== 'ready') return this.push(queue, [job]).then(() => job.id);
    return this.batcher.enqueue(queue, job);
  }

  /** One job, one EVALSHA, under the shared deadline: the hot path of an awaited enqueue (see pushUntracked for untracked jobs). */
  private sendOne(queue: string, job: PreparedJob, withSource = false): Promise<string> {
    // A Cluster routes each command by its key's slot: it keeps the one script call.
    if (job.statusKey === undefined && !isCluster(this.redis) && this.redis.stream) return this.pushUntracked(this.redis, queue, job);
    const timeoutMs = this.enqueueTimeoutMs;
    if (this.waitForReplicas > 0) return this.push(queue, [job]).then(() => job.id); // the WAIT needs the call's deadline: the general path
    const command = enqueueJobCommand(this.redis, this.enqueueKeys, queue, job, withSource);
    // At the deadline the command itself is rejected (a reply after that is ignored by ioredis):
    // no wrapper promise per call.
    const entry = this.deadlines.add(Date.now() + timeoutMs, () => command.reject(new RedisUnavailableError('enqueue', timeoutMs, true)));
    void this.redis.sendCommand(command);
    return (command.promise as Promise<unknown>).then(
      () => {
        this.deadlines.remove(entry);
        return job.id;
      },
      (error: unknown) => {
        if (!this.deadlines.remove(entry)) throw error; // expired: our RedisUnavailableError
        // A Redis that lost its script cache (restart, SCRIPT FLUSH): the script did not run; send its source once.
        if (!withSource && isNoScript(error)) return this.sendOne(queue, job, true);
        throw this.connectionError(error, 'enqueue', timeoutMs, true);
      },
    );
  }

  /**
   * One untracked job: SADD + RPUSH in one write (corked: one syscall), and the wake-up entry when
   * the queue was empty (pushJobCommands and wakeCommand say why that is safe). Where the last push
   * of this client to the queue found it empty (workers keep up with it), the wake-up goes in the
   * same write, so an idle worker wakes without waiting for the RPUSH's reply; a spare one (the
   * queue held jobs after all) only wakes a worker that finds them. Otherwise it follows the reply
   * when that is 1. Resolves on the RPUSH reply, with the wake-up already written.
   */
  private pushUntracked(redis: Redis, queue: string, job: PreparedJob): Promise<string> {
    const timeoutMs = this.enqueueTimeoutMs;
    const [register, push] = pushJobCommands(redis, this.enqueueKeys, queue, job.payload);
    const eager = this.keptUp.has(queue) ? wakeCommand(redis, this.enqueueKeys, queue) : undefined;
    // Replies come in order: SADD's error (a `queues` key of another type) is known before RPUSH's reply.
    let refused: unknown;
    (register.promise as Promise<unknown>).catch((error: unknown) => {
      refused = error;
    });
    const entry = this.deadlines.add(Date.now() + timeoutMs, () => push.reject(new RedisUnavailableError('enqueue', timeoutMs, true)));
    const stream = redis.stream;
    stream.cork();
    try {
      void redis.sendCommand(register);
      void redis.sendCommand(push);
      if (eager) (redis.sendCommand(eager) as Promise<unknown>).catch(() => undefined);
    } finally {
      stream.uncork();
    }
    return (push.promise as Promise<unknown>).then(
      (length) => {
        this.deadlines.remove(entry);
        if (refused !== undefined) throw refused;
        if (Number(length) === 1) {
          if (this.keptUp.size >= 1000) this.keptUp.clear(); // producers use a few queues; never unbounded
          this.keptUp.add(queue);
          if (!eager) (redis.sendCommand(wakeCommand(redis, this.enqueueKeys, queue)) as Promise<unknown>).catch(() => undefined);
        } else this.keptUp.delete(queue);
        return job.id;
      },
      (error: unknown) => {
        if (!this.deadlines.remove(entry)) throw error; // expired: our RedisUnavailableError
        throw this.connectionError(error, 'enqueue', timeoutMs, true);
      },
    );
  }

  /** Enqueues many jobs of one class; every item is validated before anything is written. */
  async enqueueBulk(queue: string, className: string, items: readonly unknown[], trackStatus = false): Promise<string[]> {
    const jobs = items.map((data) => this.prepare(queue, className, data, trackStatus));
    await this.push(queue, jobs);
    return jobs.map((job) => job.id);
  }

  /** php-resque's status of a tracked job; null when untracked, expired or unknown. */
  status(id: string, statusPrefix?: string): Promise<JobStatusRecord | null> {
    return this.call('status', false, async () => parseStatus(await this.redis.get(this.keys.jobStatus(id, statusPrefix))));
  }

  queues(): Promise<string[]> {
    return this.call('queues', false, async () => (await this.redis.smembers(this.keys.queues)).sort());
  }

  size(queue: string): Promise<number> {
    return this.call('size', false, () => this.redis.llen(this.keys.queue(queue)));
  }

  sizes(): Promise<Record<string, number>> {
    return this.call('sizes', false, async () => {
      const queues = (await this.redis.smembers(this.keys.queues)).sort();
      const lengths = await Promise.all(queues.map((q) => this.redis.llen(this.keys.queue(q))));
      return Object.fromEntries(queues.map((q, i) => [q, lengths[i]]));
    });
  }

  /** `count` jobs from position `start` (0 = next to run), without removing them. */
  peek(queue: string, start = 0, count = 1): Promise<PeekedJob[]> {
    return this.call('peek', false, async () => {
      // Bytes, so a real U+FFFD (valid) is told from bytes that are not UTF-8 (see decodePayload).
      const stored = await this.redis.lrangeBuffer(this.keys.queue(queue), start, start + count - 1);
      return stored.map((bytes) => {
        const raw = bytes.toString('utf8');
        const decoded = decodePayload(raw, isUtf8(bytes));
        return { raw, payload: decoded.ok ? decoded.payload : null };
      });
    });
  }

  /** Failure records from `start`; a record that is not JSON is listed with `record: null` and its raw text. */
  failed(start = 0, count = 100): Promise<FailedJob[]> {
    return this.call('failed', false, async () => {
      const raws = await this.redis.lrange(this.keys.failed, start, start + count - 1);
      return raws.map((raw, i) => ({ index: start + i, raw, record: parseFailureRecord(raw) }));
    });
  }

  failedCount(): Promise<number> {
    return this.call('failedCount', false, () => this.redis.llen(this.keys.failed));
  }

  /**
   * Ruby's `Failure.requeue`: marks the record `retried_at` (it stays in `failed`) and pushes the
   * record's payload, byte for byte, back onto its queue. Like Ruby, it addresses the record by
   * index, so a concurrent removal before it can shift the target.
   */
  retryFailed(index: number): Promise<void> {
    return this.call('retryFailed', true, async () => {
      const { raw, queue, payload } = await this.retryable(index);
      const results = await this.redis
        .multi()
        .lset(this.keys.failed, index, withRetriedAt(raw, resqueTime(new Date())))
        .sadd(this.keys.queues, queue)
        .rpush(this.keys.queue(queue), payload)
        .exec();
      throwFirst(results, index);
    });
  }

  /** Ruby's `Failure.remove`: LSET the record to "" then LREM one "", atomically. */
  removeFailed(index: number): Promise<void> {
    return this.call('removeFailed', true, async () => {
      const results = await this.redis.multi().lset(this.keys.failed, index, '').lrem(this.keys.failed, 1, '').exec();
      throwFirst(results, index);
    });
  }

  /** Retries the record's job and removes the record, in one transaction. */
  retryAndRemoveFailed(index: number): Promise<void> {
    return this.call('retryAndRemoveFailed', true, async () => {
      const { queue, payload } = await this.retryable(index);
      const results = await this.redis
        .multi()
        .lset(this.keys.failed, index, '')
        .lrem(this.keys.failed, 1, '')
        .sadd(this.keys.queues, queue)
        .rpush(this.keys.queue(queue), payload)
        .exec();
      throwFirst(results, index);
    });
  }

  /** Deletes every failure record; resolves with how many there were. */
  clearFailed(): Promise<number> {
    return this.call('clearFailed', true, async () => {
      const results = await this.redis.multi().llen(this.keys.failed).del(this.keys.failed).exec();
      return Number(results?.[0]?.[1] ?? 0);
    });
  }

  stats(): Promise<ResqueStats> {
    return this.call('stats', false, async () => {
      const [processed, failed, queues, workers] = await Promise.all([
        this.redis.get(this.keys.statProcessed()),
        this.redis.get(this.keys.statFailed()),
        this.redis.smembers(this.keys.queues),
        this.redis.smembers(this.keys.workers),
      ]);
      const [lengths, busy] = await Promise.all([
        Promise.all(queues.map((q) => this.redis.llen(this.keys.queue(q)))),
        Promise.all(workers.map((id) => this.redis.exists(this.keys.worker(id)))),
      ]);
      return {
        processed: Number(processed ?? 0),
        failed: Number(failed ?? 0),
        queues: queues.length,
        workers: workers.length,
        working: busy.reduce((sum, n) => sum + n, 0),
        pending: lengths.reduce((sum, n) => sum + n, 0),
      };
    });
  }

  /** Registered workers (`workers` set), sorted by id, with what each is running. */
  workers(): Promise<WorkerInfo[]> {
    return this.call('workers', false, async () => {
      const [ids, heartbeats] = await Promise.all([
        this.redis.smembers(this.keys.workers),
        this.redis.hgetall(this.keys.heartbeats) as Promise<Record<string, string>>,
      ]);
      ids.sort();
      const records = await Promise.all(
        ids.map((id) => Promise.all([this.redis.get(this.keys.worker(id)), this.redis.get(this.keys.workerStarted(id))])),
      );
      return ids.map((id, i): WorkerInfo => {
        const parts = parseWorkerId(id);
        const job = parseWorkingOn(records[i][0]);
        return {
          id,
          host: parts?.host ?? id,
          pid: parts?.pid ?? 0,
          queues: parts?.queues ?? [],
          started: records[i][1],
          heartbeat: heartbeats[id] ?? null,
          ...(job ? { job } : {}),
        };
      });
    });
  }

  private async retryable(index: number): Promise<{ raw: string; queue: string; payload: string }> {
    const raw = await this.redis.lindex(this.keys.failed, index);
    if (raw === null) throw new FailedJobNotFoundError(index);
    const target = retryTarget(raw);
    if ('problem' in target) throw new InvalidFailureRecordError(index, target.problem);
    assertQueueName(target.queue);
    return { raw, ...target };
  }

  /**
   * Runs one operation against Redis within `enqueueTimeoutMs`. Commands go out only while the
   * connection is ready; otherwise we wait for `ready` (shared by all waiting calls).
   */
  /** Runs `run` within the call deadline, waiting for a connection first (for the scheduler and other layers on this client). @internal */
  async call<T>(operation: string, writes: boolean, run: () => Promise<T>): Promise<T> {
    const timeoutMs = this.enqueueTimeoutMs;
    const startedAt = Date.now();
    if (this.redis.status !== 'ready') await this.whenReady(operation, timeoutMs);
    try {
      return await this.deadlines.within(run(), startedAt + timeoutMs, () => new RedisUnavailableError(operation, timeoutMs, writes));
    } catch (error) {
      throw this.connectionError(error, operation, timeoutMs, writes);
    }
  }

  private whenReady(operation: string, timeoutMs: number): Promise<void> {
    const redis = this.redis;
    if (redis.status === 'end') return Promise.reject(new RedisUnavailableError(operation, timeoutMs, false, true));
    const refused = (cause: Error) => new RedisUnavailableError(operation, timeoutMs, false, false, { cause, refused: true });
    if (this.refusal) return Promise.reject(refused(this.refusal));
    if (redis.status === 'wait') redis.connect().catch(() => undefined); // lazyConnect: start connecting
    this.ready ??= new Promise<void>((resolve) => {
      redis.once('ready', () => {
        this.ready = undefined;
        resolve();
      });
    });
    const ready = this.ready;
    return new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        if (!isPermanentConnectionError(error)) return;
        settle();
        reject(refused(error));
      };
      const settle = () => {
        clearTimeout(timer);
        redis.off('error', onError);
      };
      const timer = setTimeout(() => {
        settle();
        reject(new RedisUnavailableError(operation, timeoutMs, false));
      }, timeoutMs);
      redis.on('error', onError);
      void ready.then(() => {
        settle();
        resolve();
      });
    });
  }

  /** Connection-level failures become RedisUnavailableError; Redis replies and our own errors pass through. */
  private connectionError(error: unknown, operation: string, timeoutMs: number, writes: boolean): unknown {
    if (!(error instanceof Error) || error instanceof ResqueError || error.name === 'ReplyError') return error;
    if (this.redis.status === 'ready' && error.name !== 'MaxRetriesPerRequestError') return error;
    return new RedisUnavailableError(operation, timeoutMs, writes, this.redis.status === 'end', { cause: error });
  }
}

/** A MULTI reply: the first command error, mapped (LSET out of range = no such record). */
function throwFirst(results: Array<[Error | null, unknown]> | null, index: number): void {
  for (const [error] of results ?? []) {
    if (!error) continue;
    if (/index out of range|no such key/i.test(error.message)) throw new FailedJobNotFoundError(index);
    throw error;
  }
}
