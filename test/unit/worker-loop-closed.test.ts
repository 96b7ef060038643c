/**
 * A loop whose operations were closed (their connection disconnected for good) ends instead of
 * retrying forever: what it held stays in flight in Redis for recovery, and nothing keeps the
 * process alive (a test that fails with a job unacknowledged must still end).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FinishedJob } from '../../lib/protocol/scripts/exchange-jobs.js';
import { WorkerLoop, type Exchanged, type WorkerOperations } from '../../lib/worker/worker-loop.js';

class ClosingOps implements WorkerOperations {
  closed = false;
  calls = 0;
  async exchange(_done: readonly FinishedJob[], max: number): Promise<Exchanged> {
    this.calls++;
    if (this.closed) throw new Error('Connection is closed.');
    // The first call hands out one job; the client is closed while it runs.
    return this.calls === 1 ? { jobs: [{ token: '1', queue: 'q', raw: '{"class":"J","args":[]}' }], dry: false } : { jobs: [], dry: max > 0 };
  }
  async waitForJobs(): Promise<void> {}
  async reconcile(): Promise<void> {}
  takeReconnected(): boolean {
    return false;
  }
}

test('once its operations are closed, a failed exchange ends the loop instead of a retry', { timeout: 5_000 }, async () => {
  const ops = new ClosingOps();
  const errors: string[] = [];
  const loop = new WorkerLoop(
    ops,
    async (job) => {
      loop.stop();
      ops.closed = true; // the worker is shut down with this job's acknowledgement still to send
      return { token: job.token, outcome: 'ok' };
    },
    { concurrency: 1, maxJobs: 0, interval: 5, onError: (error) => errors.push(error.message) },
  );
  await loop.run();
  assert.equal(ops.calls, 2, 'the acknowledgement was tried once, not retried');
  assert.deepEqual(errors, [], 'no backoff round');
});
