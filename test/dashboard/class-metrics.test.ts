/**
 * Per-class metrics: the writer adds a minute's counts in one script call with an injected clock
 * (and keeps the hash bounded by a TTL), the reader adds minutes up with a histogram's p50/p95, and
 * a real in-process worker's runs show on the dashboard's Metrics page, escaped.
 */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createInProcessWorker, Job, ResqueKeys, type ResqueJob } from '../../lib/index.js';
import { ClassMetricsWriter } from '../../lib/metrics/class-metrics-writer.js';
import { readClassMetrics } from '../../lib/client/class-metrics.js';
import { CLASS_METRICS_TTL_SECONDS } from '../../lib/protocol/class-metrics.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';
import { startDashboardApp } from './support/dashboard-app.js';
import { FlakyJob, flaky } from './support/flaky.job.js';

const T = { timeout: 30_000 };
let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.destroy();
});

@Job({ queue: 'dash', name: 'DashboardMetricsJob' })
class MetricsJob implements ResqueJob {
  perform(): void {}
}

test('the writer adds each minute in one call, bounded by a TTL, and the reader sums minutes with p50/p95', T, async () => {
  const keys = new ResqueKeys(uniquePrefix('cm'));
  const minute = 29_000_000;
  let now = minute * 60_000 + 1_000;
  const writer = new ClassMetricsWriter(redis, keys, { now: () => now });
  writer.record('Mail', false, 3);
  writer.record('Mail', true, 40);
  writer.record('Mail', false, 700);
  writer.record('Has:Colons', false, 12);
  now += 60_000;
  writer.record('Mail', false, 20_000);
  await writer.flush();
  assert.deepEqual(await redis.hgetall(keys.classMetrics(minute)), {
    'Mail:processed': '3', 'Mail:failed': '1', 'Mail:ms': '743', 'Mail:b0': '1', 'Mail:b3': '1', 'Mail:b7': '1',
    'Has:Colons:processed': '1', 'Has:Colons:ms': '12', 'Has:Colons:b2': '1',
  });
  assert.deepEqual(await redis.hgetall(keys.classMetrics(minute + 1)), { 'Mail:processed': '1', 'Mail:ms': '20000', 'Mail:b11': '1' });
  const ttl = await redis.ttl(keys.classMetrics(minute));
  assert.ok(ttl > CLASS_METRICS_TTL_SECONDS - 60 && ttl <= CLASS_METRICS_TTL_SECONDS, `ttl ${ttl}`);
  // Nothing recorded since: no write at all.
  await redis.del(keys.classMetrics(minute + 1));
  await writer.flush();
  assert.equal(await redis.exists(keys.classMetrics(minute + 1)), 0);
  writer.record('Mail', false, 20_000);
  await writer.stop();

  const dash = await startDashboardApp(server, { prefix: keys.prefix });
  try {
    // Anything may write a hash: garbage fields are skipped.
    await redis.hset(keys.classMetrics(minute), 'nonsense', '5', 'Mail:b99', '1', 'Mail:ms2', '4', 'Other:failed', '-3', 'Other:processed', 'x');
    const both = await readClassMetrics(dash.queues.client, 2, now);
    assert.deepEqual(both, [
      { className: 'Mail', processed: 4, failed: 1, totalMs: 20_743, averageMs: 20_743 / 4, p50Ms: 50, p95Ms: 60_000 },
      { className: 'Has:Colons', processed: 1, failed: 0, totalMs: 12, averageMs: 12, p50Ms: 25, p95Ms: 25 },
    ]);
    const lastOnly = await readClassMetrics(dash.queues.client, 1, now);
    assert.deepEqual(lastOnly.map((c) => [c.className, c.processed]), [['Mail', 1]]);
  } finally {
    await dash.close();
  }
});

test("a real worker's runs show on the Metrics page per class, and text from Redis is escaped", T, async () => {
  const dash = await startDashboardApp(server, { providers: [FlakyJob, MetricsJob] });
  try {
    flaky.failing = true;
    await dash.queues.enqueueBulk('dash', 'DashboardFlakyJob', [{ n: 1 }, { n: 2 }]);
    await dash.queues.enqueueBulk('dash', 'DashboardMetricsJob', [{ n: 3 }, { n: 4 }, { n: 5 }]);
    const worker = await createInProcessWorker(dash.app, { settings: { queues: ['dash'], interval: 0.05, blocking: false }, maxJobs: 5 });
    await worker.run(); // ends after 5 jobs, writing its last counts on the way out
    await redis.hset(dash.keys.classMetrics(Math.floor(Date.now() / 60_000)), '<script>alert(1)</script>:processed', '1');
    const response = await fetch(`${dash.url}/metrics`);
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.match(page, /data-class-processed="DashboardFlakyJob">2</);
    assert.match(page, /data-class-failed="DashboardFlakyJob">2</);
    assert.match(page, /data-class-processed="DashboardMetricsJob">3</);
    assert.match(page, /data-class-failed="DashboardMetricsJob">0</);
    assert.match(page, /not counted here/);
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;') && !page.includes('<script>alert(1)'), 'the class name is escaped');
    assert.match(page, /aria-current="page">Metrics</);
    const hours = await (await fetch(`${dash.url}/metrics?minutes=480`)).text();
    assert.match(hours, /<b>8 h<\/b>/);
  } finally {
    flaky.failing = true;
    await dash.close();
  }
});
