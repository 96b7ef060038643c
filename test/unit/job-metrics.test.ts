import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DURATION_BUCKETS, JobMetricsRecorder, JobMetricsTotals, WAIT_BUCKETS } from '../../lib/metrics/job-metrics.js';
import { latencyOf } from '../../lib/metrics/redis-snapshot.js';

const T = { timeout: 10_000 };

test('the recorder aggregates runs per queue and class and hands out deltas once', T, () => {
  const recorder = new JobMetricsRecorder();
  assert.equal(recorder.take(), undefined);
  recorder.record('q', 'A', 'ok', 0.001);
  recorder.record('q', 'A', 'ok', 0.3);
  recorder.record('q', 'A', 'fail', 1000);
  recorder.record('r', 'A', 'retried', 0.02);
  const batch = recorder.take()!;
  assert.deepEqual(batch.counts, [
    { queue: 'q', className: 'A', ok: 2, fail: 1, retried: 0 },
    { queue: 'r', className: 'A', ok: 0, fail: 0, retried: 1 },
  ]);
  const [d] = batch.durations;
  assert.equal(d!.count, 4);
  assert.equal(d!.buckets.length, DURATION_BUCKETS.length + 1);
  assert.equal(d!.buckets[0], 1); // 0.001 <= 0.005
  assert.equal(d!.buckets[DURATION_BUCKETS.indexOf(0.025)], 1);
  assert.equal(d!.buckets[DURATION_BUCKETS.indexOf(0.5)], 1);
  assert.equal(d!.buckets[DURATION_BUCKETS.length], 1, '1000 s is past the last bound: +Inf');
  assert.equal(recorder.take(), undefined, 'deltas: nothing twice');
  recorder.record('q', 'A', 'ok', 0.1);
  recorder.recordWait('A', 7200);
  recorder.recordWait('A', -1); // a producer clock ahead of ours: 0
  recorder.recordWait('A', Number.NaN); // ignored
  const [w] = recorder.take()!.waits!;
  assert.equal(w!.count, 2);
  assert.equal(w!.buckets[0], 1);
  assert.equal(w!.buckets[WAIT_BUCKETS.indexOf(14400)], 1);
});

test('totals merge batches and ignore malformed ones (IPC input is checked)', T, () => {
  const totals = new JobMetricsTotals();
  const recorder = new JobMetricsRecorder();
  recorder.record('q', 'A', 'ok', 0.1);
  totals.merge(recorder.take()!);
  recorder.record('q', 'A', 'ok', 0.1);
  totals.merge(recorder.take()!);
  totals.merge({ counts: [{ queue: 'q', className: 'A', ok: -5, fail: 1.5, retried: Number.NaN }], durations: [{ className: 'A', buckets: [1], sum: 1, count: 1 }] });
  totals.merge({} as never);
  assert.deepEqual([...totals.counts.values()], [{ queue: 'q', className: 'A', ok: 2, fail: 0, retried: 0 }]);
  assert.equal(totals.durations.get('A')!.count, 2);
  assert.ok(Math.abs(totals.durations.get('A')!.sum - 0.2) < 1e-9);
});

test('queue latency from queue_time, 0 without one or for text that is not JSON', T, () => {
  assert.equal(latencyOf('{"class":"A","args":[],"queue_time":100.5}', 160.5), 60);
  assert.equal(latencyOf('{"class":"A","args":[]}', 160), 0);
  assert.equal(latencyOf('not json', 160), 0);
  assert.equal(latencyOf('{"queue_time":"100"}', 160), 0);
  assert.equal(latencyOf('{"queue_time":200}', 160), 0, 'a clock ahead is not a negative latency');
  assert.equal(latencyOf(null, 160), 0);
});
