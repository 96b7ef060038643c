/**
 * End to end: a host restarted in a fresh PID namespace with the same hostname (what a container
 * restart gives) hands its new children the pids, and so the worker ids, of the dead ones. A new
 * child must never adopt a dead worker's in-flight jobs: they are settled before it registers.
 * Needs `unshare --pid` (root); skipped with a message otherwise.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { JobExchange } from '../../lib/protocol/scripts/exchange-jobs.js';
import { RedisWorkerOperations } from '../../lib/worker/redis-operations.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis, E2E_QUEUE } from './support/e2e-redis.js';
import { killGroup, type HostProcess } from './support/host-process.js';

const TEST = { timeout: 60_000 };
const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc'];
const env = useHostTestEnvironment();
/**
 * A new child whose id has a recent heartbeat waits up to two heartbeat intervals and a second to
 * tell a dead predecessor from a live host with our hostname (worker-ids.ts): 3 s with these.
 */
const FAST = { HEARTBEAT_INTERVAL: '1' };

function unshareWorks(): string | undefined {
  try {
    execFileSync(UNSHARE[0], [...UNSHARE.slice(1), 'true'], { stdio: 'ignore' });
    return undefined;
  } catch (error) {
    return `unshare --pid is not available here (needs root): ${(error as Error).message.split('\n')[0]}`;
  }
}
const skip = unshareWorks();
if (skip) console.log(`# skipping the PID namespace tests: ${skip}`);

/** A host in its own PID namespace; resolves once its first child registered (returns that worker id). */
async function namespacedHost(t: E2eRedis): Promise<{ host: HostProcess; worker: string }> {
  const host = env.hosts.start(t.env(FAST), UNSHARE);
  const worker = await waitFor(async () => (await t.workers())[0], `a worker of host ${host.pid}\n${host.output()}`, 20_000);
  return { host, worker };
}

async function killNamespace(host: HostProcess): Promise<void> {
  killGroup(host.pid);
  await host.exited;
}

describe('worker host: pid reuse in a fresh PID namespace', { skip }, () => {
  test('host killed with its children and started again: the new child does not adopt the dead worker\'s job', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const first = await namespacedHost(t);
    const id = await t.pushPhp('SlowJob', { ms: 30_000 });
    await t.waitForStarted(1);
    await waitFor(async () => (await env.redis.hlen(t.keys.inflight(first.worker))) === 1, 'the job in flight');
    await killNamespace(first.host);

    const second = env.hosts.start(t.env(FAST), UNSHARE);
    await second.waitForLine(/ started: /, 20_000);
    console.log(`# dead worker ${first.worker}; the new host's workers: ${(await t.workers()).join(', ')}`);
    const [record] = await t.waitForFailed(1, 10_000);
    assert.equal(record.exception, 'DirtyExit');
    assert.equal(record.worker, first.worker);
    assert.equal((record.payload as { id: string }).id, id);
    assert.equal((await t.status(id))?.status, 3);
    assert.equal(await env.redis.hlen(t.keys.inflight(first.worker)), 0, 'nothing of the dead worker left in flight');
  });

  test('an in-flight hash planted under the id the next child gets is settled before that child registers', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    // A first run tells which id the first child of a fresh namespace gets.
    const probe = await namespacedHost(t);
    await killNamespace(probe.host);
    await env.redis.del(t.keys.workers);

    // Plant a reservation under that id the way a worker without PREFETCH makes one: it registers
    // (which clears the mark the probe's child left: that one had PREFETCH), then the exchange script.
    const id = await t.pushPhp('SlowJob', { ms: 30_000 });
    const planter = new Redis(env.server.url);
    try {
      const target = { workerId: probe.worker, workerName: 'planted', queues: [E2E_QUEUE] };
      await new RedisWorkerOperations({ redis: planter, keys: t.keys, target, blocking: false, maxCrashRequeues: 3 }).register();
      await env.redis.del(t.keys.workers);
      const exchange = new JobExchange(planter, t.keys, target);
      assert.equal((await exchange.exchange([], 1, 1)).length, 1);
    } finally {
      planter.disconnect();
    }

    const next = env.hosts.start(t.env(FAST), UNSHARE);
    await next.waitForLine(/ started: /, 20_000);
    console.log(`# planted under ${probe.worker}; the new host's workers: ${(await t.workers()).join(', ')}`);
    const [record] = await t.waitForFailed(1, 10_000);
    assert.equal(record.worker, probe.worker);
    assert.equal((await t.status(id))?.status, 3);
    assert.equal(await t.counter('started'), 0, 'the planted job never ran in the new child');
  });
});
