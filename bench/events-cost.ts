// What events across processes cost (PUBLISH_EVENTS): the same in-process worker (the assembly a
// host's child runs) drains the same preloaded jobs with publishing off, on with nobody listening,
// and on with a subscriber in another process (redis-cli SUBSCRIBE). Each run on a throw-away
// redis-server; rounds alternate the variants; medians.
//   npm run build:all && node dist/bench/events-cost.js      (BENCH_JOBS=20000 BENCH_ROUNDS=5)
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Job, QueueService, ResqueModule, createInProcessWorker, type ResqueJob } from '../lib/index.js';
import { ResqueKeys } from '../lib/protocol/keys.js';
import { measureDrain } from './drain-cost.js';
import { ThrowAwayRedis } from './redis.js';
import { summarize } from './stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 20000);
let jobCount = JOBS;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

let sleepMs = 0;
@Job('bench')
class NoopJob implements ResqueJob<unknown> {
  perform(): void | Promise<void> {
    if (sleepMs > 0) return new Promise((resolve) => setTimeout(resolve, sleepMs));
  }
}

type Variant = 'off' | 'on' | 'on+subscriber';

async function measure(variant: Variant, concurrency: number): Promise<{ rate: number; redisCpuUs: number; workerCpuUs: number }> {
  const server = await ThrowAwayRedis.start();
  const url = `redis://127.0.0.1:${server.port}`;
  @Module({ imports: [ResqueModule.forRoot({ connection: url, prefix: 'resque' })], providers: [NoopJob] })
  class EventsBenchModule {}
  const app = await NestFactory.createApplicationContext(EventsBenchModule, { logger: ['error', 'warn'] });
  const subscriber =
    variant === 'on+subscriber' ? spawn('redis-cli', ['-p', String(server.port), 'SUBSCRIBE', new ResqueKeys('resque').events], { stdio: ['ignore', 'pipe', 'ignore'] }) : undefined;
  try {
    if (subscriber) await once(subscriber.stdout!, 'data'); // subscribed
    const queue = app.get(QueueService);
    const items = Array.from({ length: jobCount }, (_, i) => ({ userId: i, email: `u${i}@example.com` }));
    await queue.enqueueBulk('bench', 'NoopJob', items);
    return await measureDrain(server, jobCount, variant, (onFinished) =>
      createInProcessWorker(app, {
        settings: { queues: ['bench'], concurrency, interval: 0, publishEvents: variant !== 'off' },
        onFinished,
      }),
    );
  } finally {
    subscriber?.kill('SIGKILL');
    await app.close();
    await server.stop();
  }
}

const variants: Variant[] = ['off', 'on', 'on+subscriber'];
const rows = [
  `| Concurrency, job | events off (jobs/s) | on, nobody listening | on, one subscriber | ratio on+subscriber / off | worker CPU per job off → on+subscriber (µs) | Redis CPU per job off → on+subscriber (µs) |`,
  '|---|---|---|---|---|---|---|',
];
/** [concurrency, ms each job awaits (a timer: I/O), jobs]: no-op jobs at the default and at the best setting, and jobs that take time. */
const SCENARIOS: Array<[number, number, number]> = [[1, 0, JOBS], [200, 0, JOBS], [50, 5, Math.min(JOBS, 10000)]];
for (const [concurrency, ms, jobs] of SCENARIOS) {
  sleepMs = ms;
  jobCount = jobs;
  const rates: Record<Variant, number[]> = { off: [], on: [], 'on+subscriber': [] };
  const cpus: Record<Variant, number[]> = { off: [], on: [], 'on+subscriber': [] };
  const own: Record<Variant, number[]> = { off: [], on: [], 'on+subscriber': [] };
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round, so drift on a shared machine hits every variant alike.
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(k + round) % variants.length];
      const { rate, redisCpuUs, workerCpuUs } = await measure(variant, concurrency);
      rates[variant].push(rate);
      cpus[variant].push(redisCpuUs);
      own[variant].push(workerCpuUs);
      console.error(`[events-cost] concurrency ${concurrency} ${ms}ms ${variant}: ${Math.round(rate)} jobs/s, worker ${workerCpuUs.toFixed(1)} µs/job, Redis ${redisCpuUs.toFixed(1)} µs/job`);
    }
  }
  const m = (v: Variant) => summarize(rates[v]).median;
  const c = (v: Variant) => summarize(cpus[v]).median;
  const w = (v: Variant) => summarize(own[v]).median;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  rows.push(
    `| ${concurrency}, ${ms === 0 ? 'no-op' : `${ms} ms awaited`} (${jobs.toLocaleString('en-US')} jobs) | ${fmt(m('off'))} | ${fmt(m('on'))} (${((m('on') / m('off')) * 100).toFixed(0)}%) | ${fmt(m('on+subscriber'))} | ${(m('on+subscriber') / m('off')).toFixed(2)}× | ${w('off').toFixed(1)} → ${w('on+subscriber').toFixed(1)} | ${c('off').toFixed(1)} → ${c('on+subscriber').toFixed(1)} |`,
  );
}
console.log(`${ROUNDS} rounds, medians; in-process worker (interval 0: drain and exit); load average ${os.loadavg()[0]!.toFixed(1)} at the end\n`);
console.log(rows.join('\n'));
