/**
 * The worker loop's prefetch bookkeeping with scripted operations (no Redis): which jobs it tells
 * `reconcile` it still holds after a reconnect, and that every start is marked before the job runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FinishedJob, ReservedJob } from '../../lib/protocol/scripts/exchange-jobs.js';
import { WorkerLoop, type Exchanged, type WorkerOperations } from '../../lib/worker/worker-loop.js';
import { resolveSettings, settingsFromEnv } from '../../lib/options/worker-settings.js';

const job = (token: number): ReservedJob => ({ token: String(token), queue: 'q', raw: `{"class":"J","args":[${token}]}`, statusKey: '' });

/** Hands out jobs 1..total, `max` at a time; records the calls. */
class ScriptedOps implements WorkerOperations {
  next = 1;
  reconnectedAfter = Infinity;
  /** Exchanges that reserved (max > 0). */
  exchanges = 0;
  known: string[][] = [];
  marks: string[] = [];
  maxes: number[] = [];
  constructor(private readonly total: number) {}

  async exchange(_done: readonly FinishedJob[], max: number): Promise<Exchanged> {
    this.maxes.push(max);
    if (max > 0) this.exchanges++; // acknowledgement-only exchanges (sent ahead of a start) are not counted
    const jobs: ReservedJob[] = [];
    while (jobs.length < max && this.next <= this.total) jobs.push(job(this.next++));
    return { jobs, dry: jobs.length < max };
  }
  async waitForJobs(): Promise<void> {}
  async reconcile(known: ReadonlySet<string>): Promise<void> {
    this.known.push([...known].sort((a, b) => Number(a) - Number(b)));
  }
  takeReconnected(): boolean {
    return this.exchanges === this.reconnectedAfter;
  }
  markStarted(token: string): undefined {
    this.marks.push(token);
    return undefined;
  }
}

test('after a reconnect, reconcile is told of the jobs reserved ahead too: they are held, not orphans to put back', { timeout: 5_000 }, async () => {
  const ops = new ScriptedOps(20);
  // Job 1 proves jobs short, so exchange 2 reserves 2-6; job 2 ends at once and its acknowledgement
  // goes out (exchange 3, after a reconnect) while job 3 runs and 4-6 wait.
  ops.reconnectedAfter = 2;
  let release: () => void = () => undefined;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  const loop = new WorkerLoop(
    ops,
    async (reserved) => {
      if (reserved.token === '3') {
        setTimeout(release, 50);
        await blocked;
      }
      return { token: reserved.token, outcome: 'ok', statusKey: '' };
    },
    { concurrency: 1, maxJobs: 20, interval: 0, prefetch: 4, prefetchHoldMs: 60_000 },
  );
  await loop.run();
  assert.equal(ops.known.length, 1);
  const known = ops.known[0]!;
  for (const token of ['3', '4', '5', '6']) assert.ok(known.includes(token), `reserved-ahead job ${token} is known (known: ${known})`);
});

test('with prefetch every job is marked started before it runs, in reservation order', { timeout: 5_000 }, async () => {
  const ops = new ScriptedOps(30);
  const problems: string[] = [];
  const ran: string[] = [];
  const loop = new WorkerLoop(
    ops,
    async (reserved) => {
      if (ops.marks.at(-1) !== reserved.token) problems.push(`job ${reserved.token} ran with mark ${ops.marks.at(-1)}`);
      ran.push(reserved.token);
      return { token: reserved.token, outcome: 'ok', statusKey: '' };
    },
    { concurrency: 1, maxJobs: 30, interval: 0, prefetch: 8 },
  );
  await loop.run();
  assert.deepEqual(problems, []);
  assert.deepEqual(ran, Array.from({ length: 30 }, (_, i) => String(i + 1)));
  assert.ok(ops.exchanges < 15, `jobs reserved ahead: ${ops.exchanges} exchanges for 30 jobs`);
});

test('a long job turning prefetch off never makes the loop ask for a negative number of jobs (tokens would count back and be handed out twice)', { timeout: 5_000 }, async () => {
  const ops = new ScriptedOps(12);
  const loop = new WorkerLoop(
    ops,
    async (reserved) => {
      if (reserved.token !== '1') await new Promise((resolve) => setTimeout(resolve, 15)); // longer than SHORT_JOB_MS: prefetch turns off with 3-10 reserved
      return { token: reserved.token, outcome: 'ok', statusKey: '' };
    },
    { concurrency: 1, maxJobs: 12, interval: 0, prefetch: 8, prefetchHoldMs: 60_000 },
  );
  await loop.run();
  assert.ok(ops.maxes.every((max) => max >= 0), `asked for ${ops.maxes.join(', ')}`);
  assert.equal(ops.next, 13, 'all 12 handed out');
});

test('PREFETCH unset is 8 at CONCURRENCY 1-2 and 0 above; a PREFETCH given is kept', () => {
  assert.equal(resolveSettings({ concurrency: 1 }).prefetch, 8);
  assert.equal(resolveSettings({ concurrency: 2 }).prefetch, 8);
  assert.equal(resolveSettings({ concurrency: 10 }).prefetch, 0);
  assert.equal(resolveSettings({ concurrency: 10, prefetch: 4 }).prefetch, 4);
  assert.equal(resolveSettings({ concurrency: 1 }, settingsFromEnv({ PREFETCH: '0' })).prefetch, 0);
});
