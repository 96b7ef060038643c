/**
 * The scripts alone: a worker presumed dead (its jobs recovered by recover.lua, which leaves
 * tombstones) acknowledges the jobs after all (exchange.lua). The records end consistent and
 * each run is counted once, in every case the README names.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { failureRecordParts } from '../../lib/protocol/failure.js';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { JobExchange, type FinishedJob } from '../../lib/protocol/scripts/exchange-jobs.js';
import { recoverWorker } from '../../lib/protocol/scripts/recover-worker.js';
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
const record = (worker: string) => failureRecordParts({ exception: 'DirtyExit', error: 'stopped sending heartbeats', backtrace: [], worker, queue: 'q' });

/** A prefix with one tracked job in queue `q`, reserved by worker W; returns what a test needs. */
async function reservedByW() {
  const keys = new ResqueKeys(uniquePrefix('late'));
  const payload = '{"class":"Job","args":[1],"id":"abc"}';
  const statusKey = keys.jobStatus('abc');
  await redis.multi().sadd(keys.queues, 'q').rpush(keys.queue('q'), payload).set(statusKey, '{"status":1,"updated":1}').exec();
  const w = new JobExchange(redis, keys, { workerId: 'h:1:q', workerName: 'h:1', queues: ['q'] });
  const [job] = await w.exchange([], 1, 1);
  assert.ok(job);
  const count = async (name: 'processed' | 'failed') => Number((await redis.get(name === 'processed' ? keys.statProcessed() : keys.statFailed())) ?? 0);
  const recover = (action: 'fail' | 'requeue') =>
    recoverWorker(redis, keys, 'h:1:q', [{ token: job.token, queue: 'q', statusKey, action, record: record('h:1:q') }], { maxCrashRequeues: 5, unregister: true });
  const status = async () => (JSON.parse((await redis.get(statusKey)) ?? 'null') as { status: number } | null)?.status;
  return { keys, payload, statusKey, w, job, count, recover, status };
}

describe('late acknowledgement of a job recovered from a worker presumed dead', () => {
  test('failed by the recovery, then completed: the failure record is removed, stat:failed undone, COMPLETE, counted once', TEST, async () => {
    const { keys, w, job, statusKey, count, recover, status } = await reservedByW();
    assert.deepEqual(await recover('fail'), { requeued: 0, failed: 1 });
    assert.equal(await redis.llen(keys.failed), 1);
    assert.equal(await status(), 3);

    await w.exchange([{ token: job.token, statusKey, outcome: 'ok' }], 0, 100);
    assert.equal(await redis.llen(keys.failed), 0);
    assert.equal(await count('failed'), 0);
    assert.equal(await count('processed'), 1);
    assert.equal(await status(), 4);
    assert.equal(await redis.hlen(keys.recovered('h:1:q')), 0, 'the tombstone is used up');

    await w.exchange([{ token: job.token, statusKey, outcome: 'ok' }], 0, 100); // a resent acknowledgement
    assert.equal(await count('processed'), 1);
  });

  test('failed by the recovery, its record gone meanwhile (trimmed, retried by hand), then completed: still COMPLETE, stat:failed undone', TEST, async () => {
    const { keys, w, job, statusKey, count, recover, status } = await reservedByW();
    await recover('fail');
    await redis.del(keys.failed);
    await w.exchange([{ token: job.token, statusKey, outcome: 'ok' }], 0, 100);
    assert.equal(await count('failed'), 0);
    assert.equal(await status(), 4);
  });

  test('failed by the recovery, then failed here too: one failure, counted once', TEST, async () => {
    const { keys, w, job, statusKey, count, recover } = await reservedByW();
    await recover('fail');
    const failed: FinishedJob = { token: job.token, statusKey, outcome: 'fail', record: record('h:1:q') };
    await w.exchange([failed], 0, 100);
    assert.equal(await redis.llen(keys.failed), 1);
    assert.equal(await count('failed'), 1);
    assert.equal(await count('processed'), 1);
  });

  test('requeued by the recovery and still queued, then completed: the copy is taken back, counted once', TEST, async () => {
    const { keys, w, job, statusKey, count, recover, status } = await reservedByW();
    assert.deepEqual(await recover('requeue'), { requeued: 1, failed: 0 });
    assert.equal(await redis.llen(keys.queue('q')), 1);

    await w.exchange([{ token: job.token, statusKey, outcome: 'ok' }], 0, 100);
    assert.equal(await redis.llen(keys.queue('q')), 0, 'no second run');
    assert.equal(await count('processed'), 1);
    assert.equal(await redis.llen(keys.failed), 0);
    assert.equal(await status(), 4);
  });

  test('requeued and already taken by another worker: both runs are counted by whoever finishes them', TEST, async () => {
    const { keys, job, statusKey, count, recover } = await reservedByW();
    await recover('requeue');
    const v = new JobExchange(redis, keys, { workerId: 'h:2:q', workerName: 'h:2', queues: ['q'] });
    const [again] = await v.exchange([], 1, 1);
    assert.ok(again, 'the other worker took the requeued copy');

    const said: string[] = [];
    const late = new JobExchange(redis, keys, { workerId: 'h:1:q', workerName: 'h:1', queues: ['q'], onTakenMeanwhile: (token) => said.push(token) });
    assert.deepEqual(await late.exchange([{ token: job.token, statusKey, outcome: 'ok' }], 0, 100), []);
    assert.deepEqual(said, [job.token], 'the late worker is told it may have run twice');
    await v.exchange([{ token: again.token, statusKey, outcome: 'ok' }], 0, 100);
    assert.equal(await count('processed'), 2);
    assert.equal(await redis.llen(keys.failed), 0);
  });

  test('an acknowledgement of a token neither in flight nor recovered counts nothing', TEST, async () => {
    const { w, count } = await reservedByW();
    await w.exchange([{ token: '999999', outcome: 'ok' }], 0, 100);
    assert.equal(await count('processed'), 0);
  });
});
