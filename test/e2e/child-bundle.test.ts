/**
 * End to end: the host bundles its worker entry and children boot from the bundle (with a code
 * cache); a bundled child that cannot boot makes the host fork the entry as it is.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';

const TEST = { timeout: 60_000 };
const env = useHostTestEnvironment();
const REFUSING_ENTRY = fileURLToPath(new URL('../fixtures/bundle-refusing.worker.js', import.meta.url));

describe('worker host: bundled children', () => {
  test('by default children boot from the bundle and run jobs', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env());
    const line = await host.waitForLine(/started: /, 30_000);
    assert.match(line, /a child boots in \d+ ms \(bundled entry, /);
    await t.push('EchoJob', { n: 1 });
    const [done] = await t.waitForDone(1);
    assert.deepEqual(done.data, { n: 1 });
  });

  test('RESQUE_BUNDLE=0 forks the entry as it is', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ RESQUE_BUNDLE: '0' }));
    assert.match(await host.waitForLine(/started: /, 30_000), /\(unbundled: RESQUE_BUNDLE=0\)/);
  });

  test('a bundled child that dies before it is ready makes the host fork the unbundled entry, which runs the jobs', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env(), [], REFUSING_ENTRY);
    await host.waitForLine(/the bundled child failed to boot; forking the unbundled entry instead/, 30_000);
    assert.match(await host.waitForLine(/started: /, 30_000), /\(unbundled: the bundled child failed to boot\)/);
    await t.push('EchoJob', { n: 2 });
    const [done] = await t.waitForDone(1);
    assert.deepEqual(done.data, { n: 2 });
  });
});
