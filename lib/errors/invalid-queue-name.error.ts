import { printable } from '../protocol/printable.js';
import { ResqueError } from './resque.error.js';

/** A queue name that breaks the rule in protocol/queue-name.ts; `problem` says how. */
export class InvalidQueueNameError extends ResqueError {
  override name = 'InvalidQueueNameError';
  constructor(readonly queue: unknown, readonly problem = 'it breaks the queue name rule') {
    super(
      `Invalid queue name ${typeof queue === 'string' ? `"${printable(queue, 64)}"` : printable(queue, 64)}: ${problem}; ` +
        'a queue name is 1-128 characters without whitespace, control characters, ":", "," or "*"',
    );
  }
}
