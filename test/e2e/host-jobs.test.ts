/**
 * End to end: a real worker host (`node dist/test/fixtures/worker.js`) forks real children that
 * boot the fixture Nest module and run jobs from a private redis-server. Jobs that succeed, name
 * an unknown class, kill or exit their process, crash once, or hang past their timeout.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis, FAILURE_FIELDS } from './support/e2e-redis.js';
import { isAlive } from './support/host-process.js';

const TEST = { timeout: 30_000 };
const env = useHostTestEnvironment();

const workerOf = (pid: number) => `${hostname()}:${pid}:e2e`;
const pidOf = (workerId: string) => Number(workerId.split(':')[1]);

describe('worker host: jobs', () => {
  test('a job pushed in php-resque format runs in a child with its providers and ends COMPLETE', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env());
    const id = await t.pushPhp('EchoJob', { n: 1 });

    const [done] = await t.waitForDone(1);
    assert.deepEqual(done.data, { n: 1 });
    assert.notEqual(done.pid, host.pid, 'the job runs in a child, not in the host');
    assert.ok(host.children().includes(done.pid), `pid ${done.pid} is a child of host ${host.pid}`);

    const status = await waitFor(async () => {
      const s = await t.status(id);
      return s?.status === 4 ? s : undefined;
    }, 'status COMPLETE');
    assert.equal(typeof status.updated, 'number');
    assert.equal(await t.stat('processed'), 1);
    assert.equal(await t.stat('failed'), 0);
    assert.deepEqual(await t.failed(), []);
    assert.equal(await t.queueLength(), 0);
  });

  test('an unknown class is failed with a full record and the worker keeps going', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    env.hosts.start(t.env());
    const id = await t.pushPhp('NoSuchJob', { x: 1 });
    await t.push('EchoJob', { after: 'unknown' });

    const [done] = await t.waitForDone(1);
    assert.deepEqual(done.data, { after: 'unknown' });
    const [record] = await t.waitForFailed(1);
    assert.deepEqual(Object.keys(record), [...FAILURE_FIELDS]);
    assert.equal(record.exception, 'UnknownJobClassError');
    assert.match(record.error, /NoSuchJob/);
    assert.ok(Array.isArray(record.backtrace));
    assert.equal(record.queue, 'e2e');
    assert.equal(record.worker, workerOf(done.pid), 'the same child ran both jobs');
    assert.deepEqual((record.payload as { class: string; id: string }).class, 'NoSuchJob');
    assert.equal((record.payload as { id: string }).id, id);
    assert.ok(!Number.isNaN(Date.parse(record.failed_at)), `failed_at parses: ${record.failed_at}`);
    assert.equal((await t.status(id))?.status, 3);
    assert.equal(await t.stat('failed'), 1);
  });

  for (const { job, data, error } of [
    { job: 'KillSelfJob', data: {}, error: /killed by SIGKILL while processing/ },
    { job: 'ExitJob', data: {}, error: /exited with code 1 while processing/ },
    // Exit code 0 mid-job is no clean exit: the job is settled at once, not 30 s later by staleness.
    { job: 'ExitJob', data: { code: 0 }, error: /exited with code 0 while processing/ },
  ]) {
    test(`${job} ${JSON.stringify(data)}: its dead child's job is failed as DirtyExit at once, the child replaced, the worker unregistered`, TEST, async () => {
      const t = new E2eRedis(env.server, env.redis);
      // Default DEAD_AFTER (30 s): within the 10 s below only the host's own recovery can settle the job.
      const host = env.hosts.start(t.env());
      const id = await t.pushPhp(job, data);
      await t.push('EchoJob', { after: job });

      const [record] = await t.waitForFailed(1, 10_000);
      assert.equal(record.exception, 'DirtyExit');
      assert.match(record.error, error);
      assert.deepEqual(Object.keys(record), [...FAILURE_FIELDS]);
      assert.equal((record.payload as { class: string }).class, job);
      const deadPid = pidOf(record.worker);
      assert.match(record.error, new RegExp(`Child process ${deadPid} `));
      assert.equal((await t.status(id))?.status, 3);

      const [done] = await t.waitForDone(1);
      assert.notEqual(done.pid, deadPid, 'a new child ran the next job');
      assert.ok(!isAlive(deadPid));
      assert.equal(await env.redis.exists(t.keys.inflight(record.worker)), 0, 'the dead worker has nothing in flight');
      assert.ok(!(await t.workers()).includes(record.worker), 'the dead worker is unregistered');
      assert.equal(await env.redis.exists(t.keys.workerStarted(record.worker)), 0);
      assert.ok(host.running);
    });
  }

  test('PREFETCH (on by default): a child killed mid-job fails only that job; the jobs it had reserved behind it go back and run once in the next child', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    // Queued before the host starts: once the first short job proves jobs short, the child reserves ahead.
    for (let n = 1; n <= 3; n++) await t.push('EchoJob', { n });
    await t.pushPhp('KillSelfJob', {});
    for (let n = 4; n <= 12; n++) await t.push('EchoJob', { n });
    const host = env.hosts.start(t.env());

    const [record] = await t.waitForFailed(1, 15_000);
    assert.equal((record.payload as { class: string }).class, 'KillSelfJob');
    const line = await host.waitForLine(/reserved but not started given back/, 10_000);
    assert.match(line, /1 failed, (\d+) reserved but not started given back/);
    const done = await t.waitForDone(12, 15_000);
    assert.deepEqual(done.map((entry) => (entry.data as { n: number }).n).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'every other job ran, once');
    assert.equal((await t.failed()).length, 1, 'only the job that ran when the child died is failed');
    assert.equal(await t.stat('failed'), 1);
    assert.equal(await env.redis.hlen(t.keys.crashRequeues), 0, 'given back is not a crash');
  });

  test('a retryOnCrash job is put back after its crash and completes on the second attempt', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    env.hosts.start(t.env());
    const id = await t.pushPhp('CrashOnceJob', { once: true });

    const [done] = await t.waitForDone(1);
    assert.equal(done.job, 'CrashOnceJob');
    assert.equal(await t.counter('crash-once'), 2);
    await waitFor(async () => (await t.status(id))?.status === 4, 'status COMPLETE');
    assert.deepEqual(await t.failed(), []);
    assert.equal(await t.stat('failed'), 0);
    assert.equal(await t.queueLength(), 0);
  });

  test('a job past its timeout is killed and failed as JobTimeoutError; the next job runs', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    env.hosts.start(t.env());
    const id = await t.pushPhp('HangJob', {});
    await t.push('EchoJob', { after: 'HangJob' });

    const [record] = await t.waitForFailed(1);
    assert.equal(record.exception, 'JobTimeoutError');
    assert.match(record.error, /HangJob exceeded its timeout of 300 ms/);
    assert.equal((await t.status(id))?.status, 3);
    const [done] = await t.waitForDone(1);
    assert.notEqual(done.pid, pidOf(record.worker));
    assert.ok(!(await t.workers()).includes(record.worker));
  });

  test('FORK_PER_JOB=1 SPARES=1 runs each job in a fresh child', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ FORK_PER_JOB: '1', SPARES: '1' }));
    for (let n = 1; n <= 3; n++) await t.push('EchoJob', { n });

    const done = await t.waitForDone(3, 20_000);
    assert.deepEqual(done.map((d) => (d.data as { n: number }).n).sort(), [1, 2, 3]);
    const pids = new Set(done.map((d) => d.pid));
    assert.equal(pids.size, 3, `3 different children: ${[...pids].join(',')}`);
    assert.ok(!pids.has(host.pid));
    // A job records itself done inside perform; its acknowledgement (which counts it) follows.
    await waitFor(async () => (await t.stat('processed')) === 3, 'stat:processed = 3');
    assert.deepEqual(await t.failed(), []);
  });
});
