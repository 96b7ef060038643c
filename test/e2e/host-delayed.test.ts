/**
 * End to end: delayed jobs promoted by the scheduler inside a real worker host, run by its
 * children, never before their time; one leader among hosts; the lock released at QUIT.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayedJobs, JobStatus, RecurringSchedules, ResqueClient } from '../../lib/index.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis, E2E_QUEUE } from './support/e2e-redis.js';

const TEST = { timeout: 30_000 };
const env = useHostTestEnvironment();

function delayedJobs(t: E2eRedis): DelayedJobs {
  return new DelayedJobs(new ResqueClient({ redis: env.redis, keys: t.keys }));
}

describe('worker host: delayed jobs', () => {
  test('a tracked delayed job runs once, not before its time, keeps its id and ends COMPLETE', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    env.hosts.start(t.env());
    const delayed = delayedJobs(t);
    const due = Date.now() + 1_500;
    const id = await delayed.enqueueAt(due, E2E_QUEUE, 'EchoJob', { due }, true);
    const now = await delayed.enqueueIn(0, E2E_QUEUE, 'EchoJob', { due: 0 });
    const done = await t.waitForDone(2, 15_000);
    const late = done.find((entry) => (entry.data as { due: number }).due === due)!;
    assert.ok(late.at! >= due, `ran at ${late.at}, due ${due}: never early`);
    assert.ok(late.at! - due < 2_500, `late by ${late.at! - due} ms: under a second of rounding plus the tick (and boot noise)`);
    assert.equal(done[0].data && (done[0].data as { due: number }).due, 0, 'a job due now ran first');
    await waitFor(async () => (await t.status(id))?.status === JobStatus.Complete, 'the delayed job\'s status to follow it to COMPLETE');
    assert.equal(await delayed.at(id), null);
    assert.equal(await delayed.at(now), null);
    assert.equal(await delayed.count(), 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await t.done()).length, 2, 'each ran once');
  });

  test('two hosts: one scheduler leads; QUIT releases the lock and the other takes over', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const a = env.hosts.start(t.env());
    await waitFor(async () => (await env.redis.get(t.keys.schedulerLock)) !== null, 'a leader');
    const b = env.hosts.start(t.env());
    await waitFor(() => b.stdout.some((line) => line.includes('started:')), 'host b to start');
    assert.match((await env.redis.get(t.keys.schedulerLock))!, new RegExp(`:${a.pid}$`));
    a.signal('SIGQUIT');
    await a.exited;
    await waitFor(async () => (await env.redis.get(t.keys.schedulerLock))?.endsWith(`:${b.pid}`), 'host b to lead', 10_000);
    const delayed = delayedJobs(t);
    await delayed.enqueueIn(200, E2E_QUEUE, 'EchoJob', { after: 'failover' });
    const [done] = await t.waitForDone(1, 10_000);
    assert.deepEqual(done.data, { after: 'failover' });
  });

  test("the leading host samples the counters into the dashboard's per-minute history", TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    await env.redis.set(t.keys.statProcessed(), '41');
    env.hosts.start(t.env());
    const [member] = await waitFor(async () => {
      const members = await env.redis.zrange(t.keys.statHistory, '0', '-1');
      return members.length > 0 ? members : undefined;
    }, 'a sample in stat-history');
    assert.match(member, /^\d+:41:0$/, 'minute:processed:failed, from the global counters');
  });

  test('SCHEDULER=0: the host promotes nothing', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start({ ...t.env(), SCHEDULER: '0' });
    await waitFor(() => host.stdout.some((line) => line.includes('started:')), 'host to start');
    await delayedJobs(t).enqueueIn(0, E2E_QUEUE, 'EchoJob', {});
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(await env.redis.exists(t.keys.schedulerLock), 0);
    assert.equal(await delayedJobs(t).count(), 1, 'still delayed');
  });
});

describe('worker host: recurring schedules', () => {
  test('three hosts, one schedule every second: one enqueue per tick', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const schedules = new RecurringSchedules(new ResqueClient({ redis: env.redis, keys: t.keys }));
    await schedules.set('tick', { queue: E2E_QUEUE, className: 'EchoJob', every: 1_000, data: { tick: true } });
    const first = Number(await env.redis.zscore(t.keys.recurringNext, 'tick'));
    for (let i = 0; i < 3; i++) env.hosts.start(t.env());
    await t.waitForDone(4, 20_000);
    const last = Number((await env.redis.hget(t.keys.recurringLast, 'tick'))!.split(' ')[0]);
    const next = Number(await env.redis.zscore(t.keys.recurringNext, 'tick'));
    const ticks = Math.round((next - first) / 1_000); // ticks claimed so far (first included)
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the last claimed tick's job finish
    const runs = (await t.done()).length + (await env.redis.llen(t.keys.queue(E2E_QUEUE)));
    assert.ok(ticks >= 4, `ticks claimed: ${ticks}`);
    // Each claimed tick enqueues at most once: a tick enqueued by two hosts would make runs exceed
    // the ticks (one more may be claimed between the two reads). Fewer runs than ticks is the
    // catch-up-once policy: ticks missed while the hosts booted are merged into one run.
    assert.ok(runs >= 4 && runs <= ticks + 1, `${runs} runs for ${ticks} ticks: none twice (last fired at ${last})`);
  });
});
