import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFailureRecord, parseWorkingOn, retryTarget, topLevelValueSpan, withRetriedAt } from '../../lib/protocol/records.js';

// A PHP record: `\/` escapes and an integer beyond 2^53 that JSON.parse would round.
const php =
  '{"failed_at":"Mon Jun 10 12:34:56 UTC 2024","payload":{"class":"UserJob","args":[{"url":"a\\/b","n":12345678901234567890,"s":"}]\\""}],"id":"abc","queue_time":1718022896.123456},' +
  '"exception":"RuntimeException","error":"boom","backtrace":["#0 x"],"worker":"web1:1:q","queue":"mail"}';

test('topLevelValueSpan finds a nested value byte for byte, skipping braces inside strings', () => {
  const span = topLevelValueSpan(php, 'payload');
  assert.ok(span);
  assert.equal(
    php.slice(span[0], span[1]),
    '{"class":"UserJob","args":[{"url":"a\\/b","n":12345678901234567890,"s":"}]\\""}],"id":"abc","queue_time":1718022896.123456}',
  );
  assert.equal(php.slice(...topLevelValueSpan(php, 'queue')!), '"mail"');
  assert.equal(topLevelValueSpan(php, 'retried_at'), undefined);
  const spaced = '{"a" : 1 , "b":[1,{"c":2}] }';
  assert.equal(spaced.slice(...topLevelValueSpan(spaced, 'b')!), '[1,{"c":2}]');
  assert.equal(spaced.slice(...topLevelValueSpan(spaced, 'a')!), '1');
});

test('retryTarget returns the queue and the exact payload bytes', () => {
  const target = retryTarget(php);
  assert.ok('payload' in target);
  assert.equal(target.queue, 'mail');
  assert.ok(target.payload.includes('"n":12345678901234567890'));
  assert.ok(target.payload.includes('a\\/b'));
});

test('retryTarget explains records it cannot retry', () => {
  assert.deepEqual(retryTarget('not json'), { problem: 'the record is not a JSON object' });
  assert.deepEqual(retryTarget('{"payload":{"class":"X"}}'), { problem: 'the record has no queue' });
  assert.deepEqual(retryTarget('{"payload":"garbage","queue":"q"}'), { problem: 'the record holds no job payload with a class' });
});

test('withRetriedAt appends the field once and then replaces only its value', () => {
  const once = withRetriedAt(php, '2024/06/11 00:00:00 UTC');
  assert.ok(once.startsWith(php.slice(0, -1)));
  assert.ok(once.endsWith(',"retried_at":"2024/06/11 00:00:00 UTC"}'));
  const twice = withRetriedAt(once, '2024/06/12 00:00:00 UTC');
  assert.equal(twice, once.replace('2024/06/11', '2024/06/12'));
  assert.equal(JSON.parse(twice).retried_at, '2024/06/12 00:00:00 UTC');
  assert.equal(withRetriedAt('{}', 't'), '{"retried_at":"t"}');
});

test('parseFailureRecord and parseWorkingOn accept objects and refuse other text', () => {
  assert.equal(parseFailureRecord(php)?.exception, 'RuntimeException');
  assert.equal(parseFailureRecord('[1]'), null);
  assert.equal(parseFailureRecord('{oops'), null);
  assert.deepEqual(parseWorkingOn('{"queue":"q","run_at":"2024-06-10T12:34:56Z","payload":{"class":"A","args":[]}}'), {
    queue: 'q',
    run_at: '2024-06-10T12:34:56Z',
    payload: { class: 'A', args: [] },
  });
  assert.equal(parseWorkingOn(null), null);
});
