/**
 * Enqueue and inspect queues from a Nest application. Wraps ResqueClient with the module's
 * Redis connection and adds what needs Nest: `@Job` metadata for the typed form, the
 * beforeEnqueue/afterEnqueue listeners and the `job.enqueued` event.
 */
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { getJobMetadata } from '../decorators/job.decorator.js';
import type { JobClass, JobData } from '../decorators/resque-job.interface.js';
import { JobRegistry } from '../discovery/job.registry.js';
import { DontCreateError } from '../errors/dont-create.error.js';
import { NotAJobClassError } from '../errors/not-a-job-class.error.js';
import { ResqueEvents } from '../events/resque-events.js';
import { JobOutcomes } from '../events/job-outcomes.service.js';
import type { WaitForOptions } from '../events/outcome-subscriber.js';
import type { JobOutcome } from '../protocol/job-outcome.js';
import type { ResqueModuleOptions } from '../options/resque-options.js';
import { ResqueKeys } from '../protocol/keys.js';
import { resolvePrefix } from '../redis/cluster-prefix.js';
import { isCluster } from '../redis/connection.js';
import { printable } from '../protocol/printable.js';
import type { JobStatusRecord } from '../protocol/status.js';
import { close, type OwnedRedis } from '../redis/connection.js';
import { MODULE_OPTIONS_TOKEN } from '../resque.module-definition.js';
import { RESQUE_REDIS, RESQUE_TRACING } from '../resque.tokens.js';
import type { ResqueTracing } from '../tracing/resque-tracing.js';
import type { EnqueueContext } from './enqueue-context.js';
import type { FailedJob } from '../protocol/records.js';
import { ResqueClient, type PeekedJob, type PreparedJob, type ResqueStats, type WorkerInfo } from './resque-client.js';
import { RecurringSchedules } from './recurring-schedules.js';
import { RateLimits } from './rate-limits.js';
import { listRetrying, type RetryingJob } from './retries.js';
import { delayUnique, enqueueUnique } from './unique-enqueue.js';
import { pauseQueues, pausedQueues, resumeQueues } from './paused-queues.js';
import type { UniqueOptions } from '../options/lock-options.js';
import { DelayedJobs, type DelayedJob, type DelayedTimestamp } from './delayed-jobs.js';
import { dueSecond, type When } from '../protocol/delayed-item.js';

export interface EnqueueOptions {
  /** Create php-resque's status key (`job:<id>:status`), readable with `status(id)`. */
  readonly track?: boolean;
}

/** @publicApi */
@Injectable()
export class QueueService implements OnModuleDestroy {
  readonly client: ResqueClient;
  /** The delayed queue (resque-scheduler's layout); the worker host's scheduler promotes it. */
  readonly delayed: DelayedJobs;
  /** Recurring schedules: `schedules.set(name, { queue, className, cron | every, tz, data })`, `remove`, `list`. */
  readonly schedules: RecurringSchedules;
  /** Per-queue rate limits: `rateLimits.set(queue, { max, duration })`, `remove`, `list`. */
  readonly rateLimits: RateLimits;
  private readonly logger = new Logger('Resque');

  private readonly namespaces = new Map<string, ResqueClient>();

  constructor(
    @Inject(RESQUE_REDIS) private readonly redis: OwnedRedis,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: ResqueModuleOptions,
    private readonly events: ResqueEvents,
    private readonly registry: JobRegistry,
    private readonly outcomes: JobOutcomes,
    @Optional() @Inject(RESQUE_TRACING) private readonly tracing: ResqueTracing | null = null,
  ) {
    this.client = new ResqueClient({
      redis: redis.client,
      keys: new ResqueKeys(resolvePrefix(options.prefix, isCluster(redis.client), "ResqueModule's prefix")),
      enqueueTimeoutMs: options.enqueueTimeout,
      waitForReplicas: options.waitForReplicas,
    });
    this.delayed = new DelayedJobs(this.client);
    this.schedules = new RecurringSchedules(this.client);
    this.rateLimits = new RateLimits(this.client);
  }

