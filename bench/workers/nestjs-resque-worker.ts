// nestjs-resque worker child: exactly what a worker child of the forked host runs (the Nest
// context, JobRunner, reliable reservation, batched acknowledgements: createChildWorker), driven
// by the bench harness instead of the host, so the harness can count every job. Options:
// { concurrency, blocking }.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { JobRegistry, JobRunner, RESQUE_REDIS } from '../../lib/index.js';
import { resolveSettings } from '../../lib/options/worker-settings.js';
import type { OwnedRedis } from '../../lib/redis/connection.js';
import { createChildWorker } from '../../lib/worker/child/child-worker.js';
import { runWorkerHarness } from './harness.js';

runWorkerHarness(async (cfg, hooks) => {
  process.env.BENCH_REDIS_URL = `redis://${cfg.redis.host}:${cfg.redis.port}`;
  const { BenchModule, benchHooks } = await import('./nestjs-resque-bench.module.js');
  benchHooks.performed = hooks.performed;
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  const runner = app.get(JobRunner);
  const worker = await createChildWorker({
    appRedis: app.get<OwnedRedis>(RESQUE_REDIS).client,
    settings: resolveSettings({
      queues: [cfg.queue],
      concurrency: Number(cfg.options.concurrency ?? 1),
      blocking: cfg.options.blocking !== false,
      interval: 5,
    }),
    maxJobs: 0,
    run: (context) => runner.run(context),
    policies: app.get(JobRegistry).policies(),
    onFinished: (jobs) => {
      for (const job of jobs) {
        if (job.outcome === 'ok') hooks.completed();
        else hooks.failed(new Error(`job failed: ${job.record.tail}`));
      }
    },
  });
  let running: Promise<void> | undefined;
  return {
    start() {
      running = worker.run().catch((error) => hooks.failed(error));
    },
    async stop() {
      worker.loop.stop();
      await running;
      await app.close();
    },
  };
});
