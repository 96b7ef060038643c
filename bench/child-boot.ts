// How long a worker child of the real host takes to boot (process start to its 'ready' message),
// forked the way the host forks it: the sample app's worker entry, unbundled or through the host's
// bundle + code cache (lib/worker/host/child-bundle.ts). Sequential forks, medians.
//
//   node dist/bench/child-boot.js [forks]      (needs REDIS_URL or starts a throw-away redis-server)
import { fork } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareChildLaunch, type ChildLaunch } from '../lib/worker/host/child-bundle.js';
import { childExecArgv, childMemoryEnv } from '../lib/worker/host/child-exec-argv.js';
import { CHILD_ENV } from '../lib/worker/ipc.js';
import { now } from './protocol.js';
import { ThrowAwayRedis } from './redis.js';
import { summarize, type Summary } from './stats.js';

export const SAMPLE_ENTRY = fileURLToPath(new URL('../sample/worker.js', import.meta.url));

export interface BootSample {
  /** performance.now() in the child at ready: since its process started */
  readonly bootMs: number;
  /** fork() to the ready message in the parent */
  readonly forkToReadyMs: number;
  readonly hwmMb: number;
  /** user+system CPU of the child at ready (/proc, 10 ms ticks): less swayed by other load than wall time */
  readonly cpuMs: number;
}

export interface BootSummary {
  readonly bootMs: Summary;
  readonly forkToReadyMs: Summary;
  readonly hwmMb: Summary;
  readonly cpuMs: Summary;
}

/** An empty node child that only answers IPC: what any process costs here. */
const FLOOR = `process.send({ type: 'ready', bootMs: performance.now() }); process.on('message', () => process.exit(0));`;

function bootOnce(launch: ChildLaunch, redisUrl: string, env: NodeJS.ProcessEnv): Promise<BootSample> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = fork(launch.file, [], {
      env: { ...env, ...childMemoryEnv(env), ...launch.env, [CHILD_ENV]: '1', REDIS_URL: redisUrl },
      execArgv: childExecArgv([]),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let sample: BootSample | undefined;
    child.on('message', (m: { type: string; bootMs?: number }) => {
      if (m.type !== 'ready' || sample) return;
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      sample = {
        cpuMs: (Number(stat[11]) + Number(stat[12])) * 10,
        bootMs: m.bootMs!,
        forkToReadyMs: now() - t0,
        hwmMb: Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024,
      };
      child.send({ type: 'drain' }); // not started: it closes its context and exits 0
    });
    child.on('exit', (code, signal) => (sample && code === 0 ? resolve(sample) : reject(new Error(`boot child exited ${code ?? signal}`))));
    child.on('error', reject);
  });
}

/** `forks` sequential boots (after one that writes the code cache, when bundled). */
export async function measureBoot(
  mode: 'unbundled' | 'bundled' | 'floor',
  redisUrl: string,
  forks: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BootSummary & { launch: ChildLaunch }> {
  const execArgv = childExecArgv([]);
  let launch: ChildLaunch = { file: SAMPLE_ENTRY, env: {}, bundled: false, note: '' };
  if (mode === 'bundled') launch = await prepareChildLaunch(SAMPLE_ENTRY, execArgv, { ...env, RESQUE_BUNDLE: '1' });
  if (mode === 'floor') {
    const file = join(tmpdir(), `nestjs-resque-boot-floor-${process.pid}.cjs`);
    writeFileSync(file, FLOOR);
    launch = { file, env: {}, bundled: false, note: 'floor' };
  }
  if (mode === 'bundled' && !launch.bundled) throw new Error(`child-boot: the sample entry was not bundled: ${launch.note}`);
  await bootOnce(launch, redisUrl, env); // warm-up: page cache, and the code cache is written after this one's ready
  await new Promise((r) => setTimeout(r, 200));
  const samples: BootSample[] = [];
  for (let i = 0; i < forks; i++) samples.push(await bootOnce(launch, redisUrl, env));
  return {
    launch,
    bootMs: summarize(samples.map((s) => s.bootMs)),
    forkToReadyMs: summarize(samples.map((s) => s.forkToReadyMs)),
    hwmMb: summarize(samples.map((s) => s.hwmMb)),
    cpuMs: summarize(samples.map((s) => s.cpuMs)),
  };
}

/** Deletes the code cache of the current bundle (to measure a cold cache). */
export function dropCodeCache(launch: ChildLaunch): void {
  const file = launch.env.RESQUE_CHILD_CODE_CACHE;
  if (file) rmSync(file, { force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const forks = Number(process.argv[2] ?? 10);
  const server = process.env.REDIS_URL ? undefined : await ThrowAwayRedis.start();
  const url = process.env.REDIS_URL ?? `redis://127.0.0.1:${server!.port}`;
  try {
    const noCa = { ...process.env };
    delete noCa.NODE_EXTRA_CA_CERTS;
    for (const [label, env] of [['env as is', process.env], ['without NODE_EXTRA_CA_CERTS', noCa]] as const) {
      for (const mode of ['floor', 'unbundled', 'bundled'] as const) {
        const r = await measureBoot(mode, url, forks, env);
        const f = (s: Summary) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
        console.log(`${label}, ${mode}: boot ${f(r.bootMs)} ms, fork→ready ${f(r.forkToReadyMs)} ms, CPU ${f(r.cpuMs)} ms, VmHWM ${r.hwmMb.median.toFixed(1)} MiB`);
      }
    }
  } finally {
    await server?.stop();
  }
}
