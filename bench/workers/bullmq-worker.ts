// BullMQ worker child. Options: { concurrency: number }.
import { Worker } from 'bullmq';
import { runWorkerHarness } from './harness.js';
import type { JobPayload } from '../protocol.js';

runWorkerHarness(async (cfg, hooks) => {
  const concurrency = Number(cfg.options.concurrency ?? 1);
  const worker = new Worker<JobPayload>(
    cfg.queue,
    async (job) => {
      hooks.performed(job.data);
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
