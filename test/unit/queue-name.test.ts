/** The one queue-name rule (protocol/queue-name.ts): enqueue, @Job and QUEUE apply the same check. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidQueueNameError, InvalidSettingError, isValidQueueName, assertQueueName, MAX_QUEUE_NAME_LENGTH } from '../../lib/index.js';
import { settingsFromEnv } from '../../lib/options/worker-settings.js';

const VALID = ['UserJobQueue', 'mail', 'high-priority', 'a.b_c/d', 'App\\Jobs', 'é', '日本語', '😀', 'x'.repeat(MAX_QUEUE_NAME_LENGTH), '😀'.repeat(MAX_QUEUE_NAME_LENGTH)];
const INVALID = [
  '', 'a b', 'a,b', 'tab\t', 'a:b', 'queue:', 'a*', '*', 'nl\n', 'bell\u0007', 'esc\u001b[2J', 'del\u007f', 'c1\u0085',
  'nbsp\u00a0', 'bidi\u202e', 'zwsp\u200b', 'ls\u2028', 'lone\ud800', 'bad\ufffd', 'x'.repeat(MAX_QUEUE_NAME_LENGTH + 1), 'x'.repeat(10_000),
];

test('valid queue names pass everywhere', () => {
  for (const name of VALID) {
    assert.equal(isValidQueueName(name), true, JSON.stringify(name));
    assertQueueName(name);
    assert.deepEqual(settingsFromEnv({ QUEUE: name }).queues, [name]);
  }
});

test('invalid queue names are refused by the rule and by QUEUE, with a one-line printable message', () => {
  for (const name of INVALID) {
    assert.equal(isValidQueueName(name), false, JSON.stringify(name));
    assert.throws(() => assertQueueName(name), (error: unknown) => {
      assert.ok(error instanceof InvalidQueueNameError, JSON.stringify(name));
      assert.doesNotMatch(error.message, /[\u0000-\u001f\u007f-\u009f\u2028\u202e]/, 'message is printable');
      assert.ok(error.message.length < 400, 'a 10 kB name is cut in the message');
      return true;
    });
    if (name === '*' || name.includes(',') || name.trim() === '' || name.trim() !== name) continue; // QUEUE: '*' is the wildcard, ',' the separator; blanks are trimmed
    assert.throws(() => settingsFromEnv({ QUEUE: `ok,${name}` }), InvalidSettingError, JSON.stringify(name));
  }
  for (const value of [null, undefined, 42, {}] as unknown[]) assert.equal(isValidQueueName(value), false);
});
