/**
 * The failed list is bounded when asked (FAILED_MAX: oldest records trimmed, by the worker's
 * acknowledgements and by recoveries), and a record never copies a huge class name into its error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { InvalidSettingError, ResqueKeys } from '../../lib/index.js';
import { settingsFromEnv, resolveSettings } from '../../lib/options/worker-settings.js';
import { failureRecordParts } from '../../lib/protocol/failure.js';
import { encodeInflightEntry } from '../../lib/protocol/inflight-entry.js';
import { recoverWorker } from '../../lib/protocol/scripts/recover-worker.js';
import { UnknownJobClassError } from '../../lib/errors/unknown-job-class.error.js';
import { createPerformer } from '../../lib/worker/job-performer.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';
import { InProcessWorker } from '../interop/fixtures/in-process-worker.js';

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

test('FAILED_MAX: a setting of the environment and of the module, off (0) by default', () => {
  assert.equal(resolveSettings().failedMax, 0);
  assert.equal(settingsFromEnv({ FAILED_MAX: '500' }).failedMax, 500);
  assert.equal(resolveSettings({ failedMax: 20 }).failedMax, 20);
  for (const bad of ['-1', 'abc', '1.5']) assert.throws(() => settingsFromEnv({ FAILED_MAX: bad }), InvalidSettingError, bad);
});

test('the worker keeps the newest FAILED_MAX records and counts every failure', async () => {
  const keys = new ResqueKeys(uniquePrefix('cap'));
  const raws = Array.from({ length: 30 }, (_, i) => `{"class":"Nobody","args":[${i}]}`);
  await redis.rpush(keys.queue('cap'), ...raws);
  const worker = new InProcessWorker({ server, db: 0, keys, queues: ['cap'], maxJobs: 30, failedMax: 10, run: () => { throw new Error('no'); } });
  await worker.run();
  await worker.close();
  const records = (await redis.lrange(keys.failed, 0, -1)).map((r) => JSON.parse(r) as { payload: { args: number[] } });
  assert.deepEqual(records.map((r) => r.payload.args[0]), Array.from({ length: 10 }, (_, i) => 20 + i), 'the 10 newest, oldest trimmed');
  assert.equal(await redis.get(keys.statFailed()), '30');
});

test('without FAILED_MAX nothing is trimmed', async () => {
  const keys = new ResqueKeys(uniquePrefix('cap'));
  await redis.rpush(keys.queue('cap'), ...Array.from({ length: 15 }, (_, i) => `{"class":"Nobody","args":[${i}]}`));
  const worker = new InProcessWorker({ server, db: 0, keys, queues: ['cap'], maxJobs: 15, run: () => { throw new Error('no'); } });
  await worker.run();
  await worker.close();
  assert.equal(await redis.llen(keys.failed), 15);
});

test('a recovery that fails jobs trims the failed list too', async () => {
  const keys = new ResqueKeys(uniquePrefix('cap'));
  await redis.rpush(keys.failed, 'old-1', 'old-2', 'old-3');
  const id = 'host:1:cap';
  await redis.hset(keys.inflight(id), 't1', encodeInflightEntry('cap', '{"class":"A","args":[1]}'), 't2', encodeInflightEntry('cap', '{"class":"A","args":[2]}'));
  const record = failureRecordParts({ exception: 'DirtyExit', error: 'gone', backtrace: [], worker: id, queue: 'cap' });
  const result = await recoverWorker(redis, keys, id, ['t1', 't2'].map((token) => ({ token, queue: 'cap', action: 'fail' as const, record })), {
    maxCrashRequeues: 3,
    unregister: true,
    failedMax: 3,
  });
  assert.deepEqual(result, { requeued: 0, failed: 2 });
  const left = await redis.lrange(keys.failed, 0, -1);
  assert.equal(left.length, 3);
  assert.equal(left[0], 'old-3');
  assert.deepEqual(left.slice(1).map((r) => JSON.parse(r).payload.args[0]), [1, 2]);
});

test('a 1 MB class name is cut in the error text: the record holds it once (in the payload), not twice', async () => {
  const name = `Huge${'x'.repeat(1_000_000)}`;
  const error = new UnknownJobClassError(name, ['Known']);
  assert.ok(error.message.length < 1_000, `message is ${error.message.length} characters`);
  assert.match(error.message, /…\(\+\d+ chars\)/);
  const perform = createPerformer({ keys: new ResqueKeys(), workerId: 'h:1:q', run: async (ctx) => { throw new UnknownJobClassError(ctx.className, ['Known']); } });
  const raw = JSON.stringify({ class: name, args: [] });
  const finished = await perform({ token: '1', queue: 'q', raw });
  assert.equal(finished.outcome, 'fail');
  if (finished.outcome !== 'fail') return;
  const text = finished.record.head + raw + finished.record.tail;
  assert.ok(text.length < raw.length + 2_000, `record is ${text.length} characters for a ${raw.length}-character payload`);
  // Any error text is bounded, whatever threw it.
  const long = failureRecordParts({ exception: 'E'.repeat(10_000), error: 'm'.repeat(100_000), backtrace: [], worker: 'w', queue: 'q' });
  assert.ok(long.tail.length < 6_000, `tail is ${long.tail.length}`);
});
