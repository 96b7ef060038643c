/**
 * The Workers page names each worker's Resque from what it wrote: ours (a real in-process worker,
 * in `workers:alive`), node-resque (epoch-seconds start, `worker` field), Ruby (Time#to_s start,
 * heartbeat), PHP (strftime start) and unknown; text from Redis is escaped.
 */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createInProcessWorker } from '../../lib/index.js';
import { workerImplementation } from '../../lib/protocol/worker-implementation.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { startDashboardApp } from './support/dashboard-app.js';

const T = { timeout: 30_000 };
let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.destroy();
});

test('start-time formats tell the implementations apart', () => {
  const none = { ours: false, heartbeat: null };
  assert.equal(workerImplementation({ ...none, ours: true, started: '2026-12-02T05:51:01Z' }), 'nestjs-resque');
  assert.equal(workerImplementation({ ...none, started: '1764654661' }), 'node-resque');
  assert.equal(workerImplementation({ ...none, started: null, workingOnWorker: 'web:12' }), 'node-resque');
  assert.equal(workerImplementation({ ...none, started: '2026-12-02 05:51:01 +0000' }), 'Ruby resque');
  assert.equal(workerImplementation({ ...none, started: 'Wed Dec 02 05:51:01 UTC 2026' }), 'php-resque');
  assert.equal(workerImplementation({ ...none, started: '2026-12-02T05:51:01Z', heartbeat: '2026-12-02T05:51:01Z' }), 'Ruby resque');
  assert.equal(workerImplementation({ ...none, started: '2026-12-02T05:51:01Z' }), 'unknown');
});

test('the Workers page has a column naming each worker\'s implementation', T, async () => {
  const dash = await startDashboardApp(server);
  const worker = await createInProcessWorker(dash.app, { settings: { queues: ['dash'], interval: 0.05, blocking: false, heartbeatInterval: 1 } });
  const done = worker.run();
  try {
    const { keys } = dash;
    const seed: Array<[string, string]> = [
      ['node-1:300:dash', '1764654661'],
      ['ruby-1:400:mail', '2026-12-02 05:51:01 +0000'],
      ['php-1:500:mail', 'Wed Dec 02 05:51:01 UTC 2026'],
      ['<b>odd</b>:600:x', 'whenever'],
    ];
    for (const [id, started] of seed) {
      await redis.sadd(keys.workers, id);
      await redis.set(keys.workerStarted(id), started);
    }
    await waitFor(async () => (await redis.zscore(keys.alive, worker.workerId)) !== null, 'our worker to heartbeat');
    const page = await (await fetch(`${dash.url}/workers`)).text();
    const cell = (id: string) => new RegExp(`data-implementation="${id.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'))}">(?:<span[^>]*>)?([^<]+)<`).exec(page)?.[1];
    assert.equal(cell(worker.workerId), 'nestjs-resque');
    assert.equal(cell('node-1:300:dash'), 'node-resque');
    assert.equal(cell('ruby-1:400:mail'), 'Ruby resque');
    assert.equal(cell('php-1:500:mail'), 'php-resque');
    assert.equal(cell('<b>odd</b>:600:x'), 'unknown');
    assert.ok(!page.includes('<b>odd</b>'), 'the id is escaped');
  } finally {
    worker.stop();
    await done;
    await dash.close();
  }
});
