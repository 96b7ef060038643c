// What the dashboard's per-class metrics cost (always on): the same in-process worker (the assembly
// a host's child runs) drains the same preloaded no-op jobs with the per-class writer off and on.
// Each run on a throw-away redis-server; rounds alternate the order; medians.
//   npm run build:all && node dist/bench/class-metrics-cost.js      (BENCH_JOBS=20000 BENCH_ROUNDS=3)
import 'reflect-metadata';
import os from 'node:os';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Job, QueueService, ResqueModule, createInProcessWorker, type ResqueJob } from '../lib/index.js';
import { measureDrain } from './drain-cost.js';
import { ThrowAwayRedis } from './redis.js';
import { summarize } from './stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

@Job('bench')
class NoopJob implements ResqueJob<unknown> {
  perform(): void {}
}

type Variant = 'off' | 'on';

async function measure(variant: Variant, concurrency: number): Promise<{ rate: number; redisCpuUs: number; workerCpuUs: number }> {
  const server = await ThrowAwayRedis.start();
  @Module({ imports: [ResqueModule.forRoot({ connection: `redis://127.0.0.1:${server.port}`, prefix: 'resque' })], providers: [NoopJob] })
  class ClassMetricsBenchModule {}
  const app = await NestFactory.createApplicationContext(ClassMetricsBenchModule, { logger: ['error', 'warn'] });
  try {
    const queue = app.get(QueueService);
    await queue.enqueueBulk('bench', 'NoopJob', Array.from({ length: JOBS }, (_, i) => ({ userId: i })));
    return await measureDrain(server, JOBS, variant, (onFinished) =>
      createInProcessWorker(app, {
        settings: { queues: ['bench'], concurrency, interval: 0 },
        classMetrics: variant === 'on',
        onFinished,
      }),
    );
  } finally {
    await app.close();
    await server.stop();
  }
}

const variants: Variant[] = ['off', 'on'];
const rows = ['| Concurrency | per-class metrics off (jobs/s) | on (jobs/s) | ratio on / off | worker CPU per job off → on (µs) | Redis CPU per job off → on (µs) |', '|---|---|---|---|---|---|'];
for (const concurrency of [1, 200]) {
  const rates: Record<Variant, number[]> = { off: [], on: [] };
  const cpus: Record<Variant, number[]> = { off: [], on: [] };
  const own: Record<Variant, number[]> = { off: [], on: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(k + round) % variants.length]!;
      const { rate, redisCpuUs, workerCpuUs } = await measure(variant, concurrency);
      rates[variant].push(rate);
      cpus[variant].push(redisCpuUs);
      own[variant].push(workerCpuUs);
      console.error(`[class-metrics-cost] concurrency ${concurrency} ${variant}: ${Math.round(rate)} jobs/s, worker ${workerCpuUs.toFixed(1)} µs/job, Redis ${redisCpuUs.toFixed(1)} µs/job`);
    }
  }
  const m = (v: Variant) => summarize(rates[v]).median;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  rows.push(
    `| ${concurrency} (${JOBS.toLocaleString('en-US')} no-op jobs) | ${fmt(m('off'))} | ${fmt(m('on'))} | ${(m('on') / m('off')).toFixed(2)}× | ${summarize(own.off).median.toFixed(1)} → ${summarize(own.on).median.toFixed(1)} | ${summarize(cpus.off).median.toFixed(1)} → ${summarize(cpus.on).median.toFixed(1)} |`,
  );
}
console.log(`${ROUNDS} rounds, medians; in-process worker (interval 0: drain and exit); load average ${os.loadavg()[0]!.toFixed(1)} at the end\n`);
console.log(rows.join('\n'));
