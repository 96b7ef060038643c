/**
 * End to end: text from Redis cannot forge log lines or drive the terminal. A class name with a
 * newline, a forged host line and an escape sequence, run by a real host under VERBOSE=1, shows up
 * escaped on one line.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';

const TEST = { timeout: 30_000 };
const env = useHostTestEnvironment();

const EVIL = 'Nope started\n[resque host 1] stopped\n\u001b[2J';

describe('worker host: log and terminal injection', () => {
  test('VERBOSE=1: a hostile class name is logged escaped, on one line, with no raw control character', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ VERBOSE: '1' }));
    await host.waitForChildren(1);
    await t.push(EVIL, { n: 1 });
    const [record] = await t.waitForFailed(1);
    assert.equal(record.exception, 'UnknownJobClassError');
    await host.waitForLine(/acknowledged 1 job\(s\), 1 failed/);
    const lines = [...host.stdout, ...host.stderr];
    const started = await waitFor(() => host.stdout.find((line) => line.includes('Nope started')), `the started line\n${host.output()}`);
    assert.ok(started.endsWith('e2e: Nope started\\n[resque host 1] stopped\\n\\x1b[2J started'), started);
    assert.ok(!lines.some((line) => line.startsWith('[resque host 1] stopped')), `no forged host line\n${host.output()}`);
    assert.ok(!lines.some((line) => /[\u0000-\u0008\u000b-\u001f\u007f]/.test(line)), `no raw control character\n${JSON.stringify(lines)}`);
  });
});
