// What events across processes cost (PUBLISH_EVENTS): the same in-process worker (the assembly a
// host's child runs) drains the same preloaded jobs with publishing off, on with nobody listening,
// and on with a subscriber in another process (redis-cli SUBSCRIBE). Each run on a throw-away
// redis-server; rounds alternate the variants; medians.
//   npm run build:all && node dist/bench/events-cost.js      (BENCH_JOBS=20000 BENCH_ROUNDS=5)
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Job, QueueService, ResqueModule, createInProcessWorker, type ResqueJob } from '../lib/index.js';
import { ResqueKeys } from '../lib/protocol/keys.js';
import { ThrowAwayRedis } from './redis.js';
import { summarize } from './stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

@Job('bench')
class NoopJob implements ResqueJob<unknown> {
  perform(): void {}
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
    const items = Array.from({ length: JOBS }, (_, i) => ({ userId: i, email: `u${i}@example.com` }));
    await queue.enqueueBulk('bench', 'NoopJob', items);
    let acknowledged = 0;
    const worker = await createInProcessWorker(app, {
      settings: { queues: ['bench'], concurrency, interval: 0, publishEvents: variant !== 'off' },
      onFinished: (jobs) => {
        acknowledged += jobs.length;
      },
    });
    const cpu0 = await server.cpuSeconds();
    const own0 = process.cpuUsage();
    const t0 = performance.now();
    await worker.run();
    const seconds = (performance.now() - t0) / 1000;
    const own = process.cpuUsage(own0);
    const cpu = (await server.cpuSeconds()) - cpu0;
    if (acknowledged !== JOBS) throw new Error(`${variant}: ${acknowledged} of ${JOBS} acknowledged`);
    return { rate: JOBS / seconds, redisCpuUs: (cpu / JOBS) * 1e6, workerCpuUs: (own.user + own.system) / JOBS };
  } finally {
    subscriber?.kill('SIGKILL');
    await app.close();
    await server.stop();
  }
}

const variants: Variant[] = ['off', 'on', 'on+subscriber'];
const rows = [
  `| Concurrency | events off (jobs/s) | on, nobody listening | on, one subscriber | ratio on+subscriber / off | worker CPU per job off → on+subscriber (µs) | Redis CPU per job off → on+subscriber (µs) |`,
  '|---|---|---|---|---|---|---|',
];
for (const concurrency of [1, 200]) {
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
      console.error(`[events-cost] concurrency ${concurrency} ${variant}: ${Math.round(rate)} jobs/s, worker ${workerCpuUs.toFixed(1)} µs/job, Redis ${redisCpuUs.toFixed(1)} µs/job`);
    }
  }
  const m = (v: Variant) => summarize(rates[v]).median;
  const c = (v: Variant) => summarize(cpus[v]).median;
  const w = (v: Variant) => summarize(own[v]).median;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  rows.push(
    `| ${concurrency} | ${fmt(m('off'))} | ${fmt(m('on'))} (${((m('on') / m('off')) * 100).toFixed(0)}%) | ${fmt(m('on+subscriber'))} | ${(m('on+subscriber') / m('off')).toFixed(2)}× | ${w('off').toFixed(1)} → ${w('on+subscriber').toFixed(1)} | ${c('off').toFixed(1)} → ${c('on+subscriber').toFixed(1)} |`,
  );
}
console.log(`${JOBS.toLocaleString('en-US')} no-op jobs per run, ${ROUNDS} rounds, medians; in-process worker (interval 0: drain and exit)\n`);
console.log(rows.join('\n'));
