/**
 * The `deleteOutDir` trap: `nest build` wipes dist/ under a running worker. A child forked while
 * the application's files are gone must not die with raw stacks: the host says why in one line,
 * keeps trying with backoff, and runs jobs again once the build is back.
 *
 * The application here is a copy of the compiled fixtures in a temp dir (its own dist/), with the
 * repository's node_modules linked, so the test can delete and restore it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';
import { HostProcess } from './support/host-process.js';

const TEST = { timeout: 90_000 };
const DIST = fileURLToPath(new URL('../../', import.meta.url)); // dist/
const env = useHostTestEnvironment();
let root: string;
let fixtures: string;
const hosts: HostProcess[] = [];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'nestjs-resque-deleted-build-'));
  cpSync(join(DIST, 'lib'), join(root, 'dist/lib'), { recursive: true });
  fixtures = join(root, 'dist/test/fixtures');
  cpSync(join(DIST, 'test/fixtures'), fixtures, { recursive: true });
  symlinkSync(join(DIST, '../node_modules'), join(root, 'node_modules'));
});

after(async () => {
  await Promise.all(hosts.map((host) => host.killGroup()));
  rmSync(root, { recursive: true, force: true });
});

/** Lines of the host and its children that are stack frames: none may be printed. */
function stackLines(host: HostProcess): string[] {
  return [...host.stdout, ...host.stderr].filter((line) => /^\s+at /.test(line));
}

describe('dist/ deleted under a running worker (deleteOutDir)', () => {
  test('the host says why in one line, then runs jobs again once the build is back', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    // Unbundled: a bundled child would boot from node_modules/.cache and not notice.
    const host = HostProcess.start(t.env({ RESQUE_BUNDLE: '0' }), join(fixtures, 'worker.js'));
    hosts.push(host);
    await host.waitForLine(/started/, 30_000);
    const [first] = await host.waitForChildren(1);

    // The application's module is gone (the entry still there): the child says so in one line.
    rmSync(join(fixtures, 'fixture.module.js'));
    process.kill(first, 'SIGKILL');
    const moduleLine = await host.waitForLine(/cannot load the application/, 30_000);
    assert.match(moduleLine, /fixture\.module\.js/);
    assert.match(moduleLine, /deleteOutDir/);

    // The whole build is gone: the host does not fork a child that could only crash.
    rmSync(fixtures, { recursive: true, force: true });
    const entryLine = await host.waitForLine(/worker entry .* does not exist/, 30_000);
    assert.match(entryLine, /deleteOutDir/);
    assert.deepEqual(stackLines(host), [], host.output());
    assert.ok(host.running, host.output());

    // The build is back: a child boots and runs a job.
    cpSync(join(DIST, 'test/fixtures'), fixtures, { recursive: true });
    await t.push('EchoJob', { back: true });
    const [done] = await t.waitForDone(1, 60_000);
    assert.deepEqual(done.data, { back: true });
    assert.equal(host.output().split('\n').filter((line) => /does not exist/.test(line)).length, 1, `said once:\n${host.output()}`);
    assert.deepEqual(stackLines(host), [], host.output());
  });
});
