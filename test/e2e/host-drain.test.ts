/**
 * End to end: INTERVAL=0 is php-resque's drain-and-exit mode: a real host works until the queues
 * are empty, its children exit, and it exits 0, without polling an empty queue in between.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis, E2E_QUEUE } from './support/e2e-redis.js';

const TEST = { timeout: 40_000 };
const env = useHostTestEnvironment();

function commandCalls(info: string): number {
  return [...info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)]
    .filter(([, name]) => name !== 'info' && name !== 'config|resetstat')
    .reduce((sum, [, , n]) => sum + Number(n), 0);
}

describe('worker host: INTERVAL=0', () => {
  test('works until the queues are empty, then the host exits 0', TEST, async (context) => {
    const t = new E2eRedis(env.server, env.redis);
    const jobs = 30;
    for (let n = 0; n < jobs; n++) await t.push('SlowJob', { ms: 20, n });
    await env.redis.config('RESETSTAT');
    const host = env.hosts.start(t.env({ INTERVAL: '0', COUNT: '2', CONCURRENCY: '3' }));
    const exit = await host.waitForExit(30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, host.output());
    assert.equal((await t.done()).length, jobs);
    assert.equal(await env.redis.llen(t.keys.queue(E2E_QUEUE)), 0);
    assert.deepEqual(await t.inflightKeys(), []);
    assert.deepEqual(await t.workers(), [], 'workers unregistered');
    // Start-up, registration, heartbeats, one exchange per few jobs and the test's records: no polling.
    const calls = commandCalls(await env.redis.info('commandstats'));
    context.diagnostic(`${calls} Redis commands for ${jobs} jobs, start-up and exit included`);
    assert.ok(calls < 40 * jobs, `${calls} Redis commands for ${jobs} jobs`);
  });

  test('with nothing queued the host exits 0 at once', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ INTERVAL: '0' }));
    const exit = await host.waitForExit(20_000);
    assert.deepEqual(exit, { code: 0, signal: null }, host.output());
  });
});
