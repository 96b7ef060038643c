/** printable(): what untrusted text becomes before a log line or a process title. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printable } from '../../lib/protocol/printable.js';
import { setTitle, titles } from '../../lib/worker/process-title.js';

const EVIL = 'Nope started\n[resque host 1] stopped\n\u001b[2J';

test('control, format and separator characters become escapes; printable text is unchanged', () => {
  assert.equal(printable(EVIL), 'Nope started\\n[resque host 1] stopped\\n\\x1b[2J');
  assert.equal(printable('tab\there\r'), 'tab\\there\\r');
  assert.equal(printable('del\u007f c1\u009b bidi\u202e ls\u2028 zw\u200b tag\u{e0001}'), 'del\\x7f c1\\x9b bidi\\u202e ls\\u2028 zw\\u200b tag\\u{e0001}');
  assert.equal(printable('lone \ud800 surrogate'), 'lone \\ud800 surrogate');
  const plain = 'App\\Jobs\\UserJob é 日本 😀 "quoted"';
  assert.equal(printable(plain), plain);
});

test('long text is cut with a count, never inside a surrogate pair', () => {
  assert.equal(printable('x'.repeat(1_000_000), 10), `${'x'.repeat(10)}…(+999990 chars)`);
  assert.equal(printable(`${'x'.repeat(9)}😀`, 10), `${'x'.repeat(9)}…(+1 chars)`);
});

test('process titles never carry raw control characters', () => {
  const before = process.title;
  try {
    setTitle(titles.processing('q', EVIL));
    assert.doesNotMatch(process.title, /[\u0000-\u001f\u007f]/);
  } finally {
    process.title = before;
  }
});
