/**
 * Per-queue pause for our workers: a queue in the `paused-queues` set is left out of every worker's
 * list (lib/worker/queue-selection.ts re-reads the set about once a second), so a pause is honoured
 * within ~1 s; running jobs finish. Other Resques do not know the set: for them, Ruby's global
 * pause-all-workers key is the only switch. Resuming writes a wake-up entry per queue, so idle
 * workers look again at once instead of after INTERVAL.
 */
import { assertQueueName } from '../protocol/queue-name.js';
import { wakeEntryArgs } from '../protocol/wake-entry.js';
import type { ResqueClient } from './resque-client.js';

export async function pauseQueues(client: ResqueClient, queues: readonly string[]): Promise<void> {
  if (queues.length === 0) return;
  for (const queue of queues) assertQueueName(queue);
  await client.call('pauseQueues', true, () => client.redis.sadd(client.keys.pausedQueues, ...queues));
}

export async function resumeQueues(client: ResqueClient, queues: readonly string[]): Promise<void> {
  if (queues.length === 0) return;
  for (const queue of queues) assertQueueName(queue);
  await client.call('resumeQueues', true, async () => {
    const multi = client.redis.multi().srem(client.keys.pausedQueues, ...queues);
    for (const queue of queues) multi.xadd(client.keys.wake, ...(wakeEntryArgs(queue) as [string, string, string, string, string, string]));
    await multi.exec();
  });
}

/** The paused queues, sorted. */
export async function pausedQueues(client: ResqueClient): Promise<string[]> {
  const names = await client.call('pausedQueues', false, () => client.redis.smembers(client.keys.pausedQueues));
  return names.sort();
}
