import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const lib = fileURLToPath(new URL('../../lib/', import.meta.url));

/** Package specifiers reached from `entry` through static imports only (compiled JS; dynamic import() not followed). */
function staticImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const specifiers = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:import|export)\s[^'"()]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
      if (spec === undefined) continue;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else specifiers.add(spec);
    }
  };
  visit(resolve(lib, entry));
  return specifiers;
}

// prom-client is an optional peer: a host without METRICS_PORT must start without it installed.
for (const entry of ['worker/host/worker-host.js', 'worker/child/run-child.js', 'index.js', 'worker/index.js']) {
  test(`${entry} does not load prom-client, @nestjs/terminus or @opentelemetry/api statically`, { timeout: 10_000 }, () => {
    const specifiers = staticImports(entry);
    // The scan does follow the graph: the host reaches ioredis.
    if (entry.startsWith('worker/host/')) assert.ok(specifiers.has('ioredis'), [...specifiers].join());
    // @opentelemetry/api likewise: loaded only with forRoot({ tracing: true }).
    assert.deepEqual([...specifiers].filter((s) => s === 'prom-client' || s.startsWith('@nestjs/terminus') || s.startsWith('@opentelemetry/')), []);
  });
}

// The CLI, the host's metrics server and the health checks run without Nest (the CLI in a bare `npx`).
for (const entry of ['cli/main.js', 'metrics/metrics-server.js', 'health/resque-health-checks.js']) {
  test(`${entry} reaches no @nestjs package and no optional peer statically`, { timeout: 10_000 }, () => {
    const specifiers = [...staticImports(entry)];
    assert.deepEqual(specifiers.filter((s) => s.startsWith('@nestjs/') || s === 'prom-client'), []);
  });
}
