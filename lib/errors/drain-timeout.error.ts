import { ResqueError } from './resque.error.js';

/** drainQueues gave up: the queues were still not empty (jobs kept coming, or one never ended) after its timeout. */
export class DrainTimeoutError extends ResqueError {
  override name = 'DrainTimeoutError';
  constructor(readonly timeoutMs: number, readonly processed: number) {
    super(`The queues were not drained within ${timeoutMs} ms (${processed} job(s) processed meanwhile)`);
  }
}
