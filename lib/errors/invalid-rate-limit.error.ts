import { ResqueError } from './resque.error.js';

/** A rate limit that cannot be used: `max` or `duration` out of range, or a bad queue name. */
export class InvalidRateLimitError extends ResqueError {
  override name = 'InvalidRateLimitError';
  constructor(readonly queue: string, readonly problem: string) {
    super(`rate limit of queue ${JSON.stringify(queue.slice(0, 200))}: ${problem}`);
  }
}
