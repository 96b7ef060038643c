import type { FactoryProvider } from '@nestjs/common';
import { getQueueToken } from '../resque.tokens.js';
import { QueueHandle } from './queue-handle.js';
import { QueueService } from './queue.service.js';

const providers = new Map<string, FactoryProvider<QueueHandle>>();

/** One `QueueHandle` provider per queue name, under `getQueueToken(name)`; the same object for a name every time. */
export function createQueueProviders(names: Iterable<string>): Array<FactoryProvider<QueueHandle>> {
  return [...new Set(names)].map((name) => {
    let provider = providers.get(name);
    if (!provider) {
      provider = { provide: getQueueToken(name), useFactory: (queues: QueueService) => new QueueHandle(name, queues), inject: [QueueService] };
      providers.set(name, provider);
    }
    return provider;
  });
}
