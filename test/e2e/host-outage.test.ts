/**
 * End to end: Redis down for longer than DEAD_AFTER while two hosts run long jobs. When Redis is
 * back, no host may take another's live workers for dead: every judge counts staleness only from
 * when it was itself connected, and by then the live hosts have beaten again.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';

const TEST = { timeout: 60_000 };
/** Short liveness: an outage of 3.5 s is well past DEAD_AFTER. */
const LIVENESS = { HEARTBEAT_INTERVAL: '0.3', DEAD_AFTER: '2' };
// AOF with fsync always: Redis comes back with exactly what it acknowledged (the jobs in flight).
const env = useHostTestEnvironment({ persistent: true });

describe('worker host: Redis outage longer than DEAD_AFTER', () => {
  test('two hosts with long jobs: Redis stopped 3.5 s (DEAD_AFTER 2 s); no job failed, none ran twice, both workers stay registered', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const a = env.hosts.start(t.env(LIVENESS));
    const b = env.hosts.start(t.env(LIVENESS));
    const ids = [await t.pushPhp('SlowJob', { ms: 7000, tag: 'one' }), await t.pushPhp('SlowJob', { ms: 7000, tag: 'two' })];
    await t.waitForStarted(2, 20_000);
    const [childA] = await a.waitForChildren(1);
    const [childB] = await b.waitForChildren(1);
    const workers = [`${hostname()}:${childA}:e2e`, `${hostname()}:${childB}:e2e`].sort();
    await waitFor(async () => (await env.redis.zcard(t.keys.alive)) === 2, 'both workers heartbeating');

    const stoppedAt = Date.now();
    await env.server.stop();
    await new Promise((resolve) => setTimeout(resolve, 3500)); // the outage's length
    await env.server.start();
    const outageMs = Date.now() - stoppedAt;

    const done = await t.waitForDone(2, 30_000);
    assert.deepEqual(done.map((d) => (d.data as { tag: string }).tag).sort(), ['one', 'two']);
    // Give a wrong recovery every chance to show: a few judging rounds after the jobs ended.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(await t.failed(), [], `no job failed (outage ${outageMs} ms)\n${a.output()}\n${b.output()}`);
    assert.equal(await t.stat('failed'), 0);
    assert.equal(await t.stat('processed'), 2);
    assert.equal((await t.done()).length, 2, 'each job ran once');
    for (const id of ids) assert.equal((await t.status(id))?.status, 4);
    assert.deepEqual(await t.workers(), workers, 'both live workers are still registered');
    assert.ok(a.running && b.running);
  });
});
