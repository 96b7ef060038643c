import type { FactoryProvider } from '@nestjs/common';
import { getQueueToken } from '../resque.tokens.js';
import { QueueHandle } from './queue-handle.js';
import { QueueService } from './queue.service.js';

/** One `QueueHandle` provider per queue name, under `getQueueToken(name)`. */
export function createQueueProviders(names: Iterable<string>): Array<FactoryProvider<QueueHandle>> {
  return [...new Set(names)].map((name) => ({
    provide: getQueueToken(name),
    useFactory: (queues: QueueService) => new QueueHandle(name, queues),
    inject: [QueueService],
  }));
}
