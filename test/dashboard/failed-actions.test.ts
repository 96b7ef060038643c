/**
 * Retry and remove of failure records (act-on-failed.lua through failed-actions.ts) and the
 * chunked filtered search, on a private Redis: a record is acted on only while it is the same
 * record at its index; a retry pushes the payload bytes unchanged and wakes idle workers; a sweep
 * covers the whole list across chunks and leaves non-matching records in order.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { ResqueClient, ResqueKeys } from '../../lib/index.js';
import { actOnFailed, sweepFailed, SWEEP_CHUNK, type SweepProgress } from '../../lib/client/failed-actions.js';
import { digestOf, failedEntries, searchFailed } from '../../lib/client/failed-records.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';
import { failureRecord, pushFailures } from './support/failure-records.js';

let server: RedisServer;
let redis: Redis;
let keys: ResqueKeys;
let client: ResqueClient;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
beforeEach(() => {
  keys = new ResqueKeys(uniquePrefix('failed'));
  client = new ResqueClient({ redis, keys });
});
after(async () => {
  redis.disconnect();
  await server.destroy();
});

test('retry pushes the payload bytes unchanged onto its queue, removes the record and wakes idle workers', async () => {
  // PHP's escaped slash and a 64-bit id must survive byte for byte
  const payload = '{"class":"Php\\/Job","args":[{"id":9007199254740993}],"id":"abc","queue_time":1.5}';
  const record = `{"failed_at":"2026-12-02T04:00:00Z","payload":${payload},"exception":"Error","error":"x","backtrace":[],"worker":"w:1:q","queue":"php"}`;
  await redis.rpush(keys.failed, failureRecord({}, 1), record, failureRecord({}, 3));
  const result = await actOnFailed(client, 'retry', [{ index: 1, digest: digestOf(record) }]);
  assert.deepEqual(result, { acted: 1, changed: 0, unretryable: 0 });
  assert.deepEqual(await redis.lrange(keys.queue('php'), 0, -1), [payload]);
  assert.equal(await redis.sismember(keys.queues, 'php'), 1);
  assert.deepEqual(await redis.lrange(keys.failed, 0, -1), [failureRecord({}, 1), failureRecord({}, 3)], 'the others stay, in order');
  const wake = await redis.xrange(keys.wake, '-', '+');
  assert.deepEqual(wake.map(([, fields]) => fields), [['q', 'php']]);
});

test('a record that moved or changed since it was read is left alone; an unretryable one stays', async () => {
  await redis.rpush(keys.failed, failureRecord({}, 0), failureRecord({}, 1), 'not json', failureRecord({}, 3));
  const entries = await failedEntries(client, 0, 4);
  await redis.lpop(keys.failed); // someone else removed record 0: every index shifted by one
  const shifted = await actOnFailed(client, 'remove', [{ index: 1, digest: entries[1]!.digest }]);
  assert.deepEqual(shifted, { acted: 0, changed: 1, unretryable: 0 }, 'index 1 now holds another record');
  assert.equal(await redis.llen(keys.failed), 3);
  const moved = await actOnFailed(client, 'remove', [{ index: 0, digest: entries[1]!.digest }]);
  assert.deepEqual(moved, { acted: 1, changed: 0, unretryable: 0 }, 'at its new index it is found');
  const junk = await actOnFailed(client, 'retry', [{ index: 0, digest: digestOf('not json') }]);
  assert.deepEqual(junk, { acted: 0, changed: 0, unretryable: 1 });
  assert.deepEqual(await redis.lrange(keys.failed, 0, -1), ['not json', failureRecord({}, 3)]);
});

test('a sweep retries every record matching a filter across chunks and keeps the rest in order', async () => {
  const count = SWEEP_CHUNK * 2 + 345;
  await pushFailures(redis, keys, count, (n) => failureRecord({ className: n % 3 === 0 ? 'MatchJob' : 'OtherJob', exception: n % 2 ? 'TimeoutError' : 'Error' }, n));
  const progress: SweepProgress[] = [];
  const done = await sweepFailed(client, 'retry', { className: 'MatchJob', exception: 'Error' }, (p) => progress.push(p));
  const expected = Array.from({ length: count }, (_, n) => n).filter((n) => n % 3 === 0 && n % 2 === 0);
  assert.equal(done.acted, expected.length);
  assert.equal(done.scanned, count);
  assert.equal(progress.length, 3, 'progress after each chunk');
  assert.deepEqual(
    (await redis.lrange(keys.queue('dash'), 0, -1)).map((p) => (JSON.parse(p) as { args: [{ n: number }] }).args[0].n),
    expected,
    'each matching job queued once, in list order',
  );
  const left = (await redis.lrange(keys.failed, 0, -1)).map((r) => (JSON.parse(r) as { payload: { args: [{ n: number }] } }).payload.args[0].n);
  assert.deepEqual(left, Array.from({ length: count }, (_, n) => n).filter((n) => !expected.includes(n)));
});

test('a sweep removes everything it found at the start and nothing pushed meanwhile; it stops when asked', async () => {
  await pushFailures(redis, keys, 2500);
  const done = await sweepFailed(client, 'remove', null, () => void redis.rpush(keys.failed, failureRecord({ className: 'Newcomer' }, 9)));
  assert.equal(done.acted, 2500);
  const left = await redis.lrange(keys.failed, 0, -1);
  assert.ok(left.length >= 1 && left.every((r) => r.includes('Newcomer')), 'records added during the sweep stay');

  await pushFailures(redis, keys, 3000);
  const controller = new AbortController();
  const stopped = await sweepFailed(client, 'remove', { className: 'DashboardFlakyJob' }, () => controller.abort(), controller.signal);
  assert.equal(stopped.scanned, SWEEP_CHUNK, 'stopped after the first chunk');
});

test('a filtered search reads at most its limit of records and says where to go on', async () => {
  await pushFailures(redis, keys, 5000, (n) => failureRecord({ queue: n === 4321 ? 'rare' : 'dash', error: n === 17 ? 'Needle in the haystack' : 'hay' }, n));
  const first = await searchFailed(client, { queue: 'rare' }, 0, { scanLimit: 2000 });
  assert.deepEqual([first.matches.length, first.next, first.scanned, first.total], [0, 2000, 2000, 5000]);
  const on = await searchFailed(client, { queue: 'rare' }, 4000, { scanLimit: 2000 });
  assert.deepEqual(on.matches.map((m) => m.index), [4321]);
  assert.equal(on.next, null, 'the end of the list');
  assert.equal(on.matches[0]!.digest, digestOf((await redis.lindex(keys.failed, 4321))!));
  const text = await searchFailed(client, { text: 'needle IN' }, 0, { limit: 1 });
  assert.deepEqual([text.matches.map((m) => m.index), text.next], [[17], 18], 'text matches any case; a full page says where it stopped');
});
