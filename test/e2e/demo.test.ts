/**
 * `npm run demo` and the sample HTTP app as a new user meets them: with an unreachable Redis they
 * stop at once with one line saying so (like the worker), and the demo on its own private
 * redis-server finishes without pointing at that server once it has stopped it.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { HostProcess } from './support/host-process.js';

const DEMO = fileURLToPath(new URL('../../sample/demo.js', import.meta.url));
const SAMPLE_MAIN = fileURLToPath(new URL('../../sample/main.js', import.meta.url));
const TEST = { timeout: 90_000 };
const started: HostProcess[] = [];

function start(env: Record<string, string>, entry: string): HostProcess {
  const proc = HostProcess.start(env, entry);
  started.push(proc);
  return proc;
}

after(async () => {
  await Promise.all(started.map((proc) => proc.killGroup()));
});

/** Exit 1 within `withinMs`, one line on stderr matching `pattern`, no ioredis error flood. */
async function assertFailsInOneLine(proc: HostProcess, pattern: RegExp, withinMs: number): Promise<void> {
  const startedAt = Date.now();
  const exit = await proc.waitForExit(withinMs);
  assert.deepEqual(exit, { code: 1, signal: null }, proc.output());
  await waitFor(() => proc.stderr.length > 0, `stderr\n${proc.output()}`);
  const errors = proc.stderr.filter((line) => line.trim() !== '');
  assert.equal(errors.length, 1, `one line on stderr:\n${proc.output()}`);
  assert.match(errors[0], pattern);
  assert.doesNotMatch(proc.output(), /Unhandled error event|    at /, proc.output());
  assert.ok(Date.now() - startedAt < withinMs);
}

describe('an unreachable Redis', () => {
  test('npm run demo stops at once with one line', TEST, async () => {
    const port = await freePort();
    const demo = start({ REDIS_URL: `redis://127.0.0.1:${port}` }, DEMO);
    await assertFailsInOneLine(demo, new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port} \\(REDIS_URL\\).*ECONNREFUSED`), 30_000);
  });

  test('the sample HTTP app stops at once with one line', TEST, async () => {
    const port = await freePort();
    const app = start({ REDIS_URL: `redis://127.0.0.1:${port}`, PORT: String(await freePort()) }, SAMPLE_MAIN);
    await assertFailsInOneLine(app, new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port}.*ECONNREFUSED`), 30_000);
  });
});

describe('the demo on a private redis-server', () => {
  test('runs its jobs and, once the server is stopped, shows no command for it', TEST, async () => {
    const demo = start({ DEMO_PRIVATE_REDIS: '1' }, DEMO);
    const exit = await demo.waitForExit(80_000);
    const output = demo.output();
    assert.deepEqual(exit, { code: 0, signal: null }, output);
    assert.match(output, /Demo finished: 2 jobs completed, 1 failed as expected/);
    const port = /Redis at redis:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
    assert.ok(port && port !== '6379', `a private server on its own port:\n${output}`);
    const whereToLook = output.slice(output.indexOf('Where to look'));
    assert.ok(whereToLook.length > 20, output);
    assert.doesNotMatch(whereToLook, new RegExp(`-p ${port}\\b`), 'no redis-cli command for the stopped server');
    assert.match(whereToLook, /stopped/);
  });
});
