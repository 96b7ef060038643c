import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos } from './chaos-run.js';

test('chaos: children, hosts and Redis killed under load; every job accounted for', { timeout: 150_000 }, async () => {
  const report = await runChaos({ jobs: 3000, chaosMs: 25_000, settleMs: 60_000, count: 3, concurrency: 4, everyMs: 600, jobMs: 20, seed: 7, quiet: true });
  console.log(`chaos report: ${JSON.stringify(report)}`);
  assert.equal(report.lost, 0, 'no job lost');
  assert.equal(report.failedWithoutReason, 0, 'every failure has a reason');
  assert.equal(report.completed + report.failed + report.queued, report.jobs);
  assert.equal(report.queued, 0, 'the worker finished the queue after the chaos');
  const kills = report.acts['kill-child'] + report.acts['kill-host-and-children'];
  // A job completes twice only if its process died between its work and its acknowledgement:
  // at most the jobs in flight at each kill (COUNT x CONCURRENCY per host kill).
  assert.ok(report.duplicates <= kills * 3 * 4, `duplicates ${report.duplicates} within ${kills} kills' in-flight jobs`);
  assert.ok(report.acts['kill-child'] > 0 && report.acts['restart-redis'] + report.acts['kill-host'] + report.acts['kill-host-and-children'] > 0, 'the chaos happened');
});

test('Redis outage: Redis stopped for 3 s under load, processing resumes by itself', { timeout: 120_000 }, async () => {
  const report = await runChaos({ jobs: 2000, chaosMs: 5_000, settleMs: 60_000, count: 2, concurrency: 4, everyMs: 1500, jobMs: 10, only: 'restart-redis', seed: 3, quiet: true });
  console.log(`outage report: ${JSON.stringify(report)}`);
  assert.ok(report.acts['restart-redis'] >= 1);
  assert.equal(report.lost, 0);
  assert.equal(report.queued, 0);
  assert.equal(report.failed, 0, 'an outage fails no job: acknowledgements wait and retry');
  assert.equal(report.duplicates, 0, 'an outage alone causes no duplicate');
  assert.equal(report.completed, report.jobs);
});
