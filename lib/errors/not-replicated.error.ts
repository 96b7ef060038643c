import { RedisUnavailableError } from './redis-unavailable.error.js';

/**
 * `waitForReplicas`: the primary stored the write, but fewer replicas than asked confirmed it in
 * time (Redis WAIT). The job may well be performed; a failover now could also lose it, so the
 * caller decides (retrying may enqueue it twice). A RedisUnavailableError with `mayBeStored`.
 */
export class NotReplicatedError extends RedisUnavailableError {
  override name = 'NotReplicatedError';
  constructor(operation: string, readonly replicas: number, readonly wanted: number, timeoutMs: number) {
    super(operation, timeoutMs, true);
    this.message = `Redis ${operation}: stored on the primary, but ${replicas} of ${wanted} replica(s) confirmed it within ${timeoutMs} ms (waitForReplicas); a failover now could lose it`;
  }
}
