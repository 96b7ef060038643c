// Per-queue pause in the worker's queue selection: the paused set is re-read with the list, about
// once a second (injected clock), and paused queues are left out of every exchange until resumed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueSelection } from '../../lib/worker/queue-selection.js';

async function look(selection: QueueSelection): Promise<readonly string[]> {
  return await selection.next();
}

test('paused queues are left out; a change is seen at the next refresh (refreshMs), not before', async () => {
  let now = 0;
  let paused: string[] = ['b'];
  let reads = 0;
  const selection = new QueueSelection({
    queues: ['a', 'b', 'c'],
    readAll: async () => [],
    readPaused: async () => {
      reads++;
      return paused;
    },
    clock: () => now,
    refreshMs: 1000,
  });
  assert.deepEqual(await look(selection), ['a', 'c']);
  paused = ['a', 'b', 'c'];
  now = 999;
  assert.deepEqual(await look(selection), ['a', 'c'], 'within the second: the list as last read');
  assert.equal(reads, 1);
  now = 1000;
  assert.deepEqual(await look(selection), [], 'every queue paused: nothing to reserve from');
  paused = [];
  now = 2000;
  assert.deepEqual(await look(selection), ['a', 'b', 'c']);
  assert.equal(reads, 3);
});

test('with `*`, paused names are taken out of the sorted queues set', async () => {
  const selection = new QueueSelection({ queues: ['*'], readAll: async () => ['z', 'm', 'a'], readPaused: async () => ['m', 'unknown'], clock: () => 0 });
  assert.deepEqual(await look(selection), ['a', 'z']);
});
