/**
 * Builds the child bundle of host/child-bundle.ts, in a process of its own (so esbuild and the
 * build's data never reach the host's memory):
 *
 *   node child-bundle-build.js <entry> <cache dir> <manifest file>
 *
 * prints {"bundle": path} on success, {"error": first line} and exit code 1 on failure.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLE_FORMAT, type Manifest } from './child-bundle.js';
import { deferDateTimeFormat } from './lazy-date-format.js';

/** Nest's optional platforms: never needed by a worker's application context, large, and loaded on demand. */
const ALWAYS_EXTERNAL = [
  '@nestjs/platform-express',
  '@nestjs/platform-fastify',
  '@nestjs/microservices',
  '@nestjs/websockets',
  'express',
  'fastify',
  'esbuild', // the host's, reached through run-worker.ts's import of the host
  // An optional peer loaded on demand (metrics) that does not import Nest: only an application
  // that uses it pays. (A package that imports Nest must be bundled: a second Nest breaks DI.)
  'prom-client',
  // Tracing's optional peer: the application's own copy, where its SDK registered the tracer provider.
  '@opentelemetry/api',
];

async function buildBundle(entry: string, cacheDir: string, manifestFile: string): Promise<{ bundle: string }> {
  const esbuild = await import('esbuild');
  const id = basename(manifestFile, '.json');
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
  const bundle = join(cacheDir, `${id}-${hash}.cjs`);
  if (!existsSync(bundle)) atomicWrite(bundle, code);
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => resolve(p))
    .filter((p) => existsSync(p))
    .map((p) => {
      const s = statSync(p);
      return [p, s.size, s.mtimeMs] as const;
    });
  atomicWrite(manifestFile, JSON.stringify({ entry: resolve(entry), bundle, inputs, esbuild: esbuild.version, format: BUNDLE_FORMAT } satisfies Manifest));
  return { bundle };
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
 * becomes an async function around the statements from the first one on. Nest's loggers make their
 * timestamp formatter on first use (lazy-date-format.ts).
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
        source = deferDateTimeFormat(args.path, source);
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

function errorLine(error: unknown): string {
  // esbuild's own errors carry the message and where; its Error message is only "Build failed".
  const first = (error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> })?.errors?.[0];
  if (first) return `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}`.slice(0, 300);
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').find((line) => line.trim() !== '')?.slice(0, 300) ?? 'unknown error';
}

const [entry, cacheDir, manifestFile] = process.argv.slice(2);
buildBundle(entry!, cacheDir!, manifestFile!).then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (error: unknown) => {
    process.stdout.write(JSON.stringify({ error: errorLine(error) }));
    process.exitCode = 1;
  },
);
