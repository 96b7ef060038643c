/**
 * The dashboard on big data: 1,000,000 queued jobs (10 queues, one of 910,000) and 100,000 failure
 * records, 50 registered workers and a day of stat history, on a throw-away redis-server. Times
 * whole HTTP requests (fetch from this process to the app, HTML received), Express and Fastify,
 * then a bulk retry and a bulk removal of all 100,000 failed jobs through the dashboard's own
 * POST + progress polling.
 *
 *   npm run bench:dashboard      (BENCH_SAMPLES, default 30 per page)
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { QueueService, ResqueKeys, ResqueModule } from '../lib/index.js';
import { ResqueDashboardModule } from '../lib/dashboard/index.js';
import { sampleStats } from '../lib/client/stat-history.js';
import { failureRecordParts } from '../lib/protocol/failure.js';
import { ThrowAwayRedis, redisServerVersion } from './redis.js';
import { median, percentile } from './stats.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
const QUEUED = 1_000_000;
const FAILED = 100_000;
const keys = new ResqueKeys('resque');

async function seed(redis: Redis, queues: QueueService): Promise<void> {
  const sizes = [910_000, ...Array.from({ length: 9 }, () => 10_000)];
  for (const [i, size] of sizes.entries()) {
    for (let first = 0; first < size; first += 50_000) {
      const items = Array.from({ length: Math.min(50_000, size - first) }, (_, n) => ({ userId: first + n, email: `u${first + n}@example.com` }));
      await queues.enqueueBulk(i === 0 ? 'default' : `queue-${i}`, i % 2 ? 'SendMail' : 'SignupJob', items);
    }
  }
  await pushFailures(redis, FAILED);
  for (let w = 0; w < 50; w++) {
    const id = `host-${w % 5}:${1000 + w}:default,queue-${w % 9 + 1}`;
    await redis.sadd(keys.workers, id);
    await redis.set(keys.workerStarted(id), new Date().toISOString());
    if (w % 2) await redis.set(keys.worker(id), JSON.stringify({ queue: 'default', run_at: new Date().toISOString(), payload: { class: 'SignupJob', args: [{ userId: w }] } }));
  }
  const now = Date.now();
  for (let k = 1440; k >= 0; k--) {
    await redis.set(keys.statProcessed(), (1440 - k) * 5000);
    await redis.set(keys.statFailed(), (1440 - k) * 70);
    await sampleStats(queues.client, now - k * 60_000);
  }
}

async function pushFailures(redis: Redis, count: number): Promise<void> {
  const exceptions = ['Error', 'TimeoutError', 'Resque::DirtyExit', 'PDOException'];
  for (let first = 0; first < count; first += 10_000) {
    const batch: string[] = [];
    for (let n = first; n < Math.min(count, first + 10_000); n++) {
      const { head, tail } = failureRecordParts({
        exception: exceptions[n % 4]!,
        error: `SMTP connection to mail-${n % 7}.example.com refused after 30 s (attempt ${n})`,
        backtrace: Array.from({ length: 8 }, (_, i) => `at frame${i} (/app/dist/jobs/send-mail.job.js:${10 + i}:${3 * i})`),
        worker: `host-${n % 5}:${1000 + (n % 50)}:default`,
        queue: n % 10 === 0 ? 'queue-1' : 'default',
      });
      const className = n === count - 7 ? 'RareJob' : n % 2 ? 'SendMail' : 'SignupJob';
      batch.push(head + JSON.stringify({ class: className, args: [{ userId: n, email: `u${n}@example.com` }], id: n.toString(16).padStart(32, '0'), queue_time: 1_764_000_000 + n }) + tail);
    }
    await redis.rpush(keys.failed, ...batch);
  }
}

async function boot(server: ThrowAwayRedis, adapter: 'express' | 'fastify'): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [ResqueModule.forRoot({ connection: `redis://127.0.0.1:${server.port}`, prefix: 'resque' }), ResqueDashboardModule.forRoot({ public: true, history: false })],
  }).compile();
  const app = adapter === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: ['error'] }) : moduleRef.createNestApplication({ logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}/resque` };
}

async function time(url: string): Promise<{ median: number; p95: number; max: number; bytes: number }> {
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < SAMPLES + 3; i++) {
    const started = performance.now();
    const response = await fetch(url);
    const body = await response.text();
    const ms = performance.now() - started;
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${body.slice(0, 200)}`);
    bytes = body.length;
    if (i >= 3) samples.push(ms); // 3 warm-up requests
  }
  return { median: median(samples), p95: percentile(samples, 95), max: Math.max(...samples), bytes };
}

async function bulk(url: string, action: 'retry' | 'remove'): Promise<{ requestMs: number; totalMs: number; acted: number; polls: number }> {
  const page = await fetch(`${url}/failed`);
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const started = performance.now();
  const response = await fetch(`${url}/failed/bulk`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, action }).toString() });
  const requestMs = performance.now() - started;
  const location = response.headers.get('location');
  if (response.status !== 303 || !location) throw new Error(`bulk ${action}: ${response.status}`);
  let polls = 0;
  for (;;) {
    polls++;
    const progress = (await (await fetch(`${url.replace(/\/resque$/, '')}${location}/progress`)).json()) as { state: string; acted: number; error: string | null };
    if (progress.state !== 'running') {
      if (progress.state !== 'done') throw new Error(`bulk ${action} ended ${progress.state}: ${progress.error}`);
      return { requestMs, totalMs: performance.now() - started, acted: progress.acted, polls };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const fmt = (ms: number) => ms.toFixed(1);

async function main(): Promise<void> {
  const server = await ThrowAwayRedis.start();
  const redis = new Redis({ host: '127.0.0.1', port: server.port });
  const express = await boot(server, 'express');
  const seeding = performance.now();
  await seed(redis, express.app.get(QueueService));
  console.error(`seeded ${QUEUED.toLocaleString()} queued and ${FAILED.toLocaleString()} failed in ${((performance.now() - seeding) / 1000).toFixed(1)} s; used_memory ${(await redis.info('memory')).match(/used_memory_human:(\S+)/)?.[1]}`);
  const fastify = await boot(server, 'fastify');
  const pages: Array<[string, string]> = [
    ['Overview (last hour)', ''],
    ['Overview (last day, 1,440 points)', '?minutes=1440'],
    ['Queues', '/queues'],
    ['Queue of 910,000 jobs, first page', '/queues/default'],
    ['Queue of 910,000 jobs, page at 500,000', '/queues/default?start=500000'],
    ['Workers (50)', '/workers'],
    ['Failed jobs, first page', '/failed'],
    ['Failed jobs, last page', `/failed?start=${FAILED - 25}`],
    ['Failed job detail', '/failed/50000'],
    ['Failed filtered by class, 10,000 records scanned (the per-request cap)', '/failed?class=NoSuchJob'],
    ['Failed filtered by text, 10,000 records scanned', '/failed?text=no-such-text'],
  ];
  const rows: string[] = [];
  for (const [label, path] of pages) {
    const e = await time(express.url + path);
    const f = await time(fastify.url + path);
    rows.push(`| ${label} | ${fmt(e.median)} (p95 ${fmt(e.p95)}) | ${fmt(f.median)} (p95 ${fmt(f.p95)}) | ${(e.bytes / 1024).toFixed(1)} |`);
    console.error(rows.at(-1));
  }
  const retry = await bulk(express.url, 'retry');
  console.error(`retry all: ${JSON.stringify(retry)}; queue default now ${await redis.llen(keys.queue('default'))}`);
  await pushFailures(redis, FAILED);
  const remove = await bulk(express.url, 'remove');
  console.error(`remove all: ${JSON.stringify(remove)}; failed now ${await redis.llen(keys.failed)}`);

  console.log(`\n## Dashboard on big data (\`npm run bench:dashboard\`)\n`);
  console.log(`${QUEUED.toLocaleString('en-US')} queued jobs (10 queues, one of 910,000), ${FAILED.toLocaleString('en-US')} failure records (~0.9 KB each), 50 workers, a day of per-minute history; redis-server ${redisServerVersion()} on loopback, Node ${process.version}. Whole HTTP requests from the same process (fetch, HTML received), ${SAMPLES} samples after 3 warm-ups, milliseconds; load average at end ${(await import('node:os')).loadavg()[0]!.toFixed(2)}.\n`);
  console.log('| Page | Express: median ms | Fastify: median ms | HTML KB |');
  console.log('|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(`\nBulk actions through the dashboard (POST, then the progress JSON polled every 200 ms), Express:\n`);
  console.log('| Action | POST answered in | Done in | Records |');
  console.log('|---|---|---|---|');
  console.log(`| Retry all 100,000 failed | ${fmt(retry.requestMs)} ms | ${(retry.totalMs / 1000).toFixed(1)} s | ${retry.acted.toLocaleString('en-US')} |`);
  console.log(`| Remove all 100,000 failed | ${fmt(remove.requestMs)} ms | ${(remove.totalMs / 1000).toFixed(1)} s | ${remove.acted.toLocaleString('en-US')} |`);

  await express.app.close();
  await fastify.app.close();
  redis.disconnect();
  await server.stop();
}

await main();
