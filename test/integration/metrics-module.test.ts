/** ResqueMetricsModule: the Redis gauges on prom-client's default registry (what @willsoto/nestjs-prometheus serves). */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Test } from '@nestjs/testing';
import promClient from 'prom-client';
import { QueueService, ResqueKeys, ResqueMetricsModule, ResqueModule } from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';
import { parseSamples, sampleValue } from '../support/prometheus-text.js';

const T = { timeout: 20_000 };
let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
}, { timeout: 30_000 });
after(async () => {
  redis.disconnect();
  await server.destroy();
});

async function boot(prefix: string) {
  const app = await Test.createTestingModule({
    imports: [ResqueModule.forRoot({ connection: server.url, prefix }), ResqueMetricsModule],
  }).compile();
  await app.init();
  return app;
}

test('queue depth, latency and workers on the default registry, read at scrape time', T, async () => {
  const prefix = uniquePrefix('metrics');
  const keys = new ResqueKeys(prefix);
  const app = await boot(prefix);
  try {
    const queues = app.get(QueueService);
    await queues.enqueue('mail', 'SendMail', { to: 'a' });
    await queues.enqueue('mail', 'SendMail', { to: 'b' });
    await redis.multi().sadd(keys.workers, 'php-host:123:mail').set(keys.worker('php-host:123:mail'), '{}').sadd(keys.workers, 'ruby-host:9:*').exec();

    const samples = parseSamples(await promClient.register.metrics());
    assert.equal(sampleValue(samples, 'resque_queue_depth', { queue: 'mail' }), 2);
    const latency = sampleValue(samples, 'resque_queue_latency_seconds', { queue: 'mail' })!;
    assert.ok(latency >= 0 && latency < 10, `latency ${latency}`);
    assert.equal(sampleValue(samples, 'resque_workers', { state: 'busy' }), 1);
    assert.equal(sampleValue(samples, 'resque_workers', { state: 'idle' }), 1);
    assert.equal(sampleValue(samples, 'resque_delayed_jobs'), 0);
    assert.equal(sampleValue(samples, 'resque_redis_up'), 1);
    assert.equal(sampleValue(samples, 'resque_jobs_processed_total'), undefined, 'job counters are the worker host\'s');
  } finally {
    await app.close();
  }
  assert.equal(promClient.register.getSingleMetric('resque_queue_depth'), undefined, 'closing the app takes the metrics off the registry');
});

test('a second application in the same process takes the metrics over', T, async () => {
  const first = await boot(uniquePrefix('metrics'));
  const second = await boot(uniquePrefix('metrics'));
  try {
    assert.ok(promClient.register.getSingleMetric('resque_queue_depth'));
  } finally {
    await second.close();
    await first.close();
  }
});
