/**
 * Delayed jobs: every host runs a scheduler; one leads (lib/scheduler/scheduler.ts). The leader
 * also fires recurring schedules and samples the counters for the dashboard's per-minute history.
 */
import { hostname } from 'node:os';
import type { RedisClient } from '../../redis/connection.js';
import type { WorkerSettings } from '../../options/worker-settings.js';
import type { ResqueKeys } from '../../protocol/keys.js';
import { ResqueClient } from '../../client/resque-client.js';
import { sampleStats } from '../../client/stat-history.js';
import { RecurringFirer } from '../../scheduler/recurring-firer.js';
import { DelayedScheduler } from '../../scheduler/scheduler.js';

export function startHostScheduler(redis: RedisClient, keys: ResqueKeys, settings: WorkerSettings, log: (message: string) => void): DelayedScheduler | undefined {
  if (!settings.scheduler) return undefined;
  const stats = new ResqueClient({ redis, keys });
  const scheduler = new DelayedScheduler({
    redis,
    keys,
    name: `${hostname()}:${process.pid}`,
    onLeadership: (leader) => log(leader ? 'scheduler: leading (promotes delayed jobs)' : 'scheduler: following'),
    onPromoted: (moved, failed) => {
      if (settings.verbose) log(`scheduler: ${moved} delayed job(s) queued${failed > 0 ? `, ${failed} invalid item(s) failed` : ''}`);
    },
    onError: (error) => log(`scheduler: ${error.message}`),
    recurring: new RecurringFirer({ redis, keys, onError: (error) => log(`scheduler: ${error.message}`) }),
    sampleStats: () => sampleStats(stats),
  });
  scheduler.start();
  return scheduler;
}
