/**
 * What the pages show, read through the client layer (QueueService, ResqueClient and the readers
 * beside them): no Redis command is written here. Every read is bounded by a page size, so a
 * page costs the same with 10 or 1,000,000 jobs (LLEN, LRANGE of one page, LINDEX of a head).
 */
import { Inject, Injectable } from '@nestjs/common';
import { actOnFailed, type FailedAction, type FailedActionResult, type FailedTarget } from '../client/failed-actions.js';
import { failedEntries, isEmptyFilter, searchFailed, type FailedEntry, type FailedFilter, type FailedSearch } from '../client/failed-records.js';
import { delayedLength } from '../client/delayed-reads.js';
import { allWorkersPaused, queueOverview, type QueueSummary } from '../client/queue-overview.js';
import { QueueService } from '../client/queue.service.js';
import { retryingCount } from '../client/retries.js';
import { readClassMetrics, type ClassMetrics } from '../client/class-metrics.js';
import { clearQueue, queuedEntries, removeQueued, type QueuedEntry } from '../client/queue-actions.js';
import { countsPerMinute, epochMinute, readStatHistory, type MinuteCounts } from '../client/stat-history.js';
import type { ResqueStats } from '../client/resque-client.js';
import { workersWithImplementation, type WorkerWithImplementation } from '../client/worker-kinds.js';
import type { RetryingJob } from '../client/retries.js';
import type { DelayedJob, DelayedTimestamp } from '../client/delayed-jobs.js';
import type { ScheduleInfo } from '../client/recurring-schedules.js';
import type { JobStatusRecord } from '../protocol/status.js';
import type { ResolvedDashboardOptions } from './dashboard-options.js';
import { DASHBOARD_CONFIG } from './dashboard.tokens.js';

export interface Overview {
  readonly stats: ResqueStats;
  readonly queues: readonly QueueSummary[];
  readonly failedListed: number;
  readonly retrying: number;
  readonly delayedSeconds: number;
  readonly minutes: readonly MinuteCounts[];
  readonly allPaused: boolean;
}

export interface Paged<T> {
  readonly items: readonly T[];
  readonly start: number;
  readonly total: number;
}

export type FailedPage =
  | { readonly kind: 'page'; readonly page: Paged<FailedEntry> }
  | { readonly kind: 'search'; readonly from: number; readonly search: FailedSearch };

@Injectable()
export class DashboardData {
  constructor(private readonly queues: QueueService, @Inject(DASHBOARD_CONFIG) private readonly config: ResolvedDashboardOptions) {}

  private get client() {
    return this.queues.client;
  }

  async overview(minutes: number, now = Date.now()): Promise<Overview> {
    const nowMinute = epochMinute(now);
    const [stats, queues, failedListed, retrying, delayedSeconds, samples, allPaused] = await Promise.all([
      this.queues.stats(),
      queueOverview(this.client),
      this.queues.failedCount(),
      retryingCount(this.client),
      this.queues.delayed.timestampCount(),
      readStatHistory(this.client, nowMinute - minutes + 1),
      allWorkersPaused(this.client),
    ]);
    return { stats, queues, failedListed, retrying, delayedSeconds, minutes: countsPerMinute(samples, nowMinute, minutes, stats), allPaused };
  }

  async queueList(): Promise<{ queues: QueueSummary[]; allPaused: boolean }> {
    const [queues, allPaused] = await Promise.all([queueOverview(this.client), allWorkersPaused(this.client)]);
    return { queues, allPaused };
  }

  async queueJobs(queue: string, start: number): Promise<Paged<QueuedEntry>> {
    const [total, items] = await Promise.all([this.queues.size(queue), queuedEntries(this.client, queue, start, this.config.pageSize)]);
    return { items, start, total };
  }

  async queuedJob(queue: string, position: number): Promise<QueuedEntry | undefined> {
    return (await queuedEntries(this.client, queue, position, 1))[0];
  }

  removeQueued(queue: string, position: number, digest: string): Promise<boolean> {
    return removeQueued(this.client, queue, position, digest);
  }

  clearQueue(queue: string): Promise<number> {
    return clearQueue(this.client, queue);
  }

  workers(): Promise<WorkerWithImplementation[]> {
    return workersWithImplementation(this.client);
  }

  classMetrics(minutes: number, now = Date.now()): Promise<ClassMetrics[]> {
    return readClassMetrics(this.client, minutes, now);
  }

  async failed(filter: FailedFilter, start: number): Promise<FailedPage> {
    if (isEmptyFilter(filter)) {
      const [total, items] = await Promise.all([this.queues.failedCount(), failedEntries(this.client, start, this.config.pageSize)]);
      return { kind: 'page', page: { items, start, total } };
    }
    const search = await searchFailed(this.client, filter, start, { limit: this.config.pageSize, scanLimit: this.config.searchLimit });
    return { kind: 'search', from: start, search };
  }

  async failedOne(index: number): Promise<FailedEntry | undefined> {
    return (await failedEntries(this.client, index, 1))[0];
  }

  actOnFailed(action: FailedAction, targets: readonly FailedTarget[]): Promise<FailedActionResult> {
    return actOnFailed(this.client, action, targets);
  }

  status(id: string, prefix?: string): Promise<JobStatusRecord | null> {
    return this.queues.status(id, prefix);
  }

  async delayed(start: number): Promise<Paged<DelayedTimestamp>> {
    const [total, items] = await Promise.all([this.queues.delayed.timestampCount(), this.queues.delayedTimestamps(start, this.config.pageSize)]);
    return { items, start, total };
  }

  async delayedAt(second: number, start: number): Promise<Paged<DelayedJob>> {
    const [total, items] = await Promise.all([delayedLength(this.client, second), this.queues.delayedJobs(second, start, this.config.pageSize)]);
    return { items, start, total };
  }

  async retrying(start: number): Promise<Paged<RetryingJob>> {
    const [total, items] = await Promise.all([retryingCount(this.client), this.queues.retrying(start, this.config.pageSize)]);
    return { items, start, total };
  }

  schedules(): Promise<ScheduleInfo[]> {
    return this.queues.schedules.list();
  }

  async setPaused(queue: string, paused: boolean): Promise<void> {
    if (paused) await this.queues.pauseQueue(queue);
    else await this.queues.resumeQueue(queue);
  }

  runDelayedNow(id: string): Promise<boolean> {
    return this.queues.runDelayedNow(id);
  }

  removeDelayed(id: string): Promise<boolean> {
    return this.queues.removeDelayed(id);
  }
}
