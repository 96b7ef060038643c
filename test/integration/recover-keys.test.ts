/**
 * recover.lua touches only keys it is given in KEYS (so on a Redis Cluster every key is declared
 * and in the namespace's slot): the requeued job's queue and its status key come from the caller,
 * which read the in-flight entry first; an entry whose queue is not the declared one is left alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { ResqueKeys } from '../../lib/index.js';
import { failureRecordParts } from '../../lib/protocol/failure.js';
import { encodeInflightEntry } from '../../lib/protocol/inflight-entry.js';
import { recoverWorker } from '../../lib/protocol/scripts/recover-worker.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';

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

const record = failureRecordParts({ exception: 'DirtyExit', error: 'gone', backtrace: [], worker: 'h:1:a', queue: 'a' });

test('requeues to the declared queue key and marks the declared status key; two jobs of one queue share its key', async () => {
  const keys = new ResqueKeys(uniquePrefix('rk'));
  const id = 'h:1:a';
  const tracked = '{"class":"A","args":[1],"id":"abc"}';
  await redis.set(keys.jobStatus('abc'), '{"status":2,"updated":1}');
  await redis.hset(keys.inflight(id), 't1', encodeInflightEntry('a', tracked), 't2', encodeInflightEntry('a', '{"class":"A","args":[2]}'), 't3', encodeInflightEntry('b', '{"class":"B","args":[3]}'));
  const result = await recoverWorker(
    redis,
    keys,
    id,
    [
      { token: 't1', queue: 'a', statusKey: keys.jobStatus('abc'), action: 'requeue', record },
      { token: 't2', queue: 'a', action: 'requeue', record },
      { token: 't3', queue: 'b', action: 'fail', record },
    ],
    { maxCrashRequeues: 3, unregister: true },
  );
  assert.deepEqual(result, { requeued: 2, failed: 1 });
  assert.deepEqual(await redis.lrange(keys.queue('a'), 0, -1), ['{"class":"A","args":[2]}', tracked]);
  assert.equal(JSON.parse((await redis.get(keys.jobStatus('abc')))!).status, 1, 'WAITING again');
  assert.equal(await redis.llen(keys.failed), 1);
  assert.equal(await redis.exists(keys.inflight(id)), 0, 'unregistered: nothing left in flight');
});

test('an entry whose queue is not the declared one stays in flight (nothing undeclared is touched)', async () => {
  const keys = new ResqueKeys(uniquePrefix('rk'));
  const id = 'h:1:a';
  await redis.hset(keys.inflight(id), 't1', encodeInflightEntry('real', '{"class":"A","args":[1]}'));
  const result = await recoverWorker(redis, keys, id, [{ token: 't1', queue: 'other', action: 'requeue', record }], { maxCrashRequeues: 3, unregister: true });
  assert.deepEqual(result, { requeued: 0, failed: 0 });
  assert.equal(await redis.hlen(keys.inflight(id)), 1);
  assert.equal(await redis.exists(keys.queue('real')), 0);
  assert.equal(await redis.exists(keys.queue('other')), 0);
});
