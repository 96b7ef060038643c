import type { PeekedJob } from './resque-client.js';
import type { QueueService } from './queue.service.js';

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

  size(): Promise<number> {
    return this.queues.size(this.name);
  }

  peek(start = 0, count = 1): Promise<PeekedJob[]> {
    return this.queues.peek(this.name, start, count);
  }
}
