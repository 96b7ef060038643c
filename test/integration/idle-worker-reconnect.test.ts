/**
 * An idle worker blocked on the wake-up stream whose connection drops (a Sentinel failover, a
 * network blip) must look at the queues again once it is back, not resume its blocked read: on
 * a promoted replica the queues may hold jobs it already took from the old primary, so no
 * producer adds a wake-up, and a worker still blocked would sit out INTERVAL (here 30 s; the
 * test allows 10). Real Redis; the drop is CLIENT KILL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { createPerformer } from '../../lib/worker/job-performer.js';
import { RedisWorkerOperations } from '../../lib/worker/redis-operations.js';
import { WorkerLoop } from '../../lib/worker/worker-loop.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';
import { waitFor } from '../support/wait.js';

let server: RedisServer;
let admin: Redis;
const cleanups: Array<() => Promise<void>> = [];

before(async () => {
  server = await RedisServer.start();
  admin = new Redis(server.url);
});
after(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  admin?.disconnect();
  await server?.destroy();
});

test('a blocked idle worker whose connections drop looks at the queues again (a job that came with no wake-up is taken before INTERVAL)', { timeout: 15_000 }, async () => {
  const keys = new ResqueKeys(uniquePrefix());
  const client = new Redis(server.url, { maxRetriesPerRequest: null });
  const ops = new RedisWorkerOperations({ redis: client, keys, target: { workerId: 'h:1:q', workerName: 'h:1', queues: ['q'] }, blocking: true, maxCrashRequeues: 3 });
  const seen: unknown[] = [];
  const perform = createPerformer({ keys, workerId: 'h:1:q', run: async (ctx) => seen.push(ctx.data) });
  const loop = new WorkerLoop(ops, perform, { concurrency: 1, maxJobs: 1, interval: 30, prefetch: 0 });
  const done = loop.run();
  cleanups.push(async () => {
    loop.stop();
    await ops.close();
    client.disconnect();
  });
  await waitFor(async () => / cmd=xread /.test(String(await admin.call('CLIENT', 'LIST', 'TYPE', 'normal'))), 'the worker blocked in XREAD', 5_000);
  // A job in its queue, as a promoted replica may hold it: no wake-up entry.
  await admin.multi().sadd(keys.queues, 'q').rpush(keys.queue('q'), '{"class":"J","args":["left over"]}').exec();
  await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
  await waitFor(() => seen.length === 1, 'the job taken after the reconnect', 10_000);
  await done;
  assert.deepEqual(seen, ['left over']);
});
