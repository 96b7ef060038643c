import type { PeekedJob } from './resque-client.js';
import type { QueueService } from './queue.service.js';
import type { When } from '../protocol/delayed-item.js';

/**
 * One queue, as `@InjectQueue('name')` injects it. Enqueues go through QueueService, so hooks
 * and events apply.
 *
 * @publicApi
 */
export class QueueHandle {
  constructor(readonly name: string, private readonly queues: QueueService) {}

  /** Resolves with the job id, or null when a beforeEnqueue listener cancelled it. */
  enqueue(className: string, data: unknown, track = false): Promise<string | null> {
    return this.queues.enqueue(this.name, className, data, track);
  }

  enqueueBulk(className: string, items: readonly unknown[], track = false): Promise<Array<string | null>> {
    return this.queues.enqueueBulk(this.name, className, items, track);
  }

  /** A job that runs at `when` (Date or epoch ms); see QueueService.enqueueAt. */
  enqueueAt(when: When, className: string, data: unknown, track = false): Promise<string | null> {
    return this.queues.enqueueAt(when, this.name, className, data, track);
  }

  /** A job that runs `ms` milliseconds from now. */
  enqueueIn(ms: number, className: string, data: unknown, track = false): Promise<string | null> {
    return this.queues.enqueueIn(ms, this.name, className, data, track);
  }

  enqueueBulkAt(when: When, className: string, items: readonly unknown[], track = false): Promise<string[]> {
    return this.queues.enqueueBulkAt(when, this.name, className, items, track);
  }

  size(): Promise<number> {
    return this.queues.size(this.name);
  }

  peek(start = 0, count = 1): Promise<PeekedJob[]> {
    return this.queues.peek(this.name, start, count);
  }
}
