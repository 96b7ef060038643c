// The dashboard's Metrics page over 8 hours of per-class metrics: 480 minute hashes of 20 classes
// (every counter and 4 histogram slots each: 140 fields a hash), Express, whole requests.
//   npm run build:all && node dist/bench/class-metrics-page.js
import 'reflect-metadata';
import os from 'node:os';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ResqueModule } from '../lib/index.js';
import { ResqueDashboardModule } from '../lib/dashboard/index.js';
import { ResqueKeys } from '../lib/protocol/keys.js';
import { ThrowAwayRedis } from './redis.js';
import { percentile, summarize } from './stats.js';

const server = await ThrowAwayRedis.start();
const url = `redis://127.0.0.1:${server.port}`;
@Module({ imports: [ResqueModule.forRoot({ connection: url, prefix: 'resque' }), ResqueDashboardModule.forRoot({ public: true, history: false })] })
class PageBenchModule {}
const app = await NestFactory.create(PageBenchModule, { logger: ['error'] });
try {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const { Redis } = await import('ioredis');
  const redis = new Redis(url);
  const keys = new ResqueKeys('resque');
  const now = Math.floor(Date.now() / 60_000);
  for (let m = 0; m < 480; m++) {
    const fields: Array<string | number> = [];
    for (let c = 0; c < 20; c++) fields.push(`App::Job${c}:processed`, 100 + c, `App::Job${c}:failed`, c, `App::Job${c}:ms`, 5000 + c, `App::Job${c}:b2`, 50, `App::Job${c}:b4`, 30, `App::Job${c}:b6`, 15, `App::Job${c}:b8`, 5);
    await redis.hset(keys.classMetrics(now - m), ...fields.map(String));
  }
  redis.disconnect();
  const rows = ['| Metrics page | median (p95) ms | HTML KB |', '|---|---|---|'];
  for (const minutes of [60, 480]) {
    const times: number[] = [];
    let size = 0;
    for (let i = 0; i < 33; i++) {
      const t0 = performance.now();
      const body = await (await fetch(`http://127.0.0.1:${port}/resque/metrics?minutes=${minutes}`)).text();
      if (i >= 3) times.push(performance.now() - t0);
      size = body.length;
      if (!body.includes('App::Job19')) throw new Error('the page lacks a class');
    }
    const s = summarize(times);
    rows.push(`| last ${minutes / 60} h (${minutes} hashes × 20 classes) | ${s.median.toFixed(1)} (${percentile(times, 95).toFixed(1)}) | ${(size / 1024).toFixed(1)} |`);
  }
  console.log(`30 samples after 3 warm-ups, Express; load average ${os.loadavg()[0]!.toFixed(1)}\n\n${rows.join('\n')}`);
} finally {
  await app.close();
  await server.stop();
}
