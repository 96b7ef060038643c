// The raw floor's worker: one LPOP per job on a bare ioredis connection, the job counted as soon as
// it is parsed. When the list is empty it blocks (BLPOP, 1 s at a time so 'stop' is seen).
import { Redis } from 'ioredis';
import { runWorkerHarness } from './harness.js';
import { rawQueueKey } from './raw-job.js';
import type { JobPayload } from '../protocol.js';

runWorkerHarness(async (cfg, hooks) => {
  const redis = new Redis({ host: cfg.redis.host, port: cfg.redis.port });
  await redis.ping();
  const key = rawQueueKey(cfg.queue);
  let stopped = false;
  let loop: Promise<void> | undefined;
  const run = async () => {
    while (!stopped) {
      let raw = await redis.lpop(key);
      if (raw === null) raw = (await redis.blpop(key, 1))?.[1] ?? null;
      if (raw === null) continue;
      hooks.performed((JSON.parse(raw) as { args: [JobPayload] }).args[0]);
      hooks.completed();
    }
  };
  return {
    start() {
      loop = run().catch((e) => hooks.failed(e));
    },
    async stop() {
      stopped = true;
      await loop;
      redis.disconnect();
    },
  };
});
