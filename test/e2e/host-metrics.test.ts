/**
 * METRICS_PORT: a real forked host serves Prometheus metrics on 127.0.0.1. Its children send job
 * counts and durations in batches over IPC; queue depth, latency, delayed, retrying and workers are
 * read from Redis at scrape time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/wait.js';
import { httpGet, parseSamples, sampleValue, type Sample } from '../support/prometheus-text.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';
import type { HostProcess } from './support/host-process.js';

const TEST = { timeout: 40_000 };
const env = useHostTestEnvironment();

async function metricsUrl(host: HostProcess): Promise<string> {
  const line = await host.waitForLine(/metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
  return /(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(line)![1]!;
}

async function scrape(url: string): Promise<Sample[]> {
  const { status, body, contentType } = await httpGet(url);
  assert.equal(status, 200, body);
  assert.match(contentType, /^text\/plain/);
  return parseSamples(body);
}

describe('worker host: Prometheus metrics (METRICS_PORT)', () => {
  test('job counters and durations per queue and class, and Redis gauges, over HTTP', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ METRICS_PORT: '0' }));
    const url = await metricsUrl(host);

    for (let i = 0; i < 3; i++) await t.pushPhp('EchoJob', { i });
    await t.pushPhp('NoSuchJob', {});
    await t.waitForDone(3);
    await t.waitForFailed(1);
    // Batches come about once a second: wait for the counters to reach the jobs run.
    const samples = await waitFor(async () => {
      const s = await scrape(url);
      const ok = sampleValue(s, 'resque_jobs_processed_total', { queue: 'e2e', class: 'EchoJob' });
      const failed = sampleValue(s, 'resque_jobs_failed_total', { queue: 'e2e', class: 'NoSuchJob' });
      return ok === 3 && failed === 1 ? s : undefined;
    }, 'the job counters to reach 3 processed and 1 failed', 15_000, 200);

    assert.equal(sampleValue(samples, 'resque_jobs_failed_total', { queue: 'e2e', class: 'EchoJob' }), 0);
    assert.equal(sampleValue(samples, 'resque_jobs_processed_total', { queue: 'e2e', class: 'NoSuchJob' }), 1, 'a failed run is processed too (stat:processed)');
    assert.equal(sampleValue(samples, 'resque_job_duration_seconds_count', { class: 'EchoJob' }), 3);
    assert.equal(sampleValue(samples, 'resque_job_duration_seconds_bucket', { class: 'EchoJob', le: '+Inf' }), 3);
    const sum = sampleValue(samples, 'resque_job_duration_seconds_sum', { class: 'EchoJob' })!;
    assert.ok(sum >= 0 && sum < 10, `duration sum ${sum}`);
    assert.equal(sampleValue(samples, 'resque_job_wait_seconds_count', { class: 'EchoJob' }), 3, 'php-resque payloads carry queue_time');
    const waited = sampleValue(samples, 'resque_job_wait_seconds_sum', { class: 'EchoJob' })!;
    assert.ok(waited >= 0 && waited < 60, `wait sum ${waited}`);
    assert.equal(sampleValue(samples, 'resque_redis_up'), 1);
    assert.equal(sampleValue(samples, 'resque_queue_depth', { queue: 'e2e' }), 0);
    assert.equal(sampleValue(samples, 'resque_workers', { state: 'busy' }), 0);
    assert.equal(sampleValue(samples, 'resque_workers', { state: 'idle' }), 1, 'the host\'s one child is registered and idle');
  });

  test('queue depth and latency, delayed and retrying counts are read from Redis at scrape time', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ METRICS_PORT: '0' }));
    const url = await metricsUrl(host);
    // A queue nobody works: php-resque's payload with a queue_time 120 s ago, then Ruby's (none).
    const old = (Date.now() / 1000 - 120).toFixed(4);
    await env.redis
      .multi()
      .sadd(t.keys.queues, 'idle-queue')
      .rpush(t.keys.queue('idle-queue'), `{"class":"EchoJob","args":[{}],"id":"a","queue_time":${old}}`, '{"class":"EchoJob","args":[{}]}')
      .sadd(t.keys.queues, 'ruby-queue')
      .rpush(t.keys.queue('ruby-queue'), '{"class":"EchoJob","args":[{}]}')
      .zadd(t.keys.delayedSchedule, 2_000_000_000, '2000000000', 2_000_000_001, '2000000001')
      .rpush(t.keys.delayed(2_000_000_000), '{"class":"EchoJob","args":[],"queue":"e2e"}', '{"class":"EchoJob","args":[1],"queue":"e2e"}')
      .rpush(t.keys.delayed(2_000_000_001), '{"class":"EchoJob","args":[2],"queue":"e2e"}')
      .zadd(t.keys.retrying, 2_000_000_000, 'some-job')
      .exec();

    const samples = await scrape(url);
    assert.equal(sampleValue(samples, 'resque_queue_depth', { queue: 'idle-queue' }), 2);
    const latency = sampleValue(samples, 'resque_queue_latency_seconds', { queue: 'idle-queue' })!;
    assert.ok(latency >= 119 && latency < 200, `latency ${latency}`);
    assert.equal(sampleValue(samples, 'resque_queue_depth', { queue: 'ruby-queue' }), 1);
    assert.equal(sampleValue(samples, 'resque_queue_latency_seconds', { queue: 'ruby-queue' }), 0, 'no queue_time: 0');
    assert.equal(sampleValue(samples, 'resque_delayed_jobs'), 3);
    assert.equal(sampleValue(samples, 'resque_retrying_jobs'), 1);
    assert.equal((await httpGet(url.replace('/metrics', '/other'))).status, 404);
  });

  test('fork-per-job: each child sends its job\'s metrics before it exits', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ METRICS_PORT: '0', FORK_PER_JOB: '1' }));
    const url = await metricsUrl(host);
    for (let i = 0; i < 3; i++) await t.pushPhp('EchoJob', { i });
    await t.waitForDone(3);
    await waitFor(async () => sampleValue(await scrape(url), 'resque_jobs_processed_total', { queue: 'e2e', class: 'EchoJob' }) === 3, 'three runs counted', 15_000, 200);
    assert.equal(sampleValue(await scrape(url), 'resque_job_duration_seconds_count', { class: 'EchoJob' }), 3);
  });

  test('Redis down: a scrape still answers, within seconds, with resque_redis_up 0 and the job counters', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ METRICS_PORT: '0' }));
    const url = await metricsUrl(host);
    await t.pushPhp('EchoJob', {});
    await waitFor(async () => sampleValue(await scrape(url), 'resque_jobs_processed_total', { queue: 'e2e', class: 'EchoJob' }) === 1, 'one run counted', 15_000, 200);
    await env.server.stop(); // afterEach starts it again
    const started = Date.now();
    const samples = await scrape(url);
    assert.ok(Date.now() - started < 8_000, `scrape took ${Date.now() - started} ms`);
    assert.equal(sampleValue(samples, 'resque_redis_up'), 0);
    assert.equal(sampleValue(samples, 'resque_queue_depth', { queue: 'e2e' }), undefined, 'no stale Redis gauges');
    assert.equal(sampleValue(samples, 'resque_jobs_processed_total', { queue: 'e2e', class: 'EchoJob' }), 1);
  });

  test('a bad METRICS_PORT is one line and exit 1 before any child boots', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ METRICS_PORT: 'ninety' }));
    const exit = await host.waitForExit();
    assert.equal(exit.code, 1, host.output());
    assert.deepEqual(host.stderr, ['resque: METRICS_PORT="ninety" is not a port number (1-65535, or 0 for any free port)']);
  });

  test('a port already taken is one line and exit 1', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const first = env.hosts.start(t.env({ METRICS_PORT: '0' }));
    const port = /:(\d+)\/metrics/.exec(await metricsUrl(first))![1]!;
    const second = env.hosts.start(t.env({ METRICS_PORT: port }));
    const exit = await second.waitForExit();
    assert.equal(exit.code, 1, second.output());
    assert.equal(second.stderr.length, 1, second.output());
    assert.match(second.stderr[0]!, /^resque: METRICS_PORT="\d+" cannot be served on 127\.0\.0\.1: .*EADDRINUSE/);
  });
});
