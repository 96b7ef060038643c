import { ResqueError } from './resque.error.js';

/**
 * Redis did not answer in time, or the client is closed. `mayBeStored` is false when nothing
 * was sent, so the job is certainly not in Redis; true when a write was already sent when time
 * ran out, so it may or may not have been stored.
 */
export class RedisUnavailableError extends ResqueError {
  override name = 'RedisUnavailableError';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    readonly mayBeStored: boolean,
    readonly closed = false,
    options?: ErrorOptions,
  ) {
    super(
      `Redis unavailable: ${operation} ${closed ? 'found the connection closed' : `got no answer within ${timeoutMs} ms`}` +
        (mayBeStored ? '; the write was sent, so it may have been stored' : '; nothing was written'),
      options,
    );
  }
}
