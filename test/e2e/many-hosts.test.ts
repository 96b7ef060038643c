/**
 * End to end: several worker hosts (plain processes, 2 children each) sharing one queue on one
 * Redis, a producer enqueueing continuously (immediate and delayed jobs), and every few seconds
 * one host SIGKILLed with its children and a new one started. Checks the duties only one host may
 * do: each dead worker recovered by exactly one host, exactly once (`recovering:<id>` lock, recover.lua);
 * each delayed job promoted once (`scheduler-leader-lock`); no live worker ever taken for dead
 * (heartbeats hold); every job settled once (performed and acknowledged, or failed as DirtyExit
 * when its host died under it); and the per-worker `stat:processed:<id>` counters sum to the
 * global one (plus the jobs recoveries failed, which only the global counter gets). Per-worker counters are deleted when a worker is recovered (as Ruby's
 * unregister_worker does), so a victim's are read just before it dies: its process group is
 * frozen (SIGSTOP), its counters read until two reads agree, then it is killed.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { ResqueClient } from '../../lib/client/resque-client.js';
import { DelayedJobs } from '../../lib/client/delayed-jobs.js';
import { E2E_QUEUE } from '../fixtures/queue.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';
import type { HostProcess } from './support/host-process.js';

const TEST = { timeout: 150_000 };
const HOSTS = 4;
const KILLS = 4;
const DELAYED = 60;
const env = useHostTestEnvironment();
const producerClients: Redis[] = [];
after(() => {
  for (const client of producerClients) client.disconnect();
});

function groupSignal(host: HostProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-host.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

describe('many hosts on one Redis', () => {
  test(`${HOSTS} hosts, one SIGKILLed and replaced ${KILLS} times under load: leader duties once, every job settled once, per-worker stats sum up`, TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const vars = t.env({ COUNT: '2', HEARTBEAT_INTERVAL: '0.5', DEAD_AFTER: '4', WITNESS_URL: env.server.url, INTERVAL: '1' });
    const hosts: HostProcess[] = [];
    const startHost = async () => {
      const host = env.hosts.start(vars);
      hosts.push(host);
      await host.waitForLine(/ started: /, 30_000);
      await host.waitForChildren(2);
    };
    for (let i = 0; i < HOSTS; i++) await startHost();

    const redis = new Redis(env.server.url, { maxRetriesPerRequest: null });
    producerClients.push(redis);
    const client = new ResqueClient({ redis, keys: t.keys });
    const delayed = new DelayedJobs(client);
    let producing = true;
    let enqueued = 0;
    const producer = (async () => {
      for (let n = 0; producing; n++) {
        await client.enqueue(E2E_QUEUE, 'WitnessJob', { n, ms: 60 });
        enqueued++;
        await sleep(4);
      }
    })();
    // Delayed jobs due over the kills, promoted by whichever host leads the scheduler at the time.
    const start = Date.now();
    for (let i = 0; i < DELAYED; i++) await delayed.enqueueAt(start + 1_000 + i * 250, E2E_QUEUE, 'WitnessJob', { n: 1_000_000 + i });

    const victims: HostProcess[] = [];
    const deadWorkers: string[] = [];
    /** stat:processed:<id> of each dead worker, read while its process group was frozen. */
    const deadStats = new Map<string, number>();
    let inflightAtKill = 0;
    for (let k = 0; k < KILLS; k++) {
      await sleep(2_000 + Math.floor(Math.random() * 1_000)); // load between kills; the producer runs meanwhile
      const victim = hosts.splice(Math.floor(Math.random() * hosts.length), 1)[0]!;
      const ids = (await t.workers()).filter((id) => victim.children().some((pid) => id.split(':')[1] === String(pid)));
      assert.equal(ids.length, 2, `the victim's two workers registered\n${victim.output()}`);
      groupSignal(victim, 'SIGSTOP');
      const read = async () => Promise.all(ids.map(async (id) => Number((await env.redis.get(t.keys.statProcessed(id))) ?? 0)));
      let previous = await read();
      for (;;) {
        await sleep(50);
        const now = await read();
        if (now.every((value, i) => value === previous[i])) break;
        previous = now;
      }
      ids.forEach((id, i) => deadStats.set(id, previous[i]!));
      for (const id of ids) inflightAtKill += await env.redis.hlen(t.keys.inflight(id));
      await victim.killGroup();
      victims.push(victim);
      deadWorkers.push(...ids);
      await startHost();
    }
    producing = false;
    await producer;

    // Everything settles: every dead worker recovered, the queue and the delayed set empty, nothing in flight.
    await waitFor(async () => {
      const [queued, delayedLeft, inflight, registered] = await Promise.all([t.queueLength(), env.redis.zcard(t.keys.delayedSchedule), t.inflightKeys(), t.workers()]);
      return queued === 0 && delayedLeft === 0 && inflight.length === 0 && deadWorkers.every((id) => !registered.includes(id)) ? true : undefined;
    }, 'the queue drained, the dead workers recovered', 40_000, 100);
    const total = enqueued + DELAYED;
    await waitFor(async () => ((await t.stat('processed')) === total ? true : undefined), `${total} jobs settled`, 20_000, 100).catch(() => undefined);
    const [processed, failedCount, failures, lines] = await Promise.all([
      t.stat('processed'),
      t.stat('failed'),
      t.failed(),
      env.redis.lrange(`${t.prefix}:witness`, 0, -1),
    ]);

    // Every job settled exactly once: acknowledged, or failed as DirtyExit (its host died under it).
    const failedIds = failures.map((f) => (f.payload as { args: [{ n: number }] }).args[0].n);
    assert.equal(new Set(failedIds).size, failedIds.length, 'no job failed twice');
    for (const f of failures) assert.equal(f.exception, 'DirtyExit', JSON.stringify(f));
    assert.equal(failedCount, failures.length);
    // As in Ruby, stat:processed counts every job worked, failed ones too (recover.lua adds its failures to it).
    assert.equal(processed, total, `processed ${processed} = ${total} enqueued`);
    const performed = new Map<number, number>();
    for (const line of lines) {
      const n = Number(line.split(':')[0]);
      performed.set(n, (performed.get(n) ?? 0) + 1);
    }
    const twice = [...performed.entries()].filter(([, count]) => count > 1);
    const delayedSettled = new Set([...performed.keys(), ...failedIds].filter((n) => n >= 1_000_000));
    assert.equal(delayedSettled.size, DELAYED, 'every delayed job promoted and settled');
    assert.ok(twice.every(([n]) => n < 1_000_000), 'no delayed job promoted twice');

    // Recovery: each dead worker recovered by exactly one host; no live worker ever recovered.
    const output = [...victims, ...hosts].flatMap((host) => host.stdout);
    const recoveries = output.filter((line) => / recovered dead worker /.test(line));
    for (const id of deadWorkers) {
      const byId = recoveries.filter((line) => line.includes(` recovered dead worker ${id}:`));
      assert.equal(byId.length, 1, `${id} recovered once:\n${byId.join('\n')}`);
    }
    assert.equal(recoveries.length, deadWorkers.length, `only dead workers recovered:\n${recoveries.join('\n')}`);
    const requeued = recoveries.reduce((sum, line) => sum + Number(/: (\d+) requeued/.exec(line)?.[1] ?? 0), 0);
    // At-least-once: only a job its dead worker had performed but not acknowledged runs again, and only if it was requeued.
    assert.ok(twice.length <= requeued, `${twice.length} job(s) performed twice, ${requeued} requeued by recoveries`);
    const again = output.filter((line) => /registered again/.test(line));
    assert.deepEqual(again, [], 'no live worker was taken for dead');
    const leaders = output.filter((line) => /scheduler: leading/.test(line)).length;

    // Per-worker stats: the dead workers' (read frozen, before their recovery deleted them) plus the live
    // ones' sum to stat:processed, less the jobs recoveries failed (counted globally only: their worker was dead).
    const live = await t.workers();
    const liveStats = await Promise.all(live.map(async (id) => Number((await env.redis.get(t.keys.statProcessed(id))) ?? 0)));
    const sum = [...deadStats.values()].reduce((a, b) => a + b, 0) + liveStats.reduce((a, b) => a + b, 0);
    console.log(
      `# ${HOSTS} hosts, ${KILLS} SIGKILLs (${deadWorkers.length} dead workers holding ${inflightAtKill} jobs, each recovered once), ${hosts.length} hosts at the end: ` +
        `${total} jobs (${DELAYED} delayed), processed ${processed}, failed as DirtyExit ${failedCount}, requeued by recoveries ${requeued}, performed twice ${twice.length}; ` +
        `per-worker processed: dead ${[...deadStats.values()].reduce((a, b) => a + b, 0)} + live ${liveStats.reduce((a, b) => a + b, 0)} = ${sum}, + ${failedCount} failed by recoveries = ${sum + failedCount}; scheduler leadership taken ${leaders} times`,
    );
    assert.equal(sum + failedCount, processed, 'per-worker stat:processed + recovered failures = stat:processed');
  });
});
