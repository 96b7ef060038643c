import { ResqueError } from './resque.error.js';

/** A queue name that is empty or holds whitespace or a comma; worker ids and QUEUE lists split on those. */
export class InvalidQueueNameError extends ResqueError {
  override name = 'InvalidQueueNameError';
  constructor(readonly queue: string) {
    super(`Invalid queue name ${JSON.stringify(queue)}: it must be non-empty, without whitespace or commas`);
  }
}
