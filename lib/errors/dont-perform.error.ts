import { ResqueError } from './resque.error.js';

/**
 * Throw it from a `beforePerform` hook or `setUp()` to skip the job, as php-resque's
 * `Resque_Job_DontPerform`: the job counts as done (status COMPLETE), `perform()` never runs.
 *
 * @publicApi
 */
export class DontPerformError extends ResqueError {
  override name = 'DontPerformError';
  constructor(readonly reason = 'skipped by a hook') {
    super(reason);
  }
}
