// nestjs-resque only: the real forked host. Peak RSS of the host and its children under load, and
// the per-job fork mode: jobs per second, and how long a job waits for perform to start when a warm
// spare child is ready versus when every job must wait for a Nest boot.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ResqueClient } from '../lib/client/resque-client.js';
import { ResqueKeys } from '../lib/protocol/keys.js';
import { makePayload, now } from './protocol.js';
import { ThrowAwayRedis } from './redis.js';
import { summarize, type Summary } from './stats.js';
import { measureBoot } from './child-boot.js';
import { IntegrityError } from './adapter.js';

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

/** CPU of a process and its reaped children (utime+stime+cutime+cstime), ms. */
function cpuWithChildrenMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
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

/** Long-lived children: COUNT=2 x CONCURRENCY=50 and COUNT=1 x CONCURRENCY=1, `jobs` jobs; peak RSS of host and children. */
async function longLived(jobs: number, log: (s: string) => void): Promise<string[]> {
  const lines: string[] = [];
  for (const [count, concurrency] of [[2, 50], [1, 1]] as const) {
    const r = await start({ COUNT: String(count), CONCURRENCY: String(concurrency) });
    try {
      await until(async () => childPids(r.host.pid!).length === count && (await r.redis.scard('resque:workers')) === count, 30_000, 'children');
      const payloads = Array.from({ length: jobs }, (_, i) => makePayload(i + 1));
      const t0 = now();
      await r.client.enqueueBulk('bench', 'TimedJob', payloads);
      await until(async () => (await processed(r.redis)) >= jobs, 120_000, 'jobs processed');
      const seconds = (now() - t0) / 1000;
      const host = hwmMb(r.host.pid!);
      const children = childPids(r.host.pid!).map(hwmMb);
      log(`host COUNT=${count} x CONCURRENCY=${concurrency}: ${Math.round(jobs / seconds)} jobs/s end to end, host ${host} MB, children ${children.join('/')} MB`);
      const setting = `COUNT=${count} × CONCURRENCY=${concurrency}`;
      lines.push(
        `| Forked host, ${setting}, ${jobs.toLocaleString('en-US')} jobs, enqueue (bulk) to last acknowledgement | ${Math.round(jobs / seconds).toLocaleString('en-US')} jobs/s |`,
        `| ↳ peak RSS of the host process / of each child (bundled, the host's child settings) | ${host} MB / ${children.join(' / ')} MB |`,
      );
    } finally {
      await stop(r);
    }
  }
  return lines;
}

/** Every job 1..n ran exactly once (the host bench job counts runs per userId with BENCH_CHECK_RUNS=1). */
async function checkRuns(redis: Redis, n: number, what: string): Promise<void> {
  const runs = await redis.hgetall('bench:runs');
  const bad: string[] = [];
  for (let id = 1; id <= n; id++) if (runs[String(id)] !== '1') bad.push(`userId ${id}: ${runs[String(id)] ?? 0} runs`);
  if (Object.keys(runs).length !== n) bad.push(`${Object.keys(runs).length} distinct userIds ran, expected ${n}`);
  if (bad.length) throw new IntegrityError(`[host ${what}] ${bad.slice(0, 10).join('; ')}`);
}

const fmtBoot = (s: Summary) => `${s.median.toFixed(0)} ms (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;

/** Child boot, process start to ready, sequential forks of the sample app's worker entry. */
async function childBoot(log: (s: string) => void): Promise<string[]> {
  const server = await ThrowAwayRedis.start();
  const url = `redis://127.0.0.1:${server.port}`;
  const lines: string[] = [];
  try {
    const envs: Array<[string, NodeJS.ProcessEnv]> = [['', process.env]];
    if (process.env.NODE_EXTRA_CA_CERTS) {
      const without = { ...process.env };
      delete without.NODE_EXTRA_CA_CERTS;
      envs.push([' (without NODE_EXTRA_CA_CERTS)', without]);
    }
    for (const [note, env] of envs) {
      for (const mode of ['floor', 'unbundled', 'bundled'] as const) {
        const r = await measureBoot(mode, url, 10, env);
        const what =
          mode === 'floor' ? 'an empty node child (the floor)' : mode === 'unbundled' ? 'sample app child, unbundled (RESQUE_BUNDLE=0)' : "sample app child, the host's bundle + code cache (default)";
        log(`boot${note}, ${mode}: ${fmtBoot(r.bootMs)}, CPU ${fmtBoot(r.cpuMs)}, VmHWM ${r.hwmMb.median.toFixed(1)} MiB`);
        lines.push(
          `| Child boot${note}, process start → ready: ${what}, 10 forks | ${fmtBoot(r.bootMs)}; CPU ${r.cpuMs.median.toFixed(0)} ms; VmHWM ${r.hwmMb.median.toFixed(1)} MiB |`,
        );
      }
    }
  } finally {
    await server.stop();
  }
  return lines;
}

