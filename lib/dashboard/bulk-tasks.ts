/**
 * Bulk actions on failure records run in the background of the app process, chunk by chunk
 * (sweepFailed), so a request that starts one answers at once and a page polls its progress. Kept
 * in memory: the process that started a task is the one that shows it (behind a load balancer,
 * progress is seen on that instance; the records change for every instance). The last 50 are kept.
 */
import { randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { sweepFailed, type FailedAction, type SweepProgress } from '../client/failed-actions.js';
import type { FailedFilter } from '../client/failed-records.js';
import { QueueService } from '../client/queue.service.js';
import { printable } from '../protocol/printable.js';

export interface BulkTask {
  readonly id: string;
  readonly action: FailedAction;
  readonly filter: FailedFilter | null;
  readonly startedAt: Date;
  state: 'running' | 'done' | 'failed' | 'stopped';
  progress: SweepProgress;
  finishedAt?: Date;
  error?: string;
}

const KEPT = 50;

@Injectable()
export class BulkTasks implements OnApplicationShutdown {
  private readonly tasks = new Map<string, BulkTask>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly logger = new Logger('ResqueDashboard');

  constructor(private readonly queues: QueueService) {}

  start(action: FailedAction, filter: FailedFilter | null): BulkTask {
    const task: BulkTask = {
      id: randomBytes(8).toString('hex'),
      action,
      filter,
      startedAt: new Date(),
      state: 'running',
      progress: { scanned: 0, total: 0, acted: 0, changed: 0, unretryable: 0 },
    };
    const controller = new AbortController();
    this.tasks.set(task.id, task);
    this.controllers.set(task.id, controller);
    this.trim();
    void sweepFailed(this.queues.client, action, filter, (progress) => (task.progress = progress), controller.signal).then(
      (progress) => {
        task.progress = progress;
        task.state = controller.signal.aborted ? 'stopped' : 'done';
      },
      (error: unknown) => {
        task.state = 'failed';
        task.error = error instanceof Error ? error.message : String(error);
        this.logger.warn(printable(`bulk ${action} of failed jobs stopped: ${task.error}`));
      },
    ).finally(() => {
      task.finishedAt = new Date();
      this.controllers.delete(task.id);
    });
    return task;
  }

  get(id: string): BulkTask | undefined {
    return this.tasks.get(id);
  }

  stop(id: string): boolean {
    const controller = this.controllers.get(id);
    controller?.abort();
    return controller !== undefined;
  }

  private trim(): void {
    for (const [id, task] of this.tasks) {
      if (this.tasks.size <= KEPT) break;
      if (task.state !== 'running') this.tasks.delete(id);
    }
  }

  onApplicationShutdown(): void {
    for (const controller of this.controllers.values()) controller.abort();
  }
}
