// The host's child bundle (lib/worker/host/child-bundle.ts) and its code-cache loader
// (lib/worker/child/bundle-loader.cts), on a throw-away project: what the bundle keeps of each
// module's location, when it is rebuilt, when the host forks the entry as it is, and a damaged cache.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { prepareChildLaunch, type ChildLaunch } from '../../lib/worker/host/child-bundle.js';
import { CHILD_ENV } from '../../lib/worker/ipc.js';

let root: string;
let entry: string;
const ENV = { ...process.env, RESQUE_BUNDLE: '1' };

interface Report {
  readonly self: string;
  readonly meta: string;
  readonly dep: string;
  readonly bundled: boolean;
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'nestjs-resque-bundle-'));
  mkdirSync(join(root, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(join(root, 'node_modules', 'dep', 'package.json'), JSON.stringify({ name: 'dep', main: 'index.cjs' }));
  // A CommonJS package that reads its own directory, as packages that ship data files do.
  writeFileSync(join(root, 'node_modules', 'dep', 'index.cjs'), `'use strict';\nmodule.exports = { dir: __dirname };\n`);
  mkdirSync(join(root, 'app'));
  entry = join(root, 'app', 'entry.mjs');
  // An ESM entry like a tsc-compiled worker.ts: imports, then a top-level await.
  writeFileSync(
    entry,
    [
      `import dep from 'dep';`,
      `import { fileURLToPath } from 'node:url';`,
      `const self = fileURLToPath(import.meta.url);`,
      `await new Promise((resolve) => setTimeout(resolve, 1));`,
      `process.send({ self, meta: import.meta.dirname, dep: dep.dir, bundled: process.env.RESQUE_CHILD_BUNDLE !== undefined });`,
      `globalThis[Symbol.for('nestjs-resque.afterReady')]?.();`,
      `process.on('message', () => process.exit(0));`,
      '',
    ].join('\n'),
  );
});
after(() => rmSync(root, { recursive: true, force: true }));

function run(launch: ChildLaunch): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = fork(launch.file, [], { env: { ...process.env, ...launch.env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let report: Report | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('message', (m: Report) => {
      report = m;
      child.send('exit');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (report && code === 0) resolve(report);
      else reject(new Error(`child exited ${code ?? signal} before reporting`));
    });
  });
}

test('the bundle runs the entry with each module at its own path, and a code cache is written after the first run', async () => {
  const launch = await prepareChildLaunch(entry, [], ENV);
  assert.equal(launch.bundled, true, launch.note);
  assert.match(launch.env.RESQUE_CHILD_BUNDLE!, /node_modules[\\/]\.cache[\\/]nestjs-resque[\\/]child-.*\.cjs$/);
  assert.ok(launch.env.RESQUE_CHILD_BUNDLE!.startsWith(join(root, 'node_modules')), 'cache under the entry\'s node_modules');
  const report = await run(launch);
  assert.deepEqual(report, { self: entry, meta: join(root, 'app'), dep: join(root, 'node_modules', 'dep'), bundled: true });
  assert.ok(existsSync(launch.env.RESQUE_CHILD_CODE_CACHE!), 'code cache written');
});

test('an unchanged project reuses its bundle; a changed input rebuilds it', async () => {
  const first = await prepareChildLaunch(entry, [], ENV);
  const again = await prepareChildLaunch(entry, [], ENV);
  assert.equal(again.note, 'bundle up to date');
  assert.equal(again.env.RESQUE_CHILD_BUNDLE, first.env.RESQUE_CHILD_BUNDLE);
  const later = new Date(Date.now() + 5000);
  utimesSync(join(root, 'node_modules', 'dep', 'index.cjs'), later, later);
  const rebuilt = await prepareChildLaunch(entry, [], ENV);
  assert.match(rebuilt.note, /^bundled /);
});

test('other V8 flags get their own code cache (V8 rejects a cache made under different flags)', async () => {
  const plain = await prepareChildLaunch(entry, [], ENV);
  const flagged = await prepareChildLaunch(entry, ['--max-semi-space-size=4'], ENV);
  assert.equal(flagged.env.RESQUE_CHILD_BUNDLE, plain.env.RESQUE_CHILD_BUNDLE);
  assert.notEqual(flagged.env.RESQUE_CHILD_CODE_CACHE, plain.env.RESQUE_CHILD_CODE_CACHE);
});

test('a damaged code cache is deleted unused and replaced; the child still runs', async () => {
  const launch = await prepareChildLaunch(entry, [], ENV);
  await run(launch);
  const cache = launch.env.RESQUE_CHILD_CODE_CACHE!;
  const data = readFileSync(cache);
  for (let i = 40; i < data.length; i += 97) data[i] = data[i]! ^ 0xff; // flipped bytes crash V8 unless caught
  writeFileSync(cache, data);
  const report = await run(launch);
  assert.equal(report.bundled, true);
  const fresh = readFileSync(cache);
  assert.notDeepEqual(fresh, data, 'replaced by a good cache');
});

test('the sample child drained right after ready still writes its code cache (here its Redis never answers, so closing takes no I/O)', { timeout: 120_000 }, async () => {
  const sample = fileURLToPath(new URL('../../sample/worker.js', import.meta.url));
  const launch = await prepareChildLaunch(sample, [], ENV);
  assert.equal(launch.bundled, true, launch.note);
  rmSync(launch.env.RESQUE_CHILD_CODE_CACHE!, { force: true });
  const closed = await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
  const child = fork(launch.file, [], {
    env: { ...process.env, ...launch.env, [CHILD_ENV]: '1', REDIS_URL: `redis://127.0.0.1:${closed}` },
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.on('message', (message: { type: string }) => {
    if (message.type === 'ready') child.send({ type: 'drain' });
  });
  const code = await exit;
  clearTimeout(timer);
  assert.equal(code, 0);
  assert.ok(existsSync(launch.env.RESQUE_CHILD_CODE_CACHE!), 'code cache written before the child left');
});

test('the entry is forked as it is: RESQUE_BUNDLE=0, TypeScript entries, loader flags, and a build that fails', async () => {
  assert.deepEqual(await prepareChildLaunch(entry, [], { ...ENV, RESQUE_BUNDLE: '0' }), { file: entry, env: {}, bundled: false, note: 'RESQUE_BUNDLE=0' });
  assert.equal((await prepareChildLaunch(join(root, 'app', 'worker.ts'), [], ENV)).bundled, false);
  const loader = await prepareChildLaunch(entry, ['--import', 'tsx'], ENV);
  assert.deepEqual([loader.bundled, loader.note], [false, 'node runs with --import']);
  const broken = join(root, 'app', 'broken.mjs');
  writeFileSync(broken, `import './missing.js';\n`);
  const failed = await prepareChildLaunch(broken, [], ENV);
  assert.equal(failed.bundled, false);
  assert.equal(failed.file, broken);
  assert.match(failed.note, /^bundling failed \(.*missing\.js/);
  // The entry as it is still runs.
  assert.equal((await run(await prepareChildLaunch(entry, [], { ...ENV, RESQUE_BUNDLE: 'off' }))).bundled, false);
});