/** FORK_PER_JOB: throughput with COUNT=2, and enqueue -> perform wait with and without a warm spare. */
async function forkPerJob(log: (s: string) => void): Promise<string[]> {
  const lines: string[] = [];
  for (const bundled of [true, false]) {
    const jobs = bundled ? 60 : 20;
    const r = await start({ FORK_PER_JOB: '1', COUNT: '2', SPARES: '2', BENCH_CHECK_RUNS: '1', ...(bundled ? {} : { RESQUE_BUNDLE: '0' }) });
    try {
      await until(async () => childPids(r.host.pid!).length >= 4, 60_000, 'children and spares booted');
      const t0 = now();
      const cpu0 = cpuWithChildrenMs(r.host.pid!);
      await r.client.enqueueBulk('bench', 'TimedJob', Array.from({ length: jobs }, (_, i) => makePayload(i + 1)));
      await until(async () => (await processed(r.redis)) >= jobs, 120_000, 'fork-per-job jobs');
      const perSec = jobs / ((now() - t0) / 1000);
      // Children are counted once reaped: by now about `jobs` of them (the 4 live ones were booted before cpu0).
      const cpuPerJob = (cpuWithChildrenMs(r.host.pid!) - cpu0) / jobs;
      await new Promise((resolve) => setTimeout(resolve, 300)); // a duplicate would show up by now
      await checkRuns(r.redis, jobs, 'fork per job');
      log(`fork per job (${bundled ? 'bundled' : 'unbundled'}): ${perSec.toFixed(1)} jobs/s, CPU ${cpuPerJob.toFixed(0)} ms/job`);
      lines.push(
        `| FORK_PER_JOB=1, COUNT=2, SPARES=2, ${bundled ? 'bundled child (default)' : 'unbundled child (RESQUE_BUNDLE=0)'}: ${jobs} queued jobs, a fresh child each, each run once | ` +
          `${perSec.toFixed(1)} jobs/s; CPU (host + children) ${cpuPerJob.toFixed(0)} ms per job, a ceiling of ${((os.cpus().length * 1000) / cpuPerJob).toFixed(1)} jobs/s on ${os.cpus().length} idle cores |`,
      );
    } finally {
      await stop(r);
    }
  }
  for (const [spares, bundled] of [[1, true], [1, false], [0, true]] as const) {
    const pairs = 6;
    const r = await start({ FORK_PER_JOB: '1', COUNT: '1', SPARES: String(spares), ...(bundled ? {} : { RESQUE_BUNDLE: '0' }) });
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
      const how = bundled ? 'bundled' : 'unbundled, RESQUE_BUNDLE=0';
      log(`fork per job, SPARES=${spares} (${how}): enqueue -> perform median ${s.median.toFixed(1)} ms`);
      lines.push(
        `| FORK_PER_JOB=1, COUNT=1, SPARES=${spares} (${how}): enqueue → start of perform for a job arriving as the previous job's child exits (${pairs} samples) | median ${s.median.toFixed(1)} ms (${s.min.toFixed(1)}–${s.max.toFixed(1)}) |`,
      );
    } finally {
      await stop(r);
    }
  }
  return lines;
}

export async function hostModes(jobs: number, log: (s: string) => void): Promise<string> {
  const lines = ['## nestjs-resque: the real forked host', '', '| Measurement | Result |', '|---|---|'];
  const parts = new Set((process.env.BENCH_HOST_PARTS ?? 'boot,long,fork').split(','));
  if (parts.has('boot')) lines.push(...(await childBoot(log)));
  if (parts.has('long')) lines.push(...(await longLived(jobs, log)));
  if (parts.has('fork')) lines.push(...(await forkPerJob(log)));
  lines.push(
    '',
    'Fork-per-job mode boots a Nest application context per job, so its throughput is bounded by boot CPU. The host bundles the worker entry at its start ' +
      '(esbuild, rebuilt when an input changed) and children compile it with a V8 code cache; RESQUE_BUNDLE=0 forks the tsc output as it is. ' +
      'The child that takes a job is always one already booted; a warm spare matters when jobs come back to back: without one, the next job waits for a fresh child to boot. ' +
      'Boot figures are medians (min–max) of sequential forks; CPU is user+system of the child at ready. NODE_EXTRA_CA_CERTS (set on this machine) makes Node 20 load the CA file at every process start.',
  );
  return lines.join('\n');
}
