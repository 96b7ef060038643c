/**
 * Data for the dashboard's pages, as a mixed shop writes it: our jobs, a Ruby-style payload without
 * queue_time, failures, delayed jobs, a job waiting for a retry, a recurring schedule, a PHP worker
 * busy with a job and a minute-by-minute stat history.
 */
import type { Redis } from 'ioredis';
import type { QueueService, ResqueKeys } from '../../../lib/index.js';
import { sampleStats } from '../../../lib/client/stat-history.js';
import { failureRecord, pushFailures } from './failure-records.js';

export async function seedDashboard(redis: Redis, keys: ResqueKeys, queues: QueueService, now = Date.now()): Promise<void> {
  await queues.enqueueBulk('dash', 'DashboardFlakyJob', Array.from({ length: 40 }, (_, n) => ({ n, user: `user-${n}@example.com` })));
  await queues.enqueueBulk('mail', 'SendWelcomeMail', Array.from({ length: 7 }, (_, n) => ({ to: `user-${n}@example.com` })));
  await redis.sadd(keys.queues, 'reports');
  await redis.rpush(keys.queue('reports'), JSON.stringify({ class: 'Reports::Nightly', args: [{ day: '2026-12-01' }] }));
  const exceptions = ['Error', 'TimeoutError', 'Resque::DirtyExit', 'PDOException'];
  await pushFailures(redis, keys, 60, (n) =>
    failureRecord({ exception: exceptions[n % 4], className: n % 3 === 0 ? 'SendWelcomeMail' : 'DashboardFlakyJob', queue: n % 3 === 0 ? 'mail' : 'dash', error: `connection refused (attempt ${n})` }, n),
  );
  await queues.enqueueIn(3_600_000, 'mail', 'SendWelcomeMail', { to: 'later@example.com' });
  await queues.enqueueIn(7_200_000, 'dash', 'DashboardFlakyJob', { n: 'delayed' });
  await queues.schedules.set('nightly-report', { queue: 'reports', className: 'Reports::Nightly', cron: '0 3 * * *', tz: 'Europe/Berlin' });
  await queues.schedules.set('heartbeat-mail', { queue: 'mail', className: 'SendWelcomeMail', every: 300_000, data: { to: 'ops@example.com' } });
  const digest = 'a'.repeat(40);
  await redis.hset(keys.retryInfo, digest, JSON.stringify({ queue: 'mail', class: 'SendWelcomeMail', id: 'f'.repeat(32), attempts: 5, exception: 'SmtpError', error: '421 try again later', at: Math.floor(now / 1000) - 30, attempt: 2 }));
  await redis.zadd(keys.retrying, Math.floor(now / 1000) + 90, digest);
  const php = 'web-1:4242:mail,dash';
  await redis.sadd(keys.workers, php, 'web-2:977:reports');
  await redis.set(keys.workerStarted(php), new Date(now - 3_600_000).toISOString());
  await redis.set(keys.workerStarted('web-2:977:reports'), new Date(now - 7_200_000).toString());
  await redis.set(keys.worker(php), JSON.stringify({ queue: 'mail', run_at: new Date(now - 42_000).toISOString(), payload: { class: 'SendWelcomeMail', args: [{ to: 'busy@example.com' }] } }));
  // an hour of history: counters rising a little faster each minute, a few failures now and then
  let processed = 0;
  let failed = 0;
  for (let k = 60; k >= 0; k--) {
    await redis.set(keys.statProcessed(), processed);
    await redis.set(keys.statFailed(), failed);
    await sampleStats(queues.client, now - k * 60_000);
    processed += 40 + Math.round(30 * Math.sin(k / 6) + 30);
    failed += k % 7 === 0 ? 9 : k % 3 === 0 ? 2 : 0;
  }
  await redis.set(keys.statProcessed(), processed);
  await redis.set(keys.statFailed(), failed);
  // per-class metrics of our workers over the last 30 minutes (the Metrics page)
  for (let k = 0; k < 30; k++) {
    await redis.hset(keys.classMetrics(Math.floor(now / 60_000) - k), {
      'DashboardFlakyJob:processed': 40, 'DashboardFlakyJob:failed': k % 5 === 0 ? 3 : 0, 'DashboardFlakyJob:ms': 1_900, 'DashboardFlakyJob:b2': 25, 'DashboardFlakyJob:b4': 15,
      'SendWelcomeMail:processed': 12, 'SendWelcomeMail:ms': 7_400, 'SendWelcomeMail:b6': 10, 'SendWelcomeMail:b8': 2,
    });
  }
}
