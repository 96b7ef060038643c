import { ResqueError } from './resque.error.js';

/** The worker host could not reach Redis at start. The message names the setting it came from. */
export class RedisUnreachableError extends ResqueError {
  override name = 'RedisUnreachableError';
}
