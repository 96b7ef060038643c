// nestjs-resque worker child: the package's public in-process worker (createInProcessWorker: the
// same assembly a forked host's child runs: Nest context, JobRunner, reliable reservation, batched
// acknowledgements), driven by the bench harness instead of the host, so the harness can count
// every job. Options: { concurrency, blocking?, interval? } (unset = the library's defaults).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createInProcessWorker, type WorkerSettings } from '../../lib/index.js';
import { runWorkerHarness } from './harness.js';

runWorkerHarness(async (cfg, hooks) => {
  process.env.BENCH_REDIS_URL = `redis://${cfg.redis.host}:${cfg.redis.port}`;
  const { BenchModule, benchHooks } = await import('./nestjs-resque-bench.module.js');
  benchHooks.performed = hooks.performed;
  benchHooks.sleepMs = Number(cfg.options.sleepMs ?? 0);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  const settings: { -readonly [K in keyof WorkerSettings]?: WorkerSettings[K] } = {
    queues: [cfg.queue],
    concurrency: Number(cfg.options.concurrency ?? 1),
  };
  if (typeof cfg.options.blocking === 'boolean') settings.blocking = cfg.options.blocking;
  if (typeof cfg.options.interval === 'number') settings.interval = cfg.options.interval;
  const worker = await createInProcessWorker(app, {
    settings,
    onFinished: (jobs) => {
      for (const job of jobs) {
        if (job.outcome === 'ok') hooks.completed();
        else if (job.outcome === 'fail') hooks.failed(new Error(`job failed: ${job.record.tail}`));
      }
    },
  });
  let running: Promise<void> | undefined;
  return {
    start() {
      running = worker.run().catch((error) => hooks.failed(error));
    },
    async stop() {
      worker.stop();
      await running;
      await app.close();
    },
  };
});