  /**
   * Enqueues one job and resolves with its id once Redis stored it, or null when a
   * beforeEnqueue listener threw DontCreateError (then nothing was written).
   * Typed form: `enqueue(SendMailJob, { to })` checks `data` against the job's `perform`.
   */
  enqueue<J extends JobClass>(job: J, data: JobData<J>, options?: EnqueueOptions): Promise<string | null>;
  enqueue(queue: string, className: string, data: unknown, track?: boolean): Promise<string | null>;
  async enqueue(
    target: string | JobClass,
    classNameOrData: unknown,
    dataOrOptions?: unknown,
    track?: boolean,
  ): Promise<string | null> {
    if (typeof target === 'string') return this.enqueueOne(target, classNameOrData as string, dataOrOptions, track ?? false);
    const metadata = getJobMetadata(target);
    if (!metadata) throw new NotAJobClassError(target.name);
    return this.enqueueOne(metadata.queue, metadata.name, classNameOrData, (dataOrOptions as EnqueueOptions | undefined)?.track ?? false);
  }

  /** One job: without enqueue listeners, straight to the client's lean path. */
  private async enqueueOne(queue: string, className: string, data: unknown, track: boolean): Promise<string | null> {
    if (this.tracing) return this.tracing.enqueue(queue, className, 1, async (trace) => (await this.enqueueMany(queue, className, [data], track, trace))[0]);
    if (this.registry.hasEnqueueListeners || this.registry.get(className)?.metadata.unique) {
      const [id] = await this.enqueueMany(queue, className, [data], track);
      return id;
    }
    const id = await this.client.enqueue(queue, className, data, track);
    if (this.events.observed) this.emitEnqueued(queue, className, id);
    return id;
  }

  /** Many jobs of one class; ids in item order, null for an item a beforeEnqueue listener cancelled. */
  enqueueBulk(queue: string, className: string, items: readonly unknown[], track = false): Promise<Array<string | null>> {
    if (this.tracing) return this.tracing.enqueue(queue, className, items.length, (trace) => this.enqueueMany(queue, className, items, track, trace));
    return this.enqueueMany(queue, className, items, track);
  }

  /** `trace`: the enqueue span's carrier (JSON) for every payload, when tracing. */
  private async enqueueMany(queue: string, className: string, items: readonly unknown[], track: boolean, trace?: string): Promise<Array<string | null>> {
    const prepared = items.map((data) => this.client.prepare(queue, className, data, track, trace));
    const unique = this.registry.get(className)?.metadata.unique;
    if (unique) return this.enqueueUniques(queue, className, items, prepared, track, unique);
    if (!this.registry.hasEnqueueListeners) {
      await this.client.push(queue, prepared);
      if (this.events.observed) for (const job of prepared) this.emitEnqueued(queue, className, job.id);
      return prepared.map((job) => job.id);
    }
    const accepted: PreparedJob[] = [];
    const contexts: EnqueueContext[] = [];
    const ids: Array<string | null> = [];
    for (let i = 0; i < prepared.length; i++) {
      const context: EnqueueContext = { queue, className, data: items[i], id: prepared[i].id, tracked: track };
      if (await this.beforeEnqueue(context)) {
        accepted.push(prepared[i]);
        contexts.push(context);
        ids.push(prepared[i].id);
      } else {
        ids.push(null);
      }
    }
    await this.client.push(queue, accepted);
    for (const context of contexts) {
      this.emitEnqueued(queue, className, context.id);
      await this.afterEnqueue(context);
    }
    return ids;
  }

  /** `@Job({ unique })`: one at a time; a duplicate resolves with the waiting job's id and writes nothing. */
  private async enqueueUniques(
    queue: string,
    className: string,
    items: readonly unknown[],
    prepared: readonly PreparedJob[],
    track: boolean,
    unique: UniqueOptions,
  ): Promise<Array<string | null>> {
    const ids: Array<string | null> = [];
    for (let i = 0; i < prepared.length; i++) {
      const context: EnqueueContext = { queue, className, data: items[i], id: prepared[i].id, tracked: track };
      if (this.registry.hasEnqueueListeners && !(await this.beforeEnqueue(context))) {
        ids.push(null);
        continue;
      }
      const result = await enqueueUnique(this.client, queue, className, items[i], prepared[i], unique);
      ids.push(result.id);
      if (!result.enqueued) continue;
      this.emitEnqueued(queue, className, context.id);
      if (this.registry.hasEnqueueListeners) await this.afterEnqueue(context);
    }
    return ids;
  }

  /** False when a listener vetoed with DontCreateError; any other error propagates (nothing written). */
  private async beforeEnqueue(context: EnqueueContext): Promise<boolean> {
    try {
      for (const listener of this.registry.listeners.beforeEnqueue) await listener(context);
      return true;
    } catch (error) {
      if (!(error instanceof DontCreateError)) throw error;
      this.events.emit({ type: 'job.enqueue-cancelled', queue: context.queue, className: context.className, reason: error.reason });
      return false;
    }
  }

