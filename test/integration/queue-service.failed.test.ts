import 'reflect-metadata';
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { FailedJobNotFoundError, InvalidFailureRecordError, QueueService, type ResqueKeys } from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';
import { parseExact } from '../../lib/protocol/exact-json.js';

// Failure records as each Resque writes them (resque-protocol.md §8.1).
const rubyPayload = '{"class":"UserJob","args":[{"user_id":42}]}';
const ruby =
  `{"failed_at":"2024/06/10 12:34:56 UTC","payload":${rubyPayload},"exception":"Resque::DirtyExit",` +
  '"error":"Child process received unhandled signal pid 4243 SIGKILL (signal 9)","backtrace":[],"worker":"web1:4242:UserJobQueue","queue":"UserJobQueue"}';
const phpPayload = '{"class":"App\\\\Jobs\\\\Mail","args":[{"url":"a\\/b","big":12345678901234567890}],"id":"3f2c9a8e5b1d4c7a9e0f1a2b3c4d5e6f","queue_time":1718022896.123456}';
const php =
  `{"failed_at":"Mon Jun 10 12:34:56 UTC 2024","payload":${phpPayload},"exception":"RuntimeException",` +
  '"error":"boom","backtrace":["#0 {main}"],"worker":"web2:77:mail","queue":"mail"}';
const node =
  '{"worker":"web3:9","queue":"node","payload":{"class":"Add","queue":"node","args":[1,2]},"exception":"Error","error":"nope",' +
  '"backtrace":null,"failed_at":"Mon Jun 10 2024 12:34:56 GMT+0000 (Coordinated Universal Time)"}';

let server: RedisServer;
let redis: Redis;
let app: TestingModule;
let keys: ResqueKeys;
let queues: QueueService;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  ({ app, keys } = await bootResque(server, []));
  queues = app.get(QueueService);
});
after(async () => {
  await app.close();
  redis.disconnect();
  await server.destroy();
});
beforeEach(async () => {
  await redis.del(keys.failed, keys.queue('UserJobQueue'), keys.queue('mail'), keys.queues);
  await redis.rpush(keys.failed, ruby, php, 'not json', node);
});

test('failed() lists records with their index; text that is not JSON comes back raw with record null', async () => {
  assert.equal(await queues.failedCount(), 4);
  const list = await queues.failed();
  assert.deepEqual(list.map((f) => f.index), [0, 1, 2, 3]);
  assert.equal(list[0].record?.exception, 'Resque::DirtyExit');
  assert.equal(list[1].record?.queue, 'mail');
  assert.deepEqual(list[2], { index: 2, raw: 'not json', record: null });
  assert.equal(list[3].record?.worker, 'web3:9');
  assert.deepEqual((await queues.failed(1, 2)).map((f) => f.index), [1, 2]);
});

test('retryFailed marks retried_at in place and pushes the payload bytes unchanged (Ruby requeue)', async () => {
  await queues.retryFailed(1);
  assert.equal(await redis.llen(keys.failed), 4, 'the record stays');
  const record = await redis.lindex(keys.failed, 1);
  assert.match(record!, /,"retried_at":"\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d UTC"\}$/);
  assert.ok(record!.startsWith(php.slice(0, -1)), 'the rest of the record is untouched');
  assert.deepEqual(await redis.lrange(keys.queue('mail'), 0, -1), [phpPayload]);
  assert.equal(await redis.sismember(keys.queues, 'mail'), 1);
  await queues.retryFailed(1);
  assert.equal((await redis.lindex(keys.failed, 1))!.match(/retried_at/g)?.length, 1, 'a second retry updates the mark');
  assert.equal(await redis.llen(keys.queue('mail')), 2);
});

test('removeFailed deletes exactly one record by index', async () => {
  await queues.removeFailed(1);
  assert.deepEqual(await redis.lrange(keys.failed, 0, -1), [ruby, 'not json', node]);
  await assert.rejects(queues.removeFailed(10), FailedJobNotFoundError);
  assert.equal(await redis.llen(keys.failed), 3);
});

test('retryAndRemoveFailed requeues and removes in one step', async () => {
  await queues.retryAndRemoveFailed(0);
  assert.deepEqual(await redis.lrange(keys.failed, 0, -1), [php, 'not json', node]);
  assert.deepEqual(await redis.lrange(keys.queue('UserJobQueue'), 0, -1), [rubyPayload]);
});

test('records that cannot be retried are refused and nothing changes', async () => {
  await assert.rejects(queues.retryFailed(2), InvalidFailureRecordError);
  await assert.rejects(queues.retryFailed(99), FailedJobNotFoundError);
  await assert.rejects(queues.retryAndRemoveFailed(2), InvalidFailureRecordError);
  assert.deepEqual(await redis.lrange(keys.failed, 0, -1), [ruby, php, 'not json', node]);
  assert.equal(await redis.scard(keys.queues), 0);
});

test('clearFailed deletes the list and reports how many there were', async () => {
  assert.equal(await queues.clearFailed(), 4);
  assert.equal(await redis.exists(keys.failed), 0);
  assert.equal(await queues.clearFailed(), 0);
});

test('workers() and stats() read what Ruby, PHP, node and we write', async () => {
  const ours = 'box:100:mail,reports';
  const php = 'web2:77:*';
  const idle = 'web3:9:node';
  await redis.sadd(keys.workers, ours, php, idle);
  await redis.set(keys.workerStarted(ours), '2024-06-10T12:34:56Z');
  await redis.set(keys.workerStarted(php), 'Mon Jun 10 12:34:56 UTC 2024');
  await redis.set(keys.workerStarted(idle), '1718022896');
  await redis.hset(keys.heartbeats, ours, '2024-06-10T12:35:56Z');
  await redis.set(keys.worker(ours), `{"queue":"mail","run_at":"2024-06-10T12:35:00Z","payload":${rubyPayload}}`);
  await redis.set(keys.worker(php), `{"queue":"mail","run_at":"Mon Jun 10 12:35:00 UTC 2024","payload":${phpPayload}}`);
  await redis.set(keys.statProcessed(), '12');
  await redis.set(keys.statFailed(), '4');
  await redis.sadd(keys.queues, 'mail', 'empty');
  await redis.rpush(keys.queue('mail'), 'a', 'b', 'c');

  const workers = await queues.workers();
  assert.deepEqual(workers, [
    {
      id: ours, host: 'box', pid: 100, queues: ['mail', 'reports'], started: '2024-06-10T12:34:56Z', heartbeat: '2024-06-10T12:35:56Z',
      job: { queue: 'mail', run_at: '2024-06-10T12:35:00Z', payload: { class: 'UserJob', args: [{ user_id: 42 }] } },
    },
    {
      id: php, host: 'web2', pid: 77, queues: ['*'], started: 'Mon Jun 10 12:34:56 UTC 2024', heartbeat: null,
      job: { queue: 'mail', run_at: 'Mon Jun 10 12:35:00 UTC 2024', payload: parseExact(phpPayload).value },
    },
    { id: idle, host: 'web3', pid: 9, queues: ['node'], started: '1718022896', heartbeat: null },
  ]);
  assert.deepEqual(await queues.stats(), { processed: 12, failed: 4, queues: 2, workers: 3, working: 2, pending: 3 });
  await redis.del(keys.workers);
});
