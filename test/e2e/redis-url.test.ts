/**
 * A mistyped REDIS_URL never shows its password and never falls back to 127.0.0.1:6379: the
 * sample HTTP app (Nest's exception handler prints what a provider throws) and a real worker host
 * both stop at once with one line naming the setting, the password redacted.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';
import { HostProcess, groupAlive } from './support/host-process.js';

const TEST = { timeout: 40_000 };
const SAMPLE_MAIN = fileURLToPath(new URL('../../sample/main.js', import.meta.url));
const env = useHostTestEnvironment();

/** The typos of the issue, each with the secret that must not appear. */
const BAD_URLS = [
  // an unescaped '/' in a base64 password
  { url: 'redis://:k9/Xa+ZtQ==@127.0.0.1:6564', secrets: ['k9', 'Xa+ZtQ=='] },
  { url: 'redis://jobs:s3cr3t-99999@127.0.0.1:99999', secrets: ['s3cr3t'] },
  // no scheme: ioredis reads it as 127.0.0.1:6379 with password "pw"
  { url: ':pwSecret@127.0.0.1', secrets: ['pwSecret'] },
];

/** Exit 1, one line on stderr naming the setting, no secret anywhere, nothing left running. */
async function assertRefused(proc: HostProcess, setting: RegExp, secrets: readonly string[]): Promise<string> {
  const exit = await proc.waitForExit(25_000);
  assert.deepEqual(exit, { code: 1, signal: null }, proc.output());
  await waitFor(() => proc.stderr.length > 0, `stderr\n${proc.output()}`);
  await waitFor(() => !groupAlive(proc.pid), 'no process left behind', 5_000);
  const output = [...proc.stdout, ...proc.stderr].join('\n');
  for (const secret of secrets) assert.ok(!output.includes(secret), `"${secret}" printed:\n${output}`);
  const errors = proc.stderr.filter((line) => line.trim() !== '');
  assert.equal(errors.length, 1, `one line on stderr:\n${proc.output()}`);
  assert.match(errors[0], setting);
  return errors[0];
}

describe('REDIS_URL typos', () => {
  for (const { url, secrets } of BAD_URLS) {
    test(`the worker host refuses ${JSON.stringify(url.replace(secrets[0], '<secret>'))} in one line`, TEST, async () => {
      const t = new E2eRedis(env.server, env.redis);
      const line = await assertRefused(env.hosts.start(t.env({ REDIS_URL: url })), /REDIS_URL/, secrets);
      assert.match(line, /\*\*\*@127\.0\.0\.1/);
    });

    test(`the sample HTTP app refuses ${JSON.stringify(url.replace(secrets[0], '<secret>'))} in one line`, TEST, async () => {
      const port = await freePort();
      const app = HostProcess.start({ REDIS_URL: url, PORT: String(port) }, SAMPLE_MAIN);
      try {
        await assertRefused(app, /REDIS_URL|connection/, secrets);
      } finally {
        await app.killGroup();
      }
    });
  }
});
