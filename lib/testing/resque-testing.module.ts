/**
 * `ResqueTestingModule.forRoot(options)`: ResqueModule for a test suite, where enqueued jobs run
 * inline in the test's process with its providers (InlineQueueService). Without a `connection`, the
 * Redis client is lazy: a test that only enqueues never connects, so it needs no Redis at all.
 *
 * @publicApi
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { QueueService } from '../client/queue.service.js';
import type { ResqueModuleOptions } from '../options/resque-options.js';
import { ResqueModule } from '../resque.module.js';
import { InlineQueueService } from './inline-queue.service.js';

export interface ResqueTestingOptions extends ResqueModuleOptions {
  /** Run enqueued jobs at once, in this process (default true). false: ResqueModule as in production (use drainQueues). */
  readonly inline?: boolean;
}

@Module({})
export class ResqueTestingModule {
  static forRoot(options: ResqueTestingOptions = {}): DynamicModule {
    const { inline = true, ...moduleOptions } = options;
    const connection = moduleOptions.connection ?? (inline ? { lazyConnect: true } : undefined);
    const base = ResqueModule.forRoot({ ...moduleOptions, connection });
    if (!inline) return base;
    // Same token, later provider: Nest keeps this one, so every QueueService (and queue handle) is inline.
    // Getters, as ResqueModule's own: the queue handles of @InjectQueue are read when Nest scans.
    return Object.defineProperties({ ...base }, {
      providers: { enumerable: true, get: () => [...(base.providers ?? []), InlineQueueService, { provide: QueueService, useExisting: InlineQueueService }] },
      exports: { enumerable: true, get: () => [...(base.exports ?? []), InlineQueueService] },
    });
  }
}
