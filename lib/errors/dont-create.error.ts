import { ResqueError } from './resque.error.js';

/**
 * Throw it from a `beforeEnqueue` hook to cancel an enqueue, as php-resque's `Resque_Job_DontCreate`:
 * nothing is written and `enqueue()` resolves with `null`.
 *
 * @publicApi
 */
export class DontCreateError extends ResqueError {
  override name = 'DontCreateError';
  constructor(readonly reason = 'cancelled by a beforeEnqueue hook') {
    super(reason);
  }
}
