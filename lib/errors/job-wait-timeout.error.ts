import { ResqueError } from './resque.error.js';

/** waitFor(id) heard no outcome of the job within its timeout (not finished yet, or its worker does not publish events). */
export class JobWaitTimeoutError extends ResqueError {
  override name = 'JobWaitTimeoutError';
  constructor(readonly id: string, readonly timeoutMs: number) {
    super(`No outcome of job ${JSON.stringify(id)} within ${timeoutMs} ms (is PUBLISH_EVENTS=1 set on its workers?)`);
  }
}
