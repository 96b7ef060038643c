/** The enqueue deadlines: expired in deadline order, whatever the order they were added in. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadlines } from '../../lib/client/deadlines.js';

test('an entry added after a later one still expires at its own deadline; removed entries never expire', async () => {
  const deadlines = new Deadlines();
  const expired: string[] = [];
  const now = Date.now();
  deadlines.add(now + 60_000, () => expired.push('late'));
  deadlines.add(now + 20, () => expired.push('early, added second'));
  const removed = deadlines.add(now + 10, () => expired.push('removed'));
  assert.equal(deadlines.remove(removed), true);
  assert.equal(deadlines.remove(removed), false, 'a second remove reports nothing pending');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(expired, ['early, added second']);
});

test('within() rejects with the error at the deadline and passes through an outcome before it', async () => {
  const deadlines = new Deadlines();
  const keepAlive = setTimeout(() => undefined, 5_000); // the sweep timer is unref'd, as a client's must be
  await assert.rejects(deadlines.within(new Promise(() => undefined), Date.now() + 30, () => new Error('too late')), /too late/);
  assert.equal(await deadlines.within(Promise.resolve(7), Date.now() + 30, () => new Error('never')), 7);
  clearTimeout(keepAlive);
});
