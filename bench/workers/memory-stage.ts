// One stage of the memory breakdown (bench/memory.ts): a process that loads and does what its stage
// names, cumulatively, then reports VmHWM / VmRSS and V8's view. Stages:
//   node       nothing (an IPC child)
//   ioredis    + ioredis loaded, one connection, PING
//   nest       + Nest application context of an empty module (reflect-metadata, @nestjs/core)
//   module     + the benchmark's module instead: ResqueModule + one @Job (our module's providers)
//   worker     + createInProcessWorker, BENCH_MEM_JOBS pre-queued no-op jobs run at concurrency 1
//   bullmq     BullMQ Worker (concurrency 1) running the same number of jobs: the comparison
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';

const stage = process.env.BENCH_MEM_STAGE!;
const redisUrl = process.env.BENCH_REDIS_URL!;
const jobs = Number(process.env.BENCH_MEM_JOBS ?? 20000);
const ORDER = ['node', 'ioredis', 'nest', 'module', 'worker'];
const upTo = (s: string) => ORDER.indexOf(stage) >= ORDER.indexOf(s) && ORDER.includes(stage);

function status(field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;
}

async function main(): Promise<void> {
  const closers: Array<() => Promise<unknown> | void> = [];
  if (upTo('ioredis')) {
    const { Redis } = await import('ioredis');
    const redis = new Redis(redisUrl);
    await redis.ping();
    closers.push(() => redis.disconnect());
  }
  if (upTo('nest')) {
    await import('reflect-metadata');
    const { NestFactory } = await import('@nestjs/core');
    const { Module } = await import('@nestjs/common');
    let app;
    if (upTo('module')) {
      const { BenchModule } = await import('./nestjs-resque-bench.module.js');
      app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
    } else {
      class Empty {}
      Module({})(Empty);
      app = await NestFactory.createApplicationContext(Empty, { logger: ['error', 'warn'] });
    }
    closers.push(() => app.close());
    if (upTo('worker')) {
      const { createInProcessWorker } = await import('../../lib/index.js');
      let done = 0;
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const worker = await createInProcessWorker(app, {
        settings: { queues: ['bench'], concurrency: 1 },
        onFinished: (acknowledged) => {
          done += acknowledged.length;
          if (done >= jobs) finish();
        },
      });
      const running = worker.run();
      await finished;
      worker.stop();
      await running;
    }
  }
  if (stage === 'bullmq') {
    const { Worker } = await import('bullmq');
    let done = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const url = new URL(redisUrl);
    const worker = new Worker('bench', async () => undefined, {
      connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null },
      concurrency: 1,
    });
    worker.on('completed', () => {
      if (++done >= jobs) finish();
    });
    await finished;
    closers.push(() => worker.close(true));
  }
  const heap = v8.getHeapStatistics();
  const mem = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size / 2 ** 20]));
  process.send!({
    hwm: status('VmHWM'),
    rss: status('VmRSS'),
    heapTotal: heap.total_physical_size / 2 ** 20,
    heapUsed: mem.heapUsed / 2 ** 20,
    external: mem.external / 2 ** 20,
    newSpace: spaces.new_space ?? 0,
    codeSpace: (spaces.code_space ?? 0) + (spaces.code_large_object_space ?? 0),
  });
  for (const close of closers.reverse()) await close();
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
