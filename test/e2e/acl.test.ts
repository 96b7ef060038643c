/**
 * A least-privilege Redis ACL user (test/support/acl.ts, the README's set) is enough for everything:
 * enqueue from a Nest app, a real forked host running jobs with BLOCKING, a failure, a crash
 * requeue; and nobody prints a warning (ioredis' ready check would need INFO, which the set lacks).
 */
import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { QueueService, ResqueClient, ResqueModule } from '../../lib/index.js';
import { ACL_COMMANDS, aclUser } from '../support/acl.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis, E2E_QUEUE } from './support/e2e-redis.js';
import { titleOf } from './support/host-process.js';
import { waitFor } from '../support/wait.js';

const TEST = { timeout: 60_000 };
const env = useHostTestEnvironment();

describe('ACL user with the documented command set', () => {
  test('enqueue, a BLOCKING host running jobs, a failure and a crash requeue; no warnings', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const user = `jobs-${t.prefix}`;
    const password = 'acl-pw-1';
    const all = Object.values(ACL_COMMANDS);
    await env.redis.call('ACL', 'SETUSER', user, ...aclUser(password, t.prefix, all));
    const url = `redis://${user}:${password}@127.0.0.1:${env.server.port}`;

    // The producer side, in this process: no warning may be printed (console.warn is what ioredis uses).
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
    const app = await Test.createTestingModule({ imports: [ResqueModule.forRoot({ connection: url, prefix: t.prefix })] }).compile();
    await app.init();
    let id: string | null;
    try {
      const queues = app.get(QueueService);
      id = await queues.enqueue(E2E_QUEUE, 'EchoJob', { n: 1 }, true);
      await queues.enqueue(E2E_QUEUE, 'NoSuchJob', { n: 2 });
      await queues.enqueue(E2E_QUEUE, 'CrashOnceJob', { n: 3 });
      assert.equal(await queues.size(E2E_QUEUE), 3);
    } finally {
      await app.close();
      console.warn = warn;
    }
    assert.deepEqual(warnings, []);

    const host = env.hosts.start(t.env({ REDIS_URL: url, BLOCKING: '1', INTERVAL: '5' }));
    const done = await t.waitForDone(2, 30_000);
    assert.deepEqual(done.map((d) => d.job).sort(), ['CrashOnceJob', 'EchoJob']);
    const [failure] = await t.waitForFailed(1);
    assert.match(failure.exception, /UnknownJobClassError/);
    assert.equal((await t.status(id!))?.status, 4);

    // BLOCKING: an idle worker sees a job we enqueue at once (well under INTERVAL), through the
    // wake-up stream, with the ACL user's own connection. (A foreign producer's bare RPUSH wakes
    // nobody: INTERVAL is its worst case.)
    await host.waitForLine(/started/);
    const producer = new Redis(url, { enableReadyCheck: false });
    const before = Date.now();
    const p = t.waitForDone(3, 30_000);
    try {
      await new ResqueClient({ redis: producer, keys: t.keys }).enqueue(E2E_QUEUE, 'EchoJob', { n: 4 });
      await p;
    } finally {
      producer.disconnect();
    }
    assert.ok(Date.now() - before < 4_500, `blocking worker took ${Date.now() - before} ms`);

    const output = host.output();
    if (process.env.ACL_DEBUG) console.log(output);
    assert.doesNotMatch(output, /NOPERM|ready check|Unhandled error/i, output);
    assert.equal(host.stderr.filter((line) => line.trim() !== '').length, 0, output);
  });

  test('without +client|unblock: one warning, and the worker goes on (pause, resume, a job at once)', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const user = `jobs-nounblock-${t.prefix}`;
    const password = 'acl-pw-2';
    const commands = Object.values(ACL_COMMANDS).map((set) => set.replace(' +client|unblock', ''));
    await env.redis.call('ACL', 'SETUSER', user, ...aclUser(password, t.prefix, commands));
    const url = `redis://${user}:${password}@127.0.0.1:${env.server.port}`;
    const host = env.hosts.start(t.env({ REDIS_URL: url, BLOCKING: '1', INTERVAL: '60' }));
    await host.waitForLine(/started/);
    const [child] = await host.waitForChildren(1);
    await waitFor(() => /Waiting for/.test(titleOf(child) ?? ''), `child ${child} idle\n${host.output()}`, 15_000, 20);

    // A pause ends the idle wait early: that is what CLIENT UNBLOCK is for.
    host.signal('SIGUSR2');
    await waitFor(() => [...host.stdout, ...host.stderr].find((line) => /CLIENT UNBLOCK/.test(line)), `the warning\n${host.output()}`, 15_000, 20);
    host.signal('SIGCONT');
    await host.waitForLine(/CONT: resumed/);
    // A job with its wake-up entry (as our producers write it) runs well before INTERVAL (60 s).
    await t.push('EchoJob', { n: 1 });
    await env.redis.xadd(t.keys.wake, 'MAXLEN', '~', '100', '*', 'q', E2E_QUEUE);
    await t.waitForDone(1, 20_000);

    host.signal('SIGUSR2');
    await host.waitForLine(/USR2: paused/);
    host.signal('SIGQUIT');
    await host.waitForExit(20_000);
    const warnings = [...host.stdout, ...host.stderr].filter((line) => /CLIENT UNBLOCK/.test(line));
    assert.equal(warnings.length, 1, `warned once:\n${host.output()}`);
    assert.match(warnings[0], /\+client\|unblock/);
  });
});
