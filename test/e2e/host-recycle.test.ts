/**
 * End to end: long-lived children are recycled between jobs, after MAX_JOBS_PER_CHILD jobs or once
 * their memory passes MAX_CHILD_MEMORY_MB: the child takes nothing more, acknowledges what it ran
 * and exits cleanly, and a replacement takes over. Nothing is dropped or failed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis, E2E_QUEUE } from './support/e2e-redis.js';
import { isAlive } from './support/host-process.js';

const TEST = { timeout: 60_000 };
const env = useHostTestEnvironment();

describe('worker host: child recycling', () => {
  test('a 100 MB payload pushes the child past MAX_CHILD_MEMORY_MB: it is replaced between jobs, nothing dropped or failed', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ MAX_CHILD_MEMORY_MB: '300' }));
    const blob = 'x'.repeat(100 * 2 ** 20);
    await env.redis.multi().sadd(t.keys.queues, E2E_QUEUE).rpush(t.keys.queue(E2E_QUEUE), JSON.stringify({ class: 'BigJob', args: [{ blob }] })).exec();
    for (let n = 0; n < 3; n++) await t.push('EchoJob', { n });

    const done = await t.waitForDone(4, 30_000);
    const big = done.find((d) => d.job === 'BigJob')!;
    console.log(`# BigJob ran in ${big.pid} at ${(big.data as { rssMb: number }).rssMb} MB RSS; echo jobs in ${done.filter((d) => d.job === 'EchoJob').map((d) => d.pid).join(',')}`);
    assert.equal((big.data as { length: number }).length, blob.length);
    for (const echo of done.filter((d) => d.job === 'EchoJob')) assert.notEqual(echo.pid, big.pid, 'a fresh child ran the next jobs');
    await waitFor(() => !isAlive(big.pid), `the recycled child ${big.pid} to exit`);
    assert.deepEqual(await t.failed(), []);
    assert.equal(await t.stat('processed'), 4);
    assert.equal(await t.queueLength(), 0);
    await host.waitForLine(/recycl/);
    assert.ok(host.running);
  });

  test('MAX_JOBS_PER_CHILD=2: five jobs run in three children, in order, none dropped', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    env.hosts.start(t.env({ MAX_JOBS_PER_CHILD: '2' }));
    for (let n = 0; n < 5; n++) await t.push('EchoJob', { n });

    const done = await t.waitForDone(5, 30_000);
    assert.deepEqual(done.map((d) => (d.data as { n: number }).n), [0, 1, 2, 3, 4]);
    const pids = done.map((d) => d.pid);
    assert.equal(pids[0], pids[1]);
    assert.equal(pids[2], pids[3]);
    assert.equal(new Set(pids).size, 3, `children ${pids.join(',')}`);
    assert.deepEqual(await t.failed(), []);
    // The last job's done record is written inside perform, before its acknowledgement lands.
    await waitFor(async () => (await t.stat('processed')) === 5, 'all five acknowledged');
  });
});
