/**
 * A child's first file when the host bundled the worker entry (host/child-bundle.ts): compiles the
 * bundle with V8's code cache, then runs it as the entry would have run. The first child to reach
 * `ready` without a usable cache writes one (after ready, off the boot path); later children skip
 * compiling the functions the boot needs.
 *
 * A cache file is `sha1(data) + data`. Node 20's V8 does not checksum code caches, and a damaged one
 * can crash the process, so one whose digest does not match is deleted unused. A cache V8 rejects
 * (another node, other flags) is replaced by a fresh one.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module = require('node:module');
import { dirname } from 'node:path';
import vm = require('node:vm');

const bundle = process.env.RESQUE_CHILD_BUNDLE!;
const cacheFile = process.env.RESQUE_CHILD_CODE_CACHE!;
const entry = process.env.RESQUE_CHILD_ENTRY!;
const DIGEST = 20;

function readCache(): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const data = file.subarray(DIGEST);
  if (file.length > DIGEST && createHash('sha1').update(data).digest().equals(file.subarray(0, DIGEST))) return data;
  rmSync(cacheFile, { force: true });
  return undefined;
}

const cachedData = readCache();
const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), {
  filename: bundle,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});

if (cachedData === undefined || script.cachedDataRejected) {
  // Called by run-child.ts right after it told the host it is ready: the cache then holds the
  // functions the boot compiled, not only the top level.
  (globalThis as Record<symbol, unknown>)[Symbol.for('nestjs-resque.afterReady')] = () => {
    try {
      const data = script.createCachedData();
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.concat([createHash('sha1').update(data).digest(), data]));
      renameSync(tmp, cacheFile);
    } catch {
      // A read-only cache directory only costs the next children their compile time.
    }
  };
}

// The bundle runs as a CommonJS module of its own path; its run-time requires (externals) resolve
// from the entry's directory, where the application's node_modules are.
const mod = new Module(bundle, module);
mod.filename = bundle;
mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(entry));
mod.loaded = true;
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
run.call(mod.exports, mod.exports, Module.createRequire(entry), mod, bundle, dirname(bundle));
