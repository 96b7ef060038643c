/**
 * The shared per-minute history of the stat counters (sample-stats.lua), with an injected clock:
 * one sample a minute whoever samples, bounded to its window, and counts per minute with gaps
 * where nobody sampled and after a reset of the counters.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { ResqueClient, ResqueKeys } from '../../lib/index.js';
import { countsPerMinute, readStatHistory, sampleStats, StatSampler } from '../../lib/client/stat-history.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';
import { waitFor } from '../support/wait.js';

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

const MINUTE = 60_000;
const T0 = 29_400_000 * MINUTE; // a whole minute

test('the first sample of a minute wins, whoever writes it; older samples than the window are dropped', async () => {
  const keys = new ResqueKeys(uniquePrefix('history'));
  const a = new ResqueClient({ redis, keys });
  const b = new ResqueClient({ redis: redis.duplicate(), keys });
  try {
    await redis.set(keys.statProcessed(), 10);
    assert.equal(await sampleStats(a, T0 + 1000), true);
    await redis.set(keys.statProcessed(), 99);
    assert.equal(await sampleStats(b, T0 + 30_000), false, 'a second host sampling the same minute writes nothing');
    assert.deepEqual(await readStatHistory(a, 0), [{ minute: T0 / MINUTE, processed: 10, failed: 0 }]);
    for (let k = 1; k <= 5; k++) await sampleStats(a, T0 + k * MINUTE, 3);
    assert.deepEqual((await readStatHistory(a, 0)).map((s) => s.minute - T0 / MINUTE), [2, 3, 4, 5], 'the last 3 minutes before the newest, and it');
    await redis.zadd(keys.statHistory, T0 / MINUTE + 4, 'written by something else');
    assert.equal((await readStatHistory(a, 0)).length, 4, 'members that are not ours are skipped');
  } finally {
    b.redis.disconnect();
  }
});

test('counts per minute: deltas of consecutive samples, the running minute up to now, gaps and resets as null', () => {
  const m = T0 / MINUTE;
  const samples = [
    { minute: m, processed: 100, failed: 1 },
    { minute: m + 1, processed: 160, failed: 1 },
    // m + 2 not sampled
    { minute: m + 3, processed: 300, failed: 4 },
    { minute: m + 4, processed: 5, failed: 0 }, // counters reset
  ];
  const counts = countsPerMinute(samples, m + 4, 5, { processed: 25, failed: 2 });
  assert.deepEqual(counts, [
    { minute: m, processed: 60, failed: 0 },
    { minute: m + 1, processed: null, failed: null },
    { minute: m + 2, processed: null, failed: null },
    { minute: m + 3, processed: null, failed: null },
    { minute: m + 4, processed: 20, failed: 2 },
  ]);
});

test('StatSampler samples at once and then on its interval, and stops', async () => {
  const keys = new ResqueKeys(uniquePrefix('sampler'));
  const client = new ResqueClient({ redis, keys });
  let now = T0;
  const sampler = new StatSampler(client, { everyMs: 20, now: () => now });
  sampler.start();
  await waitFor(async () => (await readStatHistory(client, 0)).length === 1, 'the first sample');
  now += MINUTE;
  await waitFor(async () => (await readStatHistory(client, 0)).length === 2, 'the next minute sampled');
  await sampler.stop();
  now += MINUTE;
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal((await readStatHistory(client, 0)).length, 2, 'nothing after stop');
});
