import { ResqueError } from './resque.error.js';

/** A failure record that cannot be retried: not JSON, or without a job payload and queue. */
export class InvalidFailureRecordError extends ResqueError {
  override name = 'InvalidFailureRecordError';
  constructor(readonly index: number, readonly problem: string) {
    super(`Failed job at index ${index} cannot be retried: ${problem}`);
  }
}
