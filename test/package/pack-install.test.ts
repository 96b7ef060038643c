/**
 * The package as a user gets it: a fresh copy of the repository (tracked files only, no dist/) is
 * packed with `npm pack` (its prepare script builds, as for npm ci and npm install git+...), the tarball is installed into an application
 * made by `nest new` (ESM, its own package.json, node_modules from npm through the local cache),
 * which is built with `nest build`; then its HTTP app enqueues through @InjectQueue and its
 * `node dist/worker.js` host runs the job in a child with the application's providers injected.
 *
 * Speed: the copy reuses the repository's node_modules, and the application's install pins the
 * versions the repository's lockfile already holds (`--prefer-offline`), with only the CLI,
 * TypeScript and @types/node as dev dependencies (the generated test tooling is not needed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { RedisServer, freePort } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';
import { waitFor } from '../support/wait.js';
import { HostProcess } from '../e2e/support/host-process.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SCRATCH_SOURCES = join(REPO, 'test/package/scratch-app');
const FILE_TIMEOUT = { timeout: 600_000 };

let work: string;
let tarball: string;
let app: string;
let server: RedisServer | undefined;
let offline: string | undefined;
const processes: HostProcess[] = [];

/** Runs a command, failing with its output (and never for longer than `timeoutMs`). */
async function sh(cwd: string, file: string, args: string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });
    return stdout;
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  return lock.packages[`node_modules/${name}`].version;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'nestjs-resque-pack-'));
  // A fresh clone: what git tracks (and new files not ignored), without dist/ or node_modules.
  const clone = join(work, 'clone');
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(REPO, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(REPO, file), join(clone, file));
  }
  symlinkSync(join(REPO, 'node_modules'), join(clone, 'node_modules'));
  const packed = JSON.parse(await sh(clone, 'npm', ['pack', '--json', '--silent', '--pack-destination', work], 300_000).then((out) => out.slice(out.indexOf('[')))) as Array<{ filename: string }>;
  tarball = join(work, packed[0].filename);

  // The application, as `nest new` makes it (the repository's CLI, without its install step).
  await sh(work, process.execPath, [join(REPO, 'node_modules/@nestjs/cli/bin/nest.js'), 'new', 'app', '--skip-install', '--skip-git', '--package-manager', 'npm'], 120_000);
  app = join(work, 'app');
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { type?: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
  assert.equal(pkg.type, 'module', 'nest new makes an ESM application');
  for (const name of Object.keys(pkg.dependencies)) pkg.dependencies[name] = lockedVersion(name);
  pkg.dependencies['nestjs-resque'] = `file:${tarball}`;
  pkg.devDependencies = Object.fromEntries(['@nestjs/cli', 'typescript', '@types/node'].map((name) => [name, lockedVersion(name)]));
  writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  // Its tsconfig names vitest's globals, a dev dependency we did not install.
  const tsconfig = join(app, 'tsconfig.json');
  writeFileSync(tsconfig, readFileSync(tsconfig, 'utf8').replace('"vitest/globals", ', ''));
  // Our additions: a job with DI, a controller enqueuing through @InjectQueue, the worker entry, nest-cli.json's projects.
  cpSync(join(SCRATCH_SOURCES, 'src'), join(app, 'src'), { recursive: true });
  cpSync(join(SCRATCH_SOURCES, 'nest-cli.json'), join(app, 'nest-cli.json'));
  try {
    await sh(app, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], 300_000);
  } catch (error) {
    // Packages the cache lacks come from the registry: without a network the install test cannot run.
    if (!/ENOTFOUND|EAI_AGAIN|ENETUNREACH|ECONNREFUSED|ETIMEDOUT|ECONNRESET/.test((error as Error).message)) throw error;
    offline = `npm could not reach the registry for the scratch app's packages: ${(error as Error).message.split('\n')[0].slice(0, 200)}`;
    return;
  }
  await sh(app, process.execPath, [join(app, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], 180_000);
  server = await RedisServer.start();
}, FILE_TIMEOUT);

after(async () => {
  await Promise.all(processes.map((p) => p.killGroup()));
  await server?.destroy();
  if (work && !process.env.KEEP_PACK_WORK) rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the built library and the sources its source maps point to', (t) => {
  if (offline) return t.skip(offline);
  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((p) => p.replace(/^package\//, ''));
  for (const file of ['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/worker/index.js', 'lib/index.ts', 'package.json', 'README.md']) {
    assert.ok(listing.includes(file), `${file} is in the tarball`);
  }
  assert.ok(!listing.some((p) => p.startsWith('test/') || p.startsWith('dist/test/')), 'no tests shipped');
  // Every source a shipped map names is shipped too.
  const installed = join(app, 'node_modules/nestjs-resque');
  const maps = listing.filter((p) => p.endsWith('.map'));
  assert.ok(maps.length > 50, `${maps.length} maps`);
  for (const map of maps) {
    const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[] };
    for (const source of sources) {
      const target = join(dirname(join(installed, map)), source);
      assert.ok(existsSync(target), `${map} points at ${source}, which is shipped`);
    }
  }
  assert.ok(readdirSync(join(app, 'dist')).includes('worker.js'), 'nest build compiled the worker entry');
});

test('the `nest new` app boots, enqueues through @InjectQueue, and node dist/worker.js runs the job with DI', FILE_TIMEOUT, async (t) => {
  if (offline) return t.skip(offline);
  const prefix = uniquePrefix('scratch');
  const port = await freePort();
  const env = { REDIS_URL: server!.url, PREFIX: prefix, PORT: String(port) };
  const http = HostProcess.start(env, join(app, 'dist/main.js'));
  processes.push(http);
  const worker = HostProcess.start({ ...env, QUEUE: 'mail', BLOCKING: '1' }, join(app, 'dist/worker.js'));
  processes.push(worker);

  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (!http.running) throw new Error(`the app exited\n${http.output()}`);
    return fetch(base).then((r) => r.ok, () => false);
  }, `the app to listen\n${http.output()}`, 60_000, 100);
  const response = await fetch(`${base}/mail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'ada@example.com' }) });
  assert.equal(response.status, 201, await response.clone().text());
  const { id } = (await response.json()) as { id: string };
  assert.match(id, /^[0-9a-f]{32}$/);

  const redis = new Redis(server!.url);
  try {
    const [sent] = await waitFor(async () => {
      if (!worker.running) throw new Error(`the worker exited\n${worker.output()}`);
      const lines = await redis.lrange(`${prefix}:scratch:sent`, 0, -1);
      return lines.length > 0 ? lines.map((line) => JSON.parse(line) as { to: string; hello: string; pid: number }) : undefined;
    }, `the job to run\n${worker.output()}\n${http.output()}`, 60_000, 100);
    assert.equal(sent.to, 'ada@example.com');
    assert.equal(sent.hello, 'Hello World!', 'AppService injected into the job');
    assert.notEqual(sent.pid, worker.pid, 'a forked child ran it');
    assert.match(worker.output(), /\[resque host \d+\] started: queues mail/);
  } finally {
    redis.disconnect();
  }
});
