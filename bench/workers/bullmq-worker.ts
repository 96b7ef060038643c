// BullMQ worker child. Options: { concurrency: number, sleepMs?: number (each job awaits that long) }.
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import { runWorkerHarness } from './harness.js';
import type { JobPayload } from '../protocol.js';

runWorkerHarness(async (cfg, hooks) => {
  const concurrency = Number(cfg.options.concurrency ?? 1);
  const sleepMs = Number(cfg.options.sleepMs ?? 0);
  const worker = new Worker<JobPayload>(
    cfg.queue,
    async (job) => {
      hooks.performed(job.data);
      if (sleepMs > 0) await sleep(sleepMs);
    },
    {
      connection: { host: cfg.redis.host, port: cfg.redis.port, maxRetriesPerRequest: null },
      concurrency,
      autorun: false,
    },
  );
  worker.on('completed', () => hooks.completed());
  worker.on('failed', (_job, err) => hooks.failed(err));
  worker.on('error', (err) => hooks.failed(err));
  await worker.waitUntilReady();
  return {
    start() {
      worker.run().catch((e) => hooks.failed(e));
    },
    async stop() {
      await worker.close(true);
    },
  };
});
