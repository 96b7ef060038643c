import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childExecArgv, childMemoryEnv } from '../../lib/worker/host/child-exec-argv.js';

test('children get a small young generation, one V8 background thread and two malloc arenas unless the user chose otherwise', () => {
  assert.deepEqual(childExecArgv(['--enable-source-maps', '--inspect=9229'], ''), ['--enable-source-maps', '--max-semi-space-size=4', '--v8-pool-size=1']);
  assert.deepEqual(childExecArgv(['--max-semi-space-size=16'], '--v8-pool-size=4'), ['--max-semi-space-size=16']);
  assert.deepEqual(childMemoryEnv({}), { MALLOC_ARENA_MAX: '2' });
  assert.deepEqual(childMemoryEnv({ MALLOC_ARENA_MAX: '8' }), {});
});
