import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const lib = fileURLToPath(new URL('../../lib/', import.meta.url));

/** Every module specifier reachable from `entry` through relative imports (compiled JS). */
function reachableImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const specifiers = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, spec] of source.matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g)) {
      if (spec === undefined) continue;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else specifiers.add(spec);
    }
  };
  visit(resolve(lib, entry));
  return specifiers;
}

// The worker host must stay small and start at once, and the protocol and the loop must be usable
// without Nest: none of these may reach @nestjs/* through static imports. (The child is loaded by
// a dynamic import in run-worker.ts, only in child processes.)
const NEST_FREE = [
  'client/resque-client.js',
  'worker/job-context.js',
  'worker/index.js',
  'worker/host/worker-host.js',
  'worker/worker-loop.js',
  'worker/redis-operations.js',
  'protocol/scripts/exchange-jobs.js',
  'protocol/scripts/recover-worker.js',
  'protocol/records.js',
  'scheduler/scheduler.js',
  'scheduler/recurring-firer.js',
  'scheduler/job-lifecycle.js',
  'client/delayed-jobs.js',
  'client/recurring-schedules.js',
];

for (const entry of NEST_FREE) {
  test(`${entry} reaches no @nestjs package`, () => {
    const specifiers = reachableImports(entry);
    assert.deepEqual([...specifiers].filter((spec) => spec.startsWith('@nestjs/')), []);
    // The scan does follow the graph: the client reaches protocol/payload.ts, which imports node:crypto.
    if (entry.startsWith('client/')) assert.ok(specifiers.has('node:crypto'), [...specifiers].join());
  });
}
