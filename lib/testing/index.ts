// nestjs-resque/testing: support for your own test suites.
export { ResqueTestingModule, type ResqueTestingOptions } from './resque-testing.module.js';
export { InlineQueueService, INLINE_WORKER_ID, type InlineRun } from './inline-queue.service.js';
export { drainQueues, type DrainOptions, type DrainResult } from './drain-queues.js';
export { DrainTimeoutError } from '../errors/drain-timeout.error.js';
