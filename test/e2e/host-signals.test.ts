/**
 * End to end: Resque's signals sent to a real worker host while its child runs a job.
 * QUIT finishes the job, TERM kills it after SHUTDOWN_TIMEOUT (failed, never lost), USR1 kills
 * only the job, USR2/CONT pause and resume.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VERSION } from '../../lib/version.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';
import { isAlive, titleOf, type HostProcess } from './support/host-process.js';

const TEST = { timeout: 30_000 };
const env = useHostTestEnvironment();

/** Starts a host, queues a SlowJob and waits until it runs; returns the child running it. */
async function hostRunningSlowJob(t: E2eRedis, ms: number, extraEnv: Record<string, string> = {}): Promise<{ host: HostProcess; child: number }> {
  const host = env.hosts.start(t.env(extraEnv));
  await t.push('SlowJob', { ms });
  await t.waitForStarted(1);
  const [child] = await host.waitForChildren(1);
  return { host, child };
}

/** After the host is gone, nothing of its workers may remain. */
async function assertNoWorkerLeft(t: E2eRedis): Promise<void> {
  assert.deepEqual(await t.workers(), [], 'workers set empty');
  assert.deepEqual(await t.inflightKeys(), [], 'no inflight keys left');
  assert.equal(await env.redis.zcard(t.keys.alive), 0, 'workers:alive empty');
}

describe('worker host: signals', () => {
  test('QUIT lets the running job finish, then the host exits 0 and unregisters everything', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { host, child } = await hostRunningSlowJob(t, 1500);
    host.signal('SIGQUIT');

    const exit = await host.waitForExit(15_000);
    assert.deepEqual(exit, { code: 0, signal: null }, host.output());
    const done = await t.done();
    assert.equal(done.length, 1, 'the job finished before the host exited');
    assert.equal(done[0].pid, child);
    assert.deepEqual(await t.failed(), []);
    assert.equal(await t.stat('processed'), 1);
    await assertNoWorkerLeft(t);
    assert.ok(!isAlive(child));
  });

  test('TERM with SHUTDOWN_TIMEOUT=0 kills the running job at once: failed as DirtyExit, not lost', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { host } = await hostRunningSlowJob(t, 5000, { SHUTDOWN_TIMEOUT: '0' });
    const sent = Date.now();
    host.signal('SIGTERM');

    const exit = await host.waitForExit(4_000);
    assert.deepEqual(exit, { code: 0, signal: null }, host.output());
    assert.ok(Date.now() - sent < 3_000, `exited promptly (${Date.now() - sent} ms)`);
    const failed = await t.failed();
    assert.equal(failed.length, 1, 'the killed job is in failed');
    assert.equal(failed[0].exception, 'DirtyExit');
    assert.match(failed[0].error, /killed by SIGKILL \(shutdown deadline\)/);
    assert.equal((failed[0].payload as { class: string }).class, 'SlowJob');
    assert.deepEqual(await t.done(), []);
    assert.equal(await t.queueLength(), 0);
    await assertNoWorkerLeft(t);
  });

  test('TERM with SHUTDOWN_TIMEOUT=10 lets a short job finish', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { host } = await hostRunningSlowJob(t, 800, { SHUTDOWN_TIMEOUT: '10' });
    host.signal('SIGTERM');

    const exit = await host.waitForExit(15_000);
    assert.deepEqual(exit, { code: 0, signal: null }, host.output());
    assert.equal((await t.done()).length, 1);
    assert.deepEqual(await t.failed(), []);
    await assertNoWorkerLeft(t);
  });

  test('USR1 kills the running job (failed as DirtyExit) and the host keeps working', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { host, child } = await hostRunningSlowJob(t, 5000);
    host.signal('SIGUSR1');

    const [record] = await t.waitForFailed(1);
    assert.equal(record.exception, 'DirtyExit');
    assert.match(record.error, /killed by SIGKILL \(USR1\)/);
    assert.equal((record.payload as { class: string }).class, 'SlowJob');
    await t.push('EchoJob', { after: 'USR1' });
    const [done] = await t.waitForDone(1);
    assert.equal(done.job, 'EchoJob');
    assert.notEqual(done.pid, child, 'a new child replaced the killed one');
    assert.ok(host.running);
    assert.equal(await t.queueLength(), 0);
    assert.equal((await t.failed()).length, 1, 'USR1 fails the job, it is not requeued');
  });

  test('USR2 pauses: a queued job waits; CONT resumes and it runs', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    // INTERVAL=30: the child's BLMOVE does not time out and re-block around the pause, so
    // "no blocked client" below can only mean the pause reached the child.
    const host = env.hosts.start(t.env({ INTERVAL: '30' }));
    const [child] = await host.waitForChildren(1);
    const blocked = async () => Number(/blocked_clients:(\d+)/.exec(await env.redis.info('clients'))?.[1] ?? 0);
    // BLOCKING=1: the idle child waits in BLMOVE on its queue.
    await waitFor(async () => (await blocked()) === 1, `child ${child} blocked on its queue\n${host.output()}`, 15_000);

    host.signal('SIGUSR2');
    await host.waitForLine(/USR2: paused/);
    // Pausing ends the child's blocking wait (CLIENT UNBLOCK): once no client blocks, the child is paused.
    await waitFor(async () => (await blocked()) === 0, 'the child to stop waiting for jobs');
    assert.equal(titleOf(host.pid), `resque-${VERSION}: Paused`);

    await t.push('EchoJob', { paused: true });
    // Asserting an absence: nothing can be awaited, so look twice over half a second.
    for (let check = 0; check < 2; check++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.equal(await t.queueLength(), 1, 'the job stays queued while paused');
    }
    assert.deepEqual(await t.done(), []);

    host.signal('SIGCONT');
    const [done] = await t.waitForDone(1);
    assert.equal(done.pid, child, 'the same child resumed');
    assert.equal(await t.queueLength(), 0);
    assert.ok(host.running);
  });
});

describe('worker host: signals while Redis is unreachable', () => {
  test('TERM during an outage: the running job is killed at SHUTDOWN_TIMEOUT and the host exits, leaving its recovery to the next host', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { host, child } = await hostRunningSlowJob(t, 20_000, { SHUTDOWN_TIMEOUT: '1' });
    await env.server.stop();
    const sent = Date.now();
    host.signal('SIGTERM');

    const exit = await host.waitForExit(10_000);
    assert.deepEqual(exit, { code: 0, signal: null }, host.output());
    assert.ok(Date.now() - sent < 8_000, `exited within its deadline (${Date.now() - sent} ms)`);
    assert.ok(!isAlive(child));
    assert.ok(host.stdout.some((line) => /left to the next host/.test(line)), host.output());
    await env.server.start();
  });

  test('QUIT during an outage: an idle host exits 0', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env());
    await host.waitForLine(/ started: /);
    const [child] = await host.waitForChildren(1);
    await waitFor(async () => (await t.workers()).length === 1, 'the child registered');
    await env.server.stop();
    host.signal('SIGQUIT');

    const exit = await host.waitForExit(15_000);
    assert.deepEqual(exit, { code: 0, signal: null }, host.output());
    await waitFor(() => !isAlive(child), `child ${child} to exit`, 5_000);
    await env.server.start();
  });
});
