// nestjs-resque only: the real forked host. Peak RSS of the host and its children under load, and
// the per-job fork mode: jobs per second, and how long a job waits for perform to start when a warm
// spare child is ready versus when every job must wait for a Nest boot.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ResqueClient } from '../lib/client/resque-client.js';
import { ResqueKeys } from '../lib/protocol/keys.js';
import { makePayload, now } from './protocol.js';
import { ThrowAwayRedis } from './redis.js';
import { summarize } from './stats.js';

const HOST = fileURLToPath(new URL('./workers/nestjs-resque-host.js', import.meta.url));

interface Running {
  readonly host: ChildProcess;
  readonly redis: Redis;
  readonly client: ResqueClient;
  readonly server: ThrowAwayRedis;
}

async function start(env: Record<string, string>): Promise<Running> {
  const server = await ThrowAwayRedis.start();
  const url = `redis://127.0.0.1:${server.port}`;
  const redis = new Redis(url);
  const host = spawn(process.execPath, [HOST], {
    env: { ...process.env, REDIS_URL: url, QUEUE: 'bench', BLOCKING: '1', INTERVAL: '5', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const client = new ResqueClient({ redis, keys: new ResqueKeys('resque') });
  return { host, redis, client, server };
}

async function stop(r: Running): Promise<void> {
  const exited = once(r.host, 'exit');
  r.host.kill('SIGQUIT');
  await exited;
  r.redis.disconnect();
  await r.server.stop();
}

async function processed(redis: Redis): Promise<number> {
  return Number((await redis.get('resque:stat:processed')) ?? 0);
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`host-modes: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function hwmMb(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return Math.round(kb / 102.4) / 10;
}

function childPids(pid: number): number[] {
  try {
    return String(execFileSync('ps', ['--ppid', String(pid), '-o', 'pid=']))
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when the host has no children (yet)
  }
}

/** Long-lived children: COUNT=2 x CONCURRENCY=50, 20,000 jobs; peak RSS of host and children. */
async function longLived(jobs: number, log: (s: string) => void): Promise<string[]> {
  const r = await start({ COUNT: '2', CONCURRENCY: '50' });
  try {
    await until(async () => childPids(r.host.pid!).length === 2 && (await r.redis.scard('resque:workers')) === 2, 30_000, 'two children');
    const payloads = Array.from({ length: jobs }, (_, i) => makePayload(i + 1));
    const t0 = now();
    await r.client.enqueueBulk('bench', 'TimedJob', payloads);
    await until(async () => (await processed(r.redis)) >= jobs, 120_000, 'jobs processed');
    const seconds = (now() - t0) / 1000;
    const host = hwmMb(r.host.pid!);
    const children = childPids(r.host.pid!).map(hwmMb);
    log(`host: ${Math.round(jobs / seconds)} jobs/s end to end, host ${host} MB, children ${children.join('/')} MB`);
    return [
      `| Forked host, COUNT=2 × CONCURRENCY=50, ${jobs.toLocaleString('en-US')} jobs, enqueue (bulk) to last acknowledgement | ${Math.round(jobs / seconds).toLocaleString('en-US')} jobs/s |`,
      `| Peak RSS of the host process | ${host} MB |`,
      `| Peak RSS of each child | ${children.join(' / ')} MB |`,
    ];
  } finally {
    await stop(r);
  }
}

/** FORK_PER_JOB: throughput with COUNT=2, and enqueue -> perform wait with and without a warm spare. */
async function forkPerJob(log: (s: string) => void): Promise<string[]> {
  const lines: string[] = [];
  {
    const jobs = 30;
    const r = await start({ FORK_PER_JOB: '1', COUNT: '2', SPARES: '2' });
    try {
      await until(async () => childPids(r.host.pid!).length >= 4, 30_000, 'children and spares booted');
      const t0 = now();
      await r.client.enqueueBulk('bench', 'TimedJob', Array.from({ length: jobs }, (_, i) => makePayload(i + 1)));
      await until(async () => (await processed(r.redis)) >= jobs, 120_000, 'fork-per-job jobs');
      const perSec = jobs / ((now() - t0) / 1000);
      log(`fork per job: ${perSec.toFixed(1)} jobs/s`);
      lines.push(`| FORK_PER_JOB=1, COUNT=2, SPARES=2: ${jobs} queued jobs, a fresh child each | ${perSec.toFixed(1)} jobs/s |`);
    } finally {
      await stop(r);
    }
  }
  for (const spares of [1, 0]) {
    const pairs = 6;
    const r = await start({ FORK_PER_JOB: '1', COUNT: '1', SPARES: String(spares) });
    try {
      await until(async () => (await r.redis.scard('resque:workers')) === 1, 30_000, 'first child');
      let done = 0;
      for (let i = 1; i <= pairs; i++) {
        // A quiet moment (children and spares booted), then two jobs back to back: the second
        // arrives just as the first one's child exits. It is taken by the warm spare if there is
        // one, or waits for a freshly forked child to boot Nest.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await r.client.enqueue('bench', 'TimedJob', makePayload(2 * i - 1));
        await until(async () => (await processed(r.redis)) > done, 30_000, 'first job of the pair');
        done++;
        await r.client.enqueue('bench', 'TimedJob', { ...makePayload(2 * i), t: now() });
        await until(async () => (await processed(r.redis)) > done, 30_000, 'second job of the pair');
        done++;
      }
      const waits = (await r.redis.lrange('bench:waits', 0, -1)).map(Number);
      const s = summarize(waits);
      log(`fork per job, SPARES=${spares}: enqueue -> perform median ${s.median.toFixed(1)} ms`);
      lines.push(
        `| FORK_PER_JOB=1, COUNT=1, SPARES=${spares}: enqueue → start of perform for a job arriving as the previous job's child exits (${pairs} samples) | median ${s.median.toFixed(1)} ms (${s.min.toFixed(1)}–${s.max.toFixed(1)}) |`,
      );
    } finally {
      await stop(r);
    }
  }
  return lines;
}

export async function hostModes(jobs: number, log: (s: string) => void): Promise<string> {
  const lines = ['## nestjs-resque: the real forked host', '', '| Measurement | Result |', '|---|---|'];
  lines.push(...(await longLived(jobs, log)));
  lines.push(...(await forkPerJob(log)));
  lines.push(
    '',
    'Fork-per-job mode boots a Nest application context per job (unbundled ESM, about 0.5–1 s of CPU here), so its throughput is bounded by boot CPU. ' +
      'The child that takes a job is always one already booted; a warm spare matters when jobs come back to back: without one, the next job waits for a fresh child to boot.',
  );
  return lines.join('\n');
}
