// The public in-process worker: the loop without the host, on the application's own Nest context.
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { Job, QueueService, createInProcessWorker, type FinishedJob, type ResqueJob, type ResqueKeys } from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';
import { waitFor } from '../support/wait.js';

const performed: number[] = [];

@Job('inproc')
class CountJob implements ResqueJob<{ n: number }> {
  async perform(data: { n: number }): Promise<void> {
    performed.push(data.n);
    if (data.n === 3) throw new Error('three fails');
  }
}

let server: RedisServer;
let redis: Redis;
let app: TestingModule;
let keys: ResqueKeys;
let stopWorker: (() => Promise<void>) | undefined;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  ({ app, keys } = await bootResque(server, [CountJob], { worker: { queues: ['inproc'], heartbeatInterval: 0.2, deadAfter: 1 } }));
});
after(async () => {
  await stopWorker?.();
  await app.close();
  redis.disconnect();
  await server.destroy();
});

test('createInProcessWorker runs the queued jobs once each, reports acknowledgements, heartbeats, and unregisters on stop', async () => {
  const queue = app.get(QueueService);
  for (let n = 1; n <= 20; n++) await queue.enqueue('inproc', 'CountJob', { n });
  const acknowledged: FinishedJob[] = [];
  const worker = await createInProcessWorker(app, { settings: { concurrency: 4 }, onFinished: (jobs) => acknowledged.push(...jobs) });
  let running: Promise<void> | undefined;
  // Whatever fails below, after() stops the worker and closes its connection.
  stopWorker = async () => {
    worker.stop();
    await (running ?? worker.run());
  };
  assert.equal(worker.settings.concurrency, 4);
  assert.deepEqual(worker.settings.queues, ['inproc'], 'ResqueModule worker options apply under the given settings');
  assert.equal(await redis.sismember(keys.workers, worker.workerId), 1, 'registered before run(), under the module prefix');
  running = worker.run();
  await waitFor(() => acknowledged.length === 20, '20 acknowledgements');
  assert.deepEqual([...performed].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.equal(acknowledged.filter((job) => job.outcome === 'fail').length, 1);
  assert.equal(await redis.llen(keys.failed), 1);

  // Its own heartbeat keeps it alive past DEAD_AFTER (1 s): no host would recover it as dead.
  const first = Number(await redis.zscore(keys.alive, worker.workerId));
  await waitFor(async () => Number(await redis.zscore(keys.alive, worker.workerId)) > first, 'a later heartbeat', 5000);

  worker.stop();
  await running;
  assert.equal(await redis.sismember(keys.workers, worker.workerId), 0);
  assert.equal(await redis.zscore(keys.alive, worker.workerId), null);
});