  /** The job is already stored, so a listener's error is logged rather than reported as a failed enqueue. */
  private async afterEnqueue(context: EnqueueContext): Promise<void> {
    for (const listener of this.registry.listeners.afterEnqueue) {
      try {
        await listener(context);
      } catch (error) {
        this.logger.error(printable(`afterEnqueue listener threw: ${error instanceof Error ? error.message : String(error)}`));
      }
    }
  }

  private emitEnqueued(queue: string, className: string, id: string): void {
    this.events.emit({ type: 'job.enqueued', queue, className, id });
  }

  /**
   * Enqueues one job to run at `when` (a Date or epoch ms) and resolves with its id. The job waits
   * in resque-scheduler's delayed queue until a scheduler (every worker host runs one) moves it to
   * its queue, keeping its id (a tracked status follows it). Never runs before `when`; late by
   * under a second plus the scheduler's tick. beforeEnqueue/afterEnqueue listeners do not run.
   * A class with `@Job({ unique })` keeps its rule: a duplicate resolves with the waiting job's id
   * and writes nothing (null when a node-resque producer holds the lock: it records no id).
   * Typed form: `enqueueAt(SendMailJob, { to }, when)`.
   */
  enqueueAt<J extends JobClass>(job: J, data: JobData<J>, when: When, options?: EnqueueOptions): Promise<string | null>;
  enqueueAt(when: When, queue: string, className: string, data: unknown, track?: boolean): Promise<string | null>;
  enqueueAt(a: When | JobClass, b: unknown, c: unknown, d?: unknown, e?: boolean): Promise<string | null> {
    if (typeof a === 'function') {
      const { queue, name } = this.metadataOf(a);
      return this.delayOne(c as When, queue, name, b, (d as EnqueueOptions | undefined)?.track ?? false);
    }
    return this.delayOne(a, b as string, c as string, d, e ?? false);
  }

  private delayOne(when: When, queue: string, className: string, data: unknown, track: boolean): Promise<string | null> {
    if (this.tracing) return this.tracing.enqueue(queue, className, 1, (trace) => this.delayTraced(when, queue, className, data, track, trace));
    return this.delayTraced(when, queue, className, data, track);
  }

  /** `trace`: the enqueue span's carrier, kept in the delayed item (our promoter pushes it unchanged). */
  private async delayTraced(when: When, queue: string, className: string, data: unknown, track: boolean, trace?: string): Promise<string | null> {
    const unique = this.registry.get(className)?.metadata.unique;
    if (!unique) return (await this.delayed.enqueueBulkAt(when, queue, className, [data], track, trace))[0];
    const second = dueSecond(when);
    return (await delayUnique(this.client, second, queue, className, data, this.client.prepare(queue, className, data, track, trace), unique)).id;
  }

  /** enqueueAt, `ms` milliseconds from now. Typed form: `enqueueIn(SendMailJob, { to }, 60_000)`. */
  enqueueIn<J extends JobClass>(job: J, data: JobData<J>, ms: number, options?: EnqueueOptions): Promise<string | null>;
  enqueueIn(ms: number, queue: string, className: string, data: unknown, track?: boolean): Promise<string | null>;
  enqueueIn(a: number | JobClass, b: unknown, c: unknown, d?: unknown, e?: boolean): Promise<string | null> {
    if (typeof a === 'function') return this.enqueueAt(a, b as never, Date.now() + (c as number), d as EnqueueOptions | undefined);
    return this.enqueueAt(Date.now() + a, b as string, c as string, d, e);
  }

  /** Many delayed jobs of one class due at `when`; all validated before anything is written. */
  enqueueBulkAt(when: When, queue: string, className: string, items: readonly unknown[], track = false): Promise<string[]> {
    if (this.tracing) return this.tracing.enqueue(queue, className, items.length, (trace) => this.delayed.enqueueBulkAt(when, queue, className, items, track, trace));
    return this.delayed.enqueueBulkAt(when, queue, className, items, track);
  }

