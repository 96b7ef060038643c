/**
 * End to end: a host during its start-up (its first child booting, Redis being reached). QUIT or
 * TERM then ends it like at any other time (exit 0, nothing left behind); a Redis that is down or
 * restarting while the host starts is waited for within REDIS_STARTUP_TIMEOUT.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';
import { groupAlive, type HostProcess } from './support/host-process.js';

const TEST = { timeout: 40_000 };
const env = useHostTestEnvironment();

/** Resolves when the host has forked its first child and has not yet said it started. */
async function booting(host: HostProcess): Promise<void> {
  await host.waitForChildren(1);
  assert.ok(!host.stdout.some((line) => / started: /.test(line)), `the host is still starting\n${host.output()}`);
}

describe('worker host: start-up', () => {
  for (const signal of ['SIGQUIT', 'SIGTERM'] as const) {
    test(`${signal} while the host is still booting: it exits 0 and leaves no process behind`, TEST, async () => {
      const t = new E2eRedis(env.server, env.redis);
      const host = env.hosts.start(t.env());
      await booting(host);
      host.signal(signal);

      const exit = await host.waitForExit(15_000);
      assert.deepEqual(exit, { code: 0, signal: null }, host.output());
      await waitFor(() => !groupAlive(host.pid), `no child of ${host.pid} left behind`, 5_000);
      assert.deepEqual(await t.workers(), []);
    });
  }

  test('QUIT while the host waits for Redis at start-up: it exits 0', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    await env.server.stop();
    const host = env.hosts.start(t.env({ REDIS_STARTUP_TIMEOUT: '30' }));
    await host.waitForLine(/not reachable yet/, 20_000);
    host.signal('SIGQUIT');
    const exit = await host.waitForExit(10_000);
    assert.deepEqual(exit, { code: 0, signal: null }, host.output());
    await waitFor(() => !groupAlive(host.pid), `no child of ${host.pid} left behind`, 5_000);
    await env.server.start();
  });

  test('Redis down while the host starts and back 1.5 s later: the host waits for it, then works', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    await env.server.stop();
    const host = env.hosts.start(t.env({ REDIS_STARTUP_TIMEOUT: '30' }));
    // The first child boots without Redis; the host then finds Redis down and must wait, not exit.
    await Promise.race([
      host.waitForLine(/not reachable yet/, 20_000),
      host.exited.then((exit) => assert.fail(`the host exited (${JSON.stringify(exit)}) instead of waiting for Redis\n${host.output()}`)),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the outage's length
    await env.server.start();
    await t.pushPhp('EchoJob', { after: 'outage' });
    const [done] = await t.waitForDone(1, 20_000);
    assert.deepEqual(done.data, { after: 'outage' });
    assert.ok(host.running, host.output());
  });

  test('Redis restarted in the first second of a host: the host rides it out', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env());
    await host.waitForChildren(1); // the first child boots: the host reaches Redis right after
    await env.server.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the restart's length
    await env.server.start();
    await t.pushPhp('EchoJob', { after: 'restart' });
    const [done] = await t.waitForDone(1, 20_000);
    assert.deepEqual(done.data, { after: 'restart' });
    assert.ok(host.running, host.output());
  });
});
