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
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ChildLaunch {
  /** What to fork. */
  readonly file: string;
  /** Extra environment of the children (the loader's inputs). */
  readonly env: Readonly<Record<string, string>>;
  readonly bundled: boolean;
  /** Why the entry is forked as it is (when not bundled), or what was done (built / reused). */
  readonly note: string;
}

/** Nest's optional platforms: never needed by a worker's application context, large, and loaded on demand. */
const ALWAYS_EXTERNAL = [
  '@nestjs/platform-express',
  '@nestjs/platform-fastify',
  '@nestjs/microservices',
  '@nestjs/websockets',
  'express',
  'fastify',
  'esbuild', // the host's, reached through run-worker.ts's import of the host
];

const LOADER = fileURLToPath(new URL('../child/bundle-loader.cjs', import.meta.url));
export const BUNDLE_ENV = 'RESQUE_CHILD_BUNDLE';
export const CODE_CACHE_ENV = 'RESQUE_CHILD_CODE_CACHE';
export const ENTRY_ENV = 'RESQUE_CHILD_ENTRY';

interface Manifest {
  readonly entry: string;
  readonly bundle: string;
  /** [path, size, mtimeMs] of every input at build time */
  readonly inputs: ReadonlyArray<readonly [string, number, number]>;
  readonly esbuild: string;
}

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

function firstLine(error: unknown): string {
  // esbuild's own errors carry the message and where; its Error message is only "Build failed".
  const first = (error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> })?.errors?.[0];
  if (first) return `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}`.slice(0, 300);
  const text = error instanceof Error ? error.message : String(error);
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
  const esbuild = await import('esbuild');
  const previous = readManifest(manifestFile);
  if (previous && previous.esbuild === esbuild.version && existsSync(previous.bundle) && unchanged(previous.inputs)) {
    return { bundle: previous.bundle, built: false };
  }
  mkdirSync(cacheDir, { recursive: true });
  // esbuild's service process would outlive the build (and get the host's signals): stop it after.
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    keepNames: true,
    metafile: true,
    logLevel: 'silent',
    outfile: join(cacheDir, 'child.cjs'),
    external: ALWAYS_EXTERNAL,
    plugins: [hostStaysOut(), rxjsEsm(), unresolvedStaysExternal(), ownPaths(resolve(entry))],
  }).finally(() => esbuild.stop());
  const code = result.outputFiles[0]!.contents;
  const hash = createHash('sha1').update(code).digest('hex').slice(0, 12);
  const bundle = join(cacheDir, `child-${id}-${hash}.cjs`);
  if (!existsSync(bundle)) atomicWrite(bundle, code);
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => resolve(p))
    .filter((p) => existsSync(p))
    .map((p) => {
      const s = statSync(p);
      return [p, s.size, s.mtimeMs] as const;
    });
  atomicWrite(manifestFile, JSON.stringify({ entry: resolve(entry), bundle, inputs, esbuild: esbuild.version } satisfies Manifest));
  return { bundle, built: true };
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

/** Two hosts may build at once: each writes a temporary file and renames it into place. */
export function atomicWrite(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

type Plugin = import('esbuild').Plugin;

/** runWorker imports the host only where the child marker is absent: a child never reaches it. */
function hostStaysOut(): Plugin {
  return {
    name: 'host-stays-out',
    setup(build) {
      build.onResolve({ filter: /\/host\/worker-host\.js$/ }, (args) =>
        /[\\/]worker[\\/]run-worker\.js$/.test(args.importer) ? { path: resolve(args.resolveDir, args.path), external: true } : undefined,
      );
    },
  };
}

/**
 * rxjs resolves to its CommonJS build under Node, which esbuild cannot tree-shake; its ES build
 * (sideEffects: false) leaves 1/10 of it in the bundle, and the child ~7 MB smaller.
 */
function rxjsEsm(): Plugin {
  return {
    name: 'rxjs-esm',
    setup(build) {
      build.onResolve({ filter: /^rxjs(\/operators)?$/ }, async (args) => {
        if (args.pluginData === 'probe') return undefined;
        const found = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'probe' });
        if (found.errors.length > 0) return undefined;
        const esm = found.path.replace(/([\\/]dist[\\/])cjs([\\/])/, '$1esm$2');
        return esm !== found.path && existsSync(esm) ? { path: esm } : undefined;
      });
    },
  };
}

/** A bare import esbuild cannot resolve stays a runtime import (as unbundled: it fails only if reached). */
function unresolvedStaysExternal(): Plugin {
  return {
    name: 'unresolved-stays-external',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'probe') return undefined;
        const found = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'probe' });
        return found.errors.length > 0 ? { path: args.path, external: true } : undefined;
      });
    },
  };
}

/**
 * Every module keeps its own location: `import.meta.url`/`dirname`/`filename` and `__dirname`/
 * `__filename` are replaced by its original path. The entry's top-level await (CommonJS has none)
 * becomes an async function around the statements from the first one on.
 */
function ownPaths(entry: string): Plugin {
  return {
    name: 'own-paths',
    setup(build) {
      build.onLoad({ filter: /\.(c|m)?js$/ }, (args) => {
        let source = readFileSync(args.path, 'utf8');
        const original = source;
        if (source.includes('import.meta')) {
          source = source
            .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
            .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
            .replaceAll('import.meta.filename', JSON.stringify(args.path));
        }
        if (/\b__(dirname|filename)\b/.test(source)) source = declarePaths(source, args.path);
        if (args.path === entry) source = wrapTopLevelAwait(source);
        return source === original ? undefined : { contents: source, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** `var __dirname = ..., __filename = ...;` after a shebang and a leading "use strict" (kept a directive). */
function declarePaths(source: string, path: string): string {
  const declaration = `var __dirname = ${JSON.stringify(dirname(path))}, __filename = ${JSON.stringify(path)};\n`;
  const head = /^(#![^\n]*\n)?(\s*(['"])use strict\3;?[^\n]*\n)?/.exec(source)?.[0] ?? '';
  return head + declaration + source.slice(head.length);
}

/** The entry's statements from its first top-level `await` (a line starting with it) run in an async function. */
function wrapTopLevelAwait(source: string): string {
  const match = /^await\b/m.exec(source);
  if (!match) return source;
  return `${source.slice(0, match.index)}(async () => {\n${source.slice(match.index)}\n})();\n`;
}