  /** Removes a delayed job; false when it is not delayed (any more). */
  removeDelayed(id: string): Promise<boolean> {
    return this.delayed.remove(id);
  }
  /** Moves a delayed job to its queue now; false when it is not delayed (any more). */
  runDelayedNow(id: string): Promise<boolean> {
    return this.delayed.runNow(id);
  }
  /** When a delayed job is due, or null. */
  delayedAt(id: string): Promise<Date | null> {
    return this.delayed.at(id);
  }
  /** Due seconds of the delayed queue, oldest first, paged, with the number of jobs in each. */
  delayedTimestamps(start?: number, count?: number): Promise<DelayedTimestamp[]> {
    return this.delayed.timestamps(start, count);
  }
  /** The delayed jobs due in one second, paged. */
  delayedJobs(second: number, start?: number, count?: number): Promise<DelayedJob[]> {
    return this.delayed.jobsAt(second, start, count);
  }
  /** Jobs waiting to be retried (`@Job({ retry })`), next attempt soonest first, paged. */
  retrying(start?: number, count?: number): Promise<RetryingJob[]> {
    return listRetrying(this.client, start, count);
  }
  /** Total delayed jobs. */
  delayedCount(): Promise<number> {
    return this.delayed.count();
  }

  private metadataOf(job: JobClass): { queue: string; name: string } {
    const metadata = getJobMetadata(job);
    if (!metadata) throw new NotAJobClassError(job.name);
    return metadata;
  }

  /**
   * The outcome of job `id` from whichever worker runs it (workers with PUBLISH_EVENTS=1); see
   * JobOutcomes.waitFor. Rejects with JobWaitTimeoutError after `timeout` ms (default 30000).
   */
  waitFor(id: string, options?: WaitForOptions): Promise<JobOutcome> {
    return this.outcomes.waitFor(id, options);
  }

  status(id: string, statusPrefix?: string): Promise<JobStatusRecord | null> {
    return this.client.status(id, statusPrefix);
  }
  queues(): Promise<string[]> {
    return this.client.queues();
  }
  size(queue: string): Promise<number> {
    return this.client.size(queue);
  }
  sizes(): Promise<Record<string, number>> {
    return this.client.sizes();
  }
  peek(queue: string, start?: number, count?: number): Promise<PeekedJob[]> {
    return this.client.peek(queue, start, count);
  }
  failed(start?: number, count?: number): Promise<FailedJob[]> {
    return this.client.failed(start, count);
  }
  failedCount(): Promise<number> {
    return this.client.failedCount();
  }
  retryFailed(index: number): Promise<void> {
    return this.client.retryFailed(index);
  }
  removeFailed(index: number): Promise<void> {
    return this.client.removeFailed(index);
  }
  retryAndRemoveFailed(index: number): Promise<void> {
    return this.client.retryAndRemoveFailed(index);
  }
  clearFailed(): Promise<number> {
    return this.client.clearFailed();
  }
  /** Our workers take no new jobs from these queues, within ~1 s (running jobs finish); see paused-queues.ts. */
  pauseQueue(...queues: string[]): Promise<void> {
    return pauseQueues(this.client, queues);
  }
  /** Undoes pauseQueue; idle workers of those queues look again at once. */
  resumeQueue(...queues: string[]): Promise<void> {
    return resumeQueues(this.client, queues);
  }
  /** The queues paused with pauseQueue, sorted. */
  pausedQueues(): Promise<string[]> {
    return pausedQueues(this.client);
  }
  stats(): Promise<ResqueStats> {
    return this.client.stats();
  }
  workers(): Promise<WorkerInfo[]> {
    return this.client.workers();
  }

  /**
   * A client of another key namespace on the same connection, e.g. `namespace('{resque-b}')`: on a
   * Redis Cluster each hash-tagged namespace lives on one shard, so spreading queues over several
   * namespaces spreads the load (a worker host serves one namespace: PREFIX). On a cluster the
   * prefix must carry a hash tag (UntaggedClusterPrefixError). Enqueues through it skip this
   * service's hooks and events; the wire format is the same.
   */
  namespace(prefix: string): ResqueClient {
    let client = this.namespaces.get(prefix);
    if (!client) {
      client = new ResqueClient({
        redis: this.redis.client,
        keys: new ResqueKeys(resolvePrefix(prefix, isCluster(this.redis.client), 'QueueService.namespace()')),
        enqueueTimeoutMs: this.options.enqueueTimeout,
        waitForReplicas: this.options.waitForReplicas,
      });
      this.namespaces.set(prefix, client);
    }
    return client;
  }

  async onModuleDestroy(): Promise<void> {
    await close(this.redis);
  }
}
