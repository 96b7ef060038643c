/** Reads of the delayed queue beside DelayedJobs' for the dashboard: one second's length. */
import type { ResqueClient } from './resque-client.js';

/** Items due in one second (LLEN of `delayed:<second>`). */
export function delayedLength(client: ResqueClient, second: number): Promise<number> {
  return client.call('delayedLength', false, () => client.redis.llen(client.keys.delayed(second)));
}
