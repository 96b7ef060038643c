/**
 * A faster child boot: at the host's start, the worker entry (the user's compiled tsc output, with
 * Nest, rxjs, ioredis and the application) is bundled by esbuild into one CommonJS file, and the
 * children load it through a V8 code cache (child/bundle-loader.cts). Unbundled, a child spends most
 * of its boot resolving and compiling hundreds of ESM files (300-600 ms here); bundled and cached
 * it skips both.
 *
 * Nothing to run by hand: the bundle is (re)built when any of its input files changed since the last
 * build, under `node_modules/.cache/nestjs-resque/` next to the entry. Anything unusual falls back
 * to forking the entry as it is, with one log line: RESQUE_BUNDLE=0, no esbuild, an entry that is
 * not plain JavaScript, loader flags (`--import`, `--loader`, `--require`), a build error, or a
 * bundled child that dies before it is ready.
 *
 * What bundling changes for the code in it, and how it is kept the same:
 *   - `import.meta.url` / `dirname` / `filename`, `__dirname` and `__filename` are each module's own
 *     original path (replaced per file), so files read relative to a module are still found;
 *   - packages that cannot be resolved at build time (optional ones Nest loads on demand) and Nest's
 *     HTTP/microservice platforms stay `require`/`import` calls, resolved from the entry's directory;
 *   - stack traces name the bundle (one file, each module under a `// path` comment), not the source.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export interface ChildLaunch {
  /** What to fork. */
  readonly file: string;
  /** Extra environment of the children (the loader's inputs). */
  readonly env: Readonly<Record<string, string>>;
  readonly bundled: boolean;
  /** Why the entry is forked as it is (when not bundled), or what was done (built / reused). */
  readonly note: string;
}

const LOADER = fileURLToPath(new URL('../child/bundle-loader.cjs', import.meta.url));
const BUILDER = fileURLToPath(new URL('./child-bundle-build.js', import.meta.url));
const run = promisify(execFile);
export const BUNDLE_ENV = 'RESQUE_CHILD_BUNDLE';
export const CODE_CACHE_ENV = 'RESQUE_CHILD_CODE_CACHE';
export const ENTRY_ENV = 'RESQUE_CHILD_ENTRY';

export interface Manifest {
  readonly entry: string;
  readonly bundle: string;
  /** [path, size, mtimeMs] of every input at build time */
  readonly inputs: ReadonlyArray<readonly [string, number, number]>;
  readonly esbuild: string;
  /** BUNDLE_FORMAT of the build: a bundle made by an older builder (other transforms) is rebuilt. */
  readonly format?: number;
}

/** Bumped when child-bundle-build.ts transforms sources differently (2: Nest's logger formatter on first use). */
export const BUNDLE_FORMAT = 2;

/** Decides what the host forks; never throws (a failure means forking the entry as it is). */
export async function prepareChildLaunch(entry: string, execArgv: readonly string[], env = process.env): Promise<ChildLaunch> {
  const plain = (note: string): ChildLaunch => ({ file: entry, env: {}, bundled: false, note });
  if (['0', 'false', 'no', 'off'].includes((env.RESQUE_BUNDLE ?? '').trim().toLowerCase())) return plain('RESQUE_BUNDLE=0');
  if (!['.js', '.mjs', '.cjs'].includes(extname(entry))) return plain(`the entry ${entry} is not compiled JavaScript`);
  const loaderFlag = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].find((f) => /^--(import|loader|experimental-loader|require)\b|^-r$/.test(f));
  if (loaderFlag) return plain(`node runs with ${loaderFlag}`);
  const cacheDir = findCacheDir(entry);
  if (!cacheDir) return plain('no node_modules directory above the entry for the bundle cache');
  try {
    const { bundle, built } = await ensureBundle(entry, cacheDir);
    const flags = createHash('sha1').update(`${process.version} ${process.arch} ${execArgv.join(' ')}`).digest('hex').slice(0, 10);
    const codeCache = bundle.replace(/\.cjs$/, `.${flags}.v8cache`);
    return {
      file: LOADER,
      env: { [BUNDLE_ENV]: bundle, [CODE_CACHE_ENV]: codeCache, [ENTRY_ENV]: entry },
      bundled: true,
      note: built ? `bundled ${relative(process.cwd(), entry) || entry} into ${relative(process.cwd(), bundle)}` : 'bundle up to date',
    };
  } catch (error) {
    return plain(`bundling failed (${firstLine(error)})`);
  }
}

/** The builder's report ({"error": ...} on its stdout), else the error's first line. */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  try {
    const reported = (JSON.parse(text) as { error?: string }).error;
    if (reported) return reported;
  } catch {
    // not the builder's report
  }
  return text.split('\n').find((line) => line.trim() !== '')?.slice(0, 300) ?? 'unknown error';
}

function findCacheDir(entry: string): string | undefined {
  for (let dir = dirname(resolve(entry)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'nestjs-resque');
    if (dirname(dir) === dir) return undefined;
  }
}

/** Reuses the last bundle of `entry` if none of its inputs changed; else builds one. */
async function ensureBundle(entry: string, cacheDir: string): Promise<{ bundle: string; built: boolean }> {
  const id = createHash('sha1').update(resolve(entry)).digest('hex').slice(0, 12);
  const manifestFile = join(cacheDir, `child-${id}.json`);
  const previous = readManifest(manifestFile);
  if (previous && previous.esbuild === esbuildVersion() && previous.format === BUNDLE_FORMAT && existsSync(previous.bundle) && unchanged(previous.inputs)) {
    return { bundle: previous.bundle, built: false };
  }
  // In a process of its own: esbuild and the build's data would stay in the host's peak RSS.
  const { stdout } = await run(process.execPath, [BUILDER, resolve(entry), cacheDir, manifestFile], { timeout: 120_000, maxBuffer: 1 << 20 }).catch(
    (error: { stdout?: string }) => {
      throw new Error(String(error.stdout ?? '').trim() || String(error));
    },
  );
  return { bundle: (JSON.parse(stdout) as { bundle: string }).bundle, built: true };
}

function esbuildVersion(): string {
  return (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8')) as { version: string }).version;
}

function readManifest(file: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function unchanged(inputs: Manifest['inputs']): boolean {
  for (const [path, size, mtimeMs] of inputs) {
    try {
      const s = statSync(path);
      if (s.size !== size || s.mtimeMs !== mtimeMs) return false;
    } catch {
      return false;
    }
  }
  return true;
}

