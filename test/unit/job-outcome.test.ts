import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureRecordParts } from '../../lib/protocol/failure.js';
import { decodeOutcome, decodeOutcomes, encodeOutcome, failureSummaryOf, type JobOutcome } from '../../lib/protocol/job-outcome.js';

const completed: JobOutcome = { type: 'job.completed', queue: 'q', className: 'A', id: 'abc', workerId: 'h:1:q', durationMs: 1.23456 };
const failed: JobOutcome = { type: 'job.failed', queue: 'q"x', className: 'B\n', workerId: 'h:1:q', durationMs: 0, error: { exception: 'TypeError', message: 'bad "thing"' } };

test('outcomes survive encode → decode, strings escaped; a message is a JSON array', () => {
  assert.deepEqual(decodeOutcome(encodeOutcome(completed)), { ...completed, durationMs: 1.235 });
  assert.deepEqual(decodeOutcome(encodeOutcome(failed)), failed);
  assert.deepEqual(decodeOutcomes(`[${encodeOutcome(completed)},${encodeOutcome(failed)}]`).map((o) => o.type), ['job.completed', 'job.failed']);
});

test('untrusted messages: anything that is not an outcome is dropped, never thrown', () => {
  assert.deepEqual(decodeOutcomes('not json'), []);
  assert.deepEqual(decodeOutcomes('{"type":"completed"}'), []);
  assert.deepEqual(decodeOutcomes('[1,null,{"type":"completed","queue":1}]'), []);
  assert.equal(decodeOutcome('{"type":"failed","queue":"q","class":"A","worker":"w","ms":1}'), undefined, 'failed without exception/error');
  assert.equal(decodeOutcome('{"type":"completed","queue":"q","class":"A","worker":"w","ms":1,"id":5}'), undefined);
});

test('failureSummaryOf reads the exception and error back from a failure record', () => {
  const parts = failureRecordParts({ exception: 'MyError', error: 'it "broke"', backtrace: ['a'], worker: 'w', queue: 'q' });
  assert.deepEqual(failureSummaryOf(parts), { exception: 'MyError', message: 'it "broke"' });
});
