/**
 * End to end: what an operator sees of a real worker host: its process titles in `ps`, and the
 * one-line errors and exit code 1 for settings it cannot use.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VERSION } from '../../lib/version.js';
import { freePort } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';
import { groupAlive, titleOf, type HostProcess } from './support/host-process.js';

const TEST = { timeout: 30_000 };
const env = useHostTestEnvironment();

const TITLE_HEAD = `resque-${VERSION}: `;
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function waitForTitle(pid: number, pattern: RegExp, host: HostProcess): Promise<string> {
  return waitFor(() => {
    const title = titleOf(pid);
    return title !== undefined && pattern.test(title) ? title : undefined;
  }, `title of ${pid} matching ${pattern} (now ${JSON.stringify(titleOf(pid))})\n${host.output()}`, 15_000, 20);
}

/** A host that must refuse to start: exit code 1, exactly one line on stderr, no process left behind. */
async function assertRefused(host: HostProcess, setting: RegExp): Promise<string> {
  const exit = await host.waitForExit(20_000);
  assert.deepEqual(exit, { code: 1, signal: null }, host.output());
  // Output may trail the exit event by a moment; the streams end right after it.
  await waitFor(() => host.stderr.length > 0, 'stderr');
  assert.equal(host.stderr.length, 1, `one line on stderr:\n${host.output()}`);
  const [line] = host.stderr;
  assert.match(line, setting);
  await waitFor(() => !groupAlive(host.pid), 'no child left behind', 5_000);
  return line;
}

describe('worker host: process titles', () => {
  test('host and children show Resque-style titles; a working child shows its job', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env());
    const [child] = await host.waitForChildren(1);

    await waitForTitle(child, new RegExp(`^${escaped(TITLE_HEAD)}Waiting for e2e$`), host);
    const hostTitle = await waitForTitle(host.pid, new RegExp(`^${escaped(TITLE_HEAD)}`), host);
    assert.match(hostTitle, new RegExp(`^${escaped(TITLE_HEAD)}Forked ${child} at \\d+$`));

    await t.push('SlowJob', { ms: 1500 });
    await t.waitForStarted(1);
    const processing = await waitForTitle(child, new RegExp(`^${escaped(TITLE_HEAD)}Processing e2e since (\\d+) \\[SlowJob\\]$`), host);
    const since = Number(/since (\d+)/.exec(processing)![1]);
    assert.ok(Math.abs(since - Date.now() / 1000) < 10, `since ${since} is about now`);

    await t.waitForDone(1);
    await waitForTitle(child, new RegExp(`^${escaped(TITLE_HEAD)}Waiting for e2e$`), host);
  });
});

describe('worker host: bad settings', () => {
  test('COUNT=abc: exit 1 and one line naming COUNT', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const line = await assertRefused(env.hosts.start(t.env({ COUNT: 'abc' })), /COUNT/);
    assert.match(line, /abc/);
  });

  test("QUEUE='': exit 1 and one line naming QUEUE", TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    await assertRefused(env.hosts.start(t.env({ QUEUE: '' })), /QUEUE/);
  });

  test('REDIS_URL at a closed port through REDIS_STARTUP_TIMEOUT: exit 1 and one line naming REDIS_URL', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const port = await freePort();
    // The host boots its first child (which reports the application's settings) before it resolves Redis.
    const line = await assertRefused(env.hosts.start(t.env({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_STARTUP_TIMEOUT: '1' })), /REDIS_URL/);
    assert.match(line, new RegExp(String(port)));
    assert.match(line, /within 1 s/, 'the line names the start-up window');
  });
});

describe('worker host: the module\'s prefix', () => {
  test('a prefix set only in ResqueModule.forRoot({ prefix }) is the host\'s prefix too', { timeout: 30_000 }, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { PREFIX: _ignored, ...rest } = t.env();
    env.hosts.start({ ...rest, MODULE_PREFIX: t.prefix });
    await t.push('EchoJob', { n: 'module prefix' });
    const [done] = await t.waitForDone(1, 20_000);
    assert.deepEqual(done.data, { n: 'module prefix' });
  });
});
