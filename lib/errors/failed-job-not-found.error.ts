import { ResqueError } from './resque.error.js';

/** No failure record at that index of the `failed` list (it was removed, or the index is out of range). */
export class FailedJobNotFoundError extends ResqueError {
  override name = 'FailedJobNotFoundError';
  constructor(readonly index: number) {
    super(`No failed job at index ${index}`);
  }
}
