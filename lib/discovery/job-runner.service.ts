/**
 * Runs one job inside the worker child: the worker loop calls `run(context)` per popped payload.
 *
 * Order (php-resque's, with the job class's own hooks inside the module-wide ones):
 *   module beforePerform → job.beforePerform → setUp → perform → tearDown → job.afterPerform → module afterPerform
 * A DontPerformError from beforePerform or setUp skips the job: `run` resolves with undefined
 * and the job counts as done. Any other error runs job.onFailure then the module's onFailure
 * listeners (their own errors are logged), then rejects with the original error.
 *
 * Hot path: a job class without hook methods, with no module listeners and no event
 * subscriber, costs one Map lookup and the perform call.
 */
import { Injectable, Logger } from '@nestjs/common';
import { DontPerformError } from '../errors/dont-perform.error.js';
import { UnknownJobClassError } from '../errors/unknown-job-class.error.js';
import { UnsafeIntegerError } from '../errors/unsafe-integer.error.js';
import { printable } from '../protocol/printable.js';
import { ResqueEvents } from '../events/resque-events.js';
import type { JobContext } from '../worker/job-context.js';
import { JobRegistry, type RegisteredJob } from './job.registry.js';

/** @publicApi */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger('Resque');

  constructor(
    private readonly registry: JobRegistry,
    private readonly events: ResqueEvents,
  ) {}

  async run(context: JobContext): Promise<unknown> {
    const job = this.registry.get(context.className);
    if (job === undefined) throw new UnknownJobClassError(context.className, this.registry.names());
    if (context.bigints !== undefined && job.metadata.unsafeIntegers === 'fail') {
      throw new UnsafeIntegerError(context.bigints[0].path, context.bigints[0].value);
    }
    if (job.plain && !this.registry.hasPerformListeners && !this.events.observed) {
      return job.instance.perform(context.data, context);
    }
    return this.runWithHooks(job, context);
  }

  private async runWithHooks(job: RegisteredJob, context: JobContext): Promise<unknown> {
    const { instance } = job;
    const listeners = this.registry.listeners;
    const events = this.events;
    const startedAt = performance.now();
    if (events.observed) {
      events.emit({ type: 'job.started', queue: context.queue, className: context.className, id: context.id, workerId: context.workerId });
    }
    try {
      try {
        for (const listener of listeners.beforePerform) await listener(context);
        if (instance.beforePerform) await instance.beforePerform(context);
        if (instance.setUp) await instance.setUp(context);
      } catch (error) {
        if (!(error instanceof DontPerformError)) throw error;
        if (events.observed) {
          events.emit({ type: 'job.skipped', queue: context.queue, className: context.className, id: context.id, workerId: context.workerId, reason: error.reason });
        }
        return undefined;
      }
      const result = await instance.perform(context.data, context);
      if (instance.tearDown) await instance.tearDown(context);
      if (instance.afterPerform) await instance.afterPerform(context, result);
      for (const listener of listeners.afterPerform) await listener(context, result);
      if (events.observed) {
        events.emit({
          type: 'job.completed', queue: context.queue, className: context.className, id: context.id,
          workerId: context.workerId, durationMs: performance.now() - startedAt,
        });
      }
      return result;
    } catch (error) {
      await this.onFailure(job, context, error);
      if (events.observed) {
        events.emit({
          type: 'job.failed', queue: context.queue, className: context.className, id: context.id,
          workerId: context.workerId, durationMs: performance.now() - startedAt, error,
        });
      }
      throw error;
    }
  }

  private async onFailure(job: RegisteredJob, context: JobContext, error: unknown): Promise<void> {
    if (job.instance.onFailure) {
      try {
        await job.instance.onFailure(error, context);
      } catch (hookError) {
        this.logHookError(`${job.provider}.onFailure`, hookError);
      }
    }
    for (const listener of this.registry.listeners.onFailure) {
      try {
        await listener(error, context);
      } catch (hookError) {
        this.logHookError('onFailure listener', hookError);
      }
    }
  }

  private logHookError(where: string, error: unknown): void {
    this.logger.error(printable(`${where} threw: ${error instanceof Error ? error.message : String(error)}`), error instanceof Error ? error.stack : undefined);
  }
}
