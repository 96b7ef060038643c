/**
 * The scheduler under fire: 10,000 delayed jobs due within four seconds, two real hosts; the
 * leading host is SIGKILLed while it promotes, and Redis (AOF, appendfsync always) is restarted
 * during promotion. Every job must run, once, and none before its time.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { DelayedJobs, ResqueClient, ResqueKeys } from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

const entry = fileURLToPath(new URL('./chaos-worker.js', import.meta.url));
const JOBS = 10_000;
const groups: number[] = [];
let server: RedisServer | undefined;
let redis: Redis | undefined;

after(async () => {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  redis?.disconnect();
  await server?.destroy();
}, { timeout: 15_000 });

test('scheduler chaos: leader killed mid-promotion, Redis restarted; 10,000 delayed jobs run once, none early', { timeout: 120_000 }, async () => {
  server = await RedisServer.start({ persistent: true });
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const prefix = 'chaos';
  const keys = new ResqueKeys(prefix);
  const delayed = new DelayedJobs(new ResqueClient({ redis, keys, enqueueTimeoutMs: 30_000 }));
  const start = Math.ceil(Date.now() / 1000) * 1000 + 5_000;
  for (let second = 0; second < 4; second++) {
    const due = start + second * 1000;
    const items = Array.from({ length: JOBS / 4 }, (_, i) => ({ n: second * (JOBS / 4) + i, due }));
    await delayed.enqueueBulkAt(due, 'chaos', 'ChaosDelayedJob', items);
  }
  assert.equal(await delayed.count(), JOBS);

  const env = { ...process.env, REDIS_URL: server.url, PREFIX: prefix, QUEUE: 'chaos', COUNT: '2', CONCURRENCY: '20', HEARTBEAT_INTERVAL: '0.5', DEAD_AFTER: '3' };
  const hosts: ChildProcess[] = [];
  const startHost = () => {
    const host = spawn(process.execPath, [entry], { env, detached: true, stdio: ['ignore', 'ignore', 'ignore'] });
    groups.push(host.pid!);
    hosts.push(host);
    return host;
  };
  startHost();
  startHost();
  const leader = await waitFor(async () => (await redis!.get(keys.schedulerLock)) ?? undefined, 'a scheduler leader', 30_000);
  const leaderPid = Number(leader.split(':').pop());

  // Kill the leader (host process alone: its children finish what they hold) as promotion starts.
  await waitFor(() => Date.now() >= start + 150, 'the first due second', 15_000);
  process.kill(leaderPid, 'SIGKILL');
  const promotedAtKill = JOBS - (await delayed.count());
  // Restart Redis while the other host takes over and promotes the rest.
  await waitFor(() => Date.now() >= start + 1_500, 'mid-promotion', 10_000);
  await server.stop();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await server.start();
  startHost(); // the killed host's replacement

  // Progress every 3 s, so a run that stalls shows where (promotion, the lock, or the workers).
  const diag = setInterval(async () => {
    const r = redis!;
    console.log('progress at', Date.now() - start, 'ms:', 'ran', await r.hlen(`${prefix}:chaos:first-run`), 'delayed', await delayed.count().catch(() => -1), 'queued', await r.llen(`${prefix}:queue:chaos`), 'lock', await r.get(keys.schedulerLock), 'workers', await r.scard(`${prefix}:workers`), 'inflight', (await r.keys(`${prefix}:inflight:*`)).length, 'failed', await r.llen(`${prefix}:failed`));
  }, 3000);
  try {
    await waitFor(async () => (await redis!.hlen(`${prefix}:chaos:first-run`)) >= JOBS, 'every delayed job to run', 90_000, 200);
  } finally {
    clearInterval(diag);
  }
  await new Promise((resolve) => setTimeout(resolve, 500)); // late duplicates would land now
  const firstRun = await redis.hgetall(`${prefix}:chaos:first-run`);
  const runs = await redis.hkeys(`${prefix}:chaos:completed`);
  const perJob = new Map<number, number>();
  for (const field of runs) {
    const n = Number(field.split(':')[0]);
    perJob.set(n, (perJob.get(n) ?? 0) + 1);
  }
  const twice = [...perJob.values()].filter((count) => count > 1).length;
  let early = 0;
  let latest = 0;
  for (let n = 0; n < JOBS; n++) {
    const due = start + Math.floor(n / (JOBS / 4)) * 1000;
    const at = Number(firstRun[String(n)]);
    if (at < due) early++;
    latest = Math.max(latest, at - due);
  }
  console.log(`scheduler chaos: ${JOBS} jobs, promoted before the kill ${promotedAtKill}, ran ${perJob.size}, twice ${twice}, early ${early}, latest ${latest} ms after due`);
  assert.equal(perJob.size, JOBS, 'every job ran');
  assert.equal(twice, 0, 'none ran twice');
  assert.equal(early, 0, 'none ran before its time');
  assert.equal(await redis.llen(`${prefix}:failed`), 0);
  assert.equal(await delayed.count(), 0, 'the delayed queue is empty');
});
