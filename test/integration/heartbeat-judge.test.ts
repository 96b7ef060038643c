/**
 * heartbeat.lua alone: a judge that has been connected for less than DEAD_AFTER judges nobody
 * stale, whatever the scores say (after an outage every score is old); once connected long enough
 * it judges on the scores. A live worker that a recovery unregistered is registered again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { judgeHeartbeats } from '../../lib/protocol/scripts/heartbeat.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';

let server: RedisServer;
let redis: Redis;
before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
}, { timeout: 20_000 });
after(async () => {
  redis?.disconnect();
  await server?.destroy();
});

const TEST = { timeout: 20_000 };
const DEAD_AFTER_MS = 30_000;

async function redisNow(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe('heartbeat.lua as a judge', () => {
  test('a worker silent for a minute: not stale to a judge connected 1 s ago, stale to one connected for 40 s', TEST, async () => {
    const keys = new ResqueKeys(uniquePrefix('hb'));
    const now = await redisNow();
    await redis.zadd(keys.alive, now - 60_000, 'other:1:q');

    const fresh = await judgeHeartbeats(redis, keys, ['me:1:q'], DEAD_AFTER_MS, now - 1_000);
    assert.deepEqual(fresh.stale, [], 'a judge back from an outage waits DEAD_AFTER before judging');
    assert.ok(Math.abs(fresh.now - now) < 5_000, 'the reply carries Redis time');

    const settled = await judgeHeartbeats(redis, keys, ['me:1:q'], DEAD_AFTER_MS, now - 40_000);
    assert.deepEqual(settled.stale, ['other:1:q']);
  });

  test('a live worker a recovery unregistered is registered again by its heartbeat, with a :started key', TEST, async () => {
    const keys = new ResqueKeys(uniquePrefix('hb'));
    await judgeHeartbeats(redis, keys, ['me:1:q'], DEAD_AFTER_MS, 0);
    assert.deepEqual(await redis.smembers(keys.workers), ['me:1:q']);
    const started = await redis.get(keys.workerStarted('me:1:q'));
    assert.ok(started);

    await redis.multi().srem(keys.workers, 'me:1:q').del(keys.workerStarted('me:1:q')).exec(); // what recover.lua does
    const again = await judgeHeartbeats(redis, keys, ['me:1:q', 'me:2:q'], DEAD_AFTER_MS, 0);
    assert.deepEqual(again.registeredAgain, ['me:1:q', 'me:2:q'], 'the caller learns which (its child writes worker:<id> again)');
    assert.deepEqual((await judgeHeartbeats(redis, keys, ['me:1:q'], DEAD_AFTER_MS, 0)).registeredAgain, []);
    assert.deepEqual((await redis.smembers(keys.workers)).sort(), ['me:1:q', 'me:2:q']);
    assert.ok(await redis.get(keys.workerStarted('me:1:q')));

    await redis.set(keys.workerStarted('me:1:q'), 'kept');
    await judgeHeartbeats(redis, keys, ['me:1:q'], DEAD_AFTER_MS, 0);
    assert.equal(await redis.get(keys.workerStarted('me:1:q')), 'kept', 'a registered worker keeps its start time');
  });
});
