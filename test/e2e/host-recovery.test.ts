/**
 * End to end: a worker host that dies without a shutdown. Killed alone, its orphaned child
 * finishes its job and leaves cleanly; killed with its children, the next host on the same
 * Redis recovers the dead worker's job (failed as DirtyExit) and removes its registration.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';
import { isAlive, killGroup, type HostProcess } from './support/host-process.js';

const TEST = { timeout: 30_000 };
/** Fast liveness for the host that comes after. */
const FAST_HEARTBEATS = { HEARTBEAT_INTERVAL: '0.2', DEAD_AFTER: '1' };
const env = useHostTestEnvironment();

const workerOf = (pid: number) => `${hostname()}:${pid}:e2e`;

/** A host whose child is running a tracked SlowJob; returns the job id and the child's worker id. */
async function slowJobRunning(t: E2eRedis, ms: number, extraEnv: Record<string, string> = {}) {
  const host = env.hosts.start(t.env(extraEnv));
  const id = await t.pushPhp('SlowJob', { ms });
  await t.waitForStarted(1);
  const [child] = await host.waitForChildren(1);
  const worker = workerOf(child);
  assert.ok((await t.workers()).includes(worker));
  assert.equal(await env.redis.hlen(t.keys.inflight(worker)), 1, 'the job is in flight');
  return { host, id, child, worker };
}

/** Starts the next host on the same prefix and waits until it has heartbeated its own worker (its stale check ran too). */
async function nextHost(t: E2eRedis): Promise<HostProcess> {
  const host = env.hosts.start(t.env(FAST_HEARTBEATS));
  const [child] = await host.waitForChildren(1);
  await waitFor(async () => (await env.redis.zscore(t.keys.alive, workerOf(child))) !== null, `host ${host.pid} heartbeating\n${host.output()}`);
  return host;
}

async function assertRecoveredAsDirtyExit(t: E2eRedis, id: string, worker: string, error: RegExp): Promise<void> {
  const [record] = await t.waitForFailed(1);
  assert.equal(record.exception, 'DirtyExit');
  assert.match(record.error, error);
  assert.equal(record.worker, worker);
  assert.equal((record.payload as { id: string }).id, id);
  assert.equal((await t.status(id))?.status, 3);
  await waitFor(async () => !(await t.workers()).includes(worker), 'the dead worker unregistered');
  assert.equal(await env.redis.exists(t.keys.inflight(worker)), 0);
  assert.equal(await env.redis.exists(t.keys.workerStarted(worker)), 0);
  assert.equal(await env.redis.zscore(t.keys.alive, worker), null);
  assert.deepEqual(await t.done(), []);
}

describe('worker host: recovery after a kill', () => {
  test('host SIGKILLed alone: its orphaned child finishes the job and exits; the next host finds nothing lost', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { host, child, worker } = await slowJobRunning(t, 1000);
    host.signal('SIGKILL');
    await host.exited;

    const [done] = await t.waitForDone(1);
    assert.equal(done.pid, child, 'the orphan finished its job');
    await waitFor(() => !isAlive(child), `orphan ${child} to exit`);
    assert.ok(!(await t.workers()).includes(worker), 'the orphan unregistered itself');
    assert.equal(await env.redis.exists(t.keys.inflight(worker)), 0);

    await nextHost(t);
    assert.deepEqual(await t.failed(), [], 'nothing was failed');
    assert.equal((await t.done()).length, 1, 'the job ran once');
    assert.equal(await t.queueLength(), 0);
    assert.ok(!(await t.workers()).includes(worker));
  });

  test('host SIGKILLed alone during a long job: the orphan heartbeats itself, so another host leaves its job alone', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    // DEAD_AFTER 1 s and a 4 s job: without its own heartbeats the orphan would be judged dead mid-job.
    const { host, id, child, worker } = await slowJobRunning(t, 4000, FAST_HEARTBEATS);
    host.signal('SIGKILL');
    await host.exited;
    await nextHost(t);

    const [done] = await t.waitForDone(1, 15_000);
    assert.equal(done.pid, child, 'the orphan finished its job');
    await waitFor(() => !isAlive(child), `orphan ${child} to exit`);
    assert.deepEqual(await t.failed(), [], 'nobody recovered the orphan\'s job');
    assert.equal(await t.stat('failed'), 0);
    assert.equal((await t.status(id))?.status, 4);
    assert.equal((await t.done()).length, 1, 'the job ran once');
    await waitFor(async () => !(await t.workers()).includes(worker), 'the orphan unregistered itself');
    assert.equal(await env.redis.zscore(t.keys.alive, worker), null, 'and stopped heartbeating');
  });

  test('host killed with its children after a heartbeat: the next host recovers the job as DirtyExit', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { host, id, worker } = await slowJobRunning(t, 5000, FAST_HEARTBEATS);
    await waitFor(async () => (await env.redis.zscore(t.keys.alive, worker)) !== null, 'the first heartbeat');
    killGroup(host.pid);
    await host.exited;

    await nextHost(t);
    await assertRecoveredAsDirtyExit(t, id, worker, /is gone|stopped sending heartbeats/);
  });

  test('host killed with its children before any heartbeat: the next host still recovers the job', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    // Default HEARTBEAT_INTERVAL (5 s): the group dies before the host ever heartbeats its child.
    const { host, id, worker } = await slowJobRunning(t, 5000);
    killGroup(host.pid);
    await host.exited;

    await nextHost(t);
    await assertRecoveredAsDirtyExit(t, id, worker, /is gone|stopped sending heartbeats/);
  });
});
