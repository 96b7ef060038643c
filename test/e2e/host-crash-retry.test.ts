/**
 * End to end: a `retryOnCrash` class with retries treats a crash (its child killed) and a timeout
 * as failed attempts: back through the delayed queue with the class's backoff, counted with its
 * other attempts, one failure record once none is left. A real worker host with its scheduler.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';

const TEST = { timeout: 40_000 };
const env = useHostTestEnvironment();

interface Attempt {
  readonly attempt: number;
  readonly at: number;
  readonly pid: number;
}

async function attempts(t: E2eRedis, count: number): Promise<Attempt[]> {
  return waitFor(async () => {
    const list = (await env.redis.lrange(t.keys.key('test:attempts'), 0, -1)).map((line) => JSON.parse(line) as Attempt);
    return list.length >= count ? list : undefined;
  }, `${count} attempts`, 30_000);
}

describe('worker host: crashes of retryOnCrash jobs use the retry backoff and count', () => {
  test('a job that kills its process every time runs `attempts` times, 1 s then 2 s apart, then fails once', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    env.hosts.start(t.env({ COUNT: '1' }));
    const id = await t.pushPhp('CrashRetryJob', { succeedOn: 0 });

    const [record] = await t.waitForFailed(1, 30_000);
    const runs = await attempts(t, 3);
    assert.deepEqual(runs.map((r) => r.attempt), [1, 2, 3], 'context.attempt counts the crashed attempts');
    assert.equal(new Set(runs.map((r) => r.pid)).size, 3, 'each attempt in a new child (the last one crashed)');
    // The due second is rounded up: never earlier than the backoff asked (lower bounds only).
    assert.ok(runs[1].at - runs[0].at >= 1_000, `second attempt ${runs[1].at - runs[0].at} ms after the first`);
    assert.ok(runs[2].at - runs[1].at >= 2_000, `third attempt ${runs[2].at - runs[1].at} ms after the second`);
    assert.equal(record.exception, 'DirtyExit');
    assert.equal((record.payload as { id: string }).id, id, 'the job keeps its id through the delayed queue');
    assert.equal((await t.failed()).length, 1, 'only the last attempt writes a failure record');
    await waitFor(async () => (await t.status(id))?.status === 3, 'status FAILED');
    assert.equal(await env.redis.hlen(t.keys.retryInfo), 0, 'the count is cleared once the job failed for good');
    assert.equal(await env.redis.exists(t.keys.crashRequeues), 0, 'not counted as a crash requeue');
    assert.equal(await t.queueLength(), 0);
  });

  test('a job that crashes once then succeeds: attempt 2 completes, no failure record, retry info gone', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    env.hosts.start(t.env());
    const id = await t.pushPhp('CrashRetryJob', { succeedOn: 2 });
    const [done] = await t.waitForDone(1, 20_000);
    assert.equal(done.job, 'CrashRetryJob');
    const runs = await attempts(t, 2);
    assert.deepEqual(runs.map((r) => r.attempt), [1, 2]);
    await waitFor(async () => (await t.status(id))?.status === 4, 'status COMPLETE');
    assert.deepEqual(await t.failed(), []);
    await waitFor(async () => (await env.redis.hlen(t.keys.retryInfo)) === 0, 'retry info cleared after the success');
  });

  test('a timeout of a retryOnCrash job with retries is a failed attempt too: retried after its backoff', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    env.hosts.start(t.env());
    const id = await t.pushPhp('TimeoutRetryJob', { n: 1 });
    const [done] = await t.waitForDone(1, 20_000);
    assert.equal(done.job, 'TimeoutRetryJob');
    const runs = await attempts(t, 2);
    assert.deepEqual(runs.map((r) => r.attempt), [1, 2]);
    assert.ok(runs[1].at - runs[0].at >= 400 + 500, `retried ${runs[1].at - runs[0].at} ms after the first start (timeout 400 + backoff 500)`);
    await waitFor(async () => (await t.status(id))?.status === 4, 'status COMPLETE');
    assert.deepEqual(await t.failed(), []);
  });
});
