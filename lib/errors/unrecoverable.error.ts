import { ResqueError } from './resque.error.js';

/**
 * Thrown by a job to fail it at once, without the retries its `@Job({ retry })` allows
 * (BullMQ's UnrecoverableError, resque-retry's fatal_exceptions).
 *
 * @publicApi
 */
export class UnrecoverableError extends ResqueError {
  override name = 'UnrecoverableError';
}
