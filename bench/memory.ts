// Where a worker process's memory goes: peak RSS (VmHWM) of processes that stop at successive
// stages (bare node, + ioredis, + a Nest context, + our module, + running jobs), against a BullMQ
// worker running the same jobs; with V8's defaults and with the flags and environment the host
// gives its children (lib/worker/host/child-exec-argv.ts).
//
//   node dist/bench/memory.js [jobs]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { ResqueClient } from '../lib/client/resque-client.js';
import { ResqueKeys } from '../lib/protocol/keys.js';
import { makePayload } from './protocol.js';
import { ThrowAwayRedis } from './redis.js';
import { median } from './stats.js';
import { childExecArgv, childMemoryEnv } from '../lib/worker/host/child-exec-argv.js';

const STAGE = fileURLToPath(new URL('./workers/memory-stage.js', import.meta.url));
const STAGES = ['node', 'ioredis', 'nest', 'module', 'worker', 'bullmq'] as const;
type Stage = (typeof STAGES)[number];
const LABELS: Record<Stage, string> = {
  node: 'bare node process',
  ioredis: '+ ioredis, one connection',
  nest: '+ Nest context (empty module)',
  module: '+ our module (ResqueModule + one @Job) instead',
  worker: '+ in-process worker, N jobs at concurrency 1',
  bullmq: 'BullMQ Worker, N jobs at concurrency 1',
};

interface Report {
  hwm: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  newSpace: number;
  codeSpace: number;
}

function runStage(stage: Stage, url: string, jobs: number, execArgv: string[], extraEnv: Record<string, string>): Promise<Report> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, BENCH_MEM_STAGE: stage, BENCH_REDIS_URL: url, BENCH_MEM_JOBS: String(jobs) };
    delete env.NODE_EXTRA_CA_CERTS; // same for every stage; it costs ~2 MiB of its own
    const child = fork(STAGE, [], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let report: Report | undefined;
    child.on('message', (m: Report) => (report = m));
    child.on('exit', (code) => (report && code === 0 ? resolve(report) : reject(new Error(`memory stage ${stage} exited ${code}`))));
  });
}

async function prefill(server: ThrowAwayRedis, stage: Stage, jobs: number): Promise<void> {
  const payloads = Array.from({ length: jobs }, (_, i) => makePayload(i + 1));
  if (stage === 'worker') {
    const client = new ResqueClient({ redis: new Redis({ port: server.port }), keys: new ResqueKeys('resque') });
    for (let i = 0; i < jobs; i += 1000) await client.enqueueBulk('bench', 'NoopJob', payloads.slice(i, i + 1000));
    client.redis.disconnect();
  } else if (stage === 'bullmq') {
    const queue = new Queue('bench', { connection: { port: server.port }, defaultJobOptions: { removeOnComplete: true, removeOnFail: true } });
    for (let i = 0; i < jobs; i += 1000) await queue.addBulk(payloads.slice(i, i + 1000).map((data) => ({ name: 'noop', data })));
    await queue.close();
  }
}

export async function memoryBreakdown(jobs: number, rounds: number, log: (s: string) => void): Promise<string> {
  const hostFlags = childExecArgv([], '');
  const hostEnv = childMemoryEnv({});
  const hostLabel = `the host's child settings: ${[...hostFlags, ...Object.entries(hostEnv).map(([k, v]) => `${k}=${v}`)].join(' ')}`;
  const flagsets: Array<[string, string[], Record<string, string>]> = [['V8 defaults', [], {}], [hostLabel, hostFlags, hostEnv]];
  const cells = new Map<string, Report[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const [flagLabel, execArgv, extraEnv] of flagsets) {
      for (const stage of STAGES) {
        const server = await ThrowAwayRedis.start();
        try {
          await prefill(server, stage, jobs);
          const r = await runStage(stage, `redis://127.0.0.1:${server.port}`, jobs, execArgv, extraEnv);
          const key = `${flagLabel}|${stage}`;
          cells.set(key, [...(cells.get(key) ?? []), r]);
          log(`memory ${flagLabel} ${stage}: VmHWM ${r.hwm.toFixed(1)} MiB (heap ${r.heapTotal.toFixed(1)}, new space ${r.newSpace.toFixed(1)}, external ${r.external.toFixed(1)})`);
        } finally {
          await server.stop();
        }
      }
    }
  }
  const m = (key: string, f: keyof Report) => median((cells.get(key) ?? []).map((r) => r[f]));
  const lines = [
    `## Memory: where a worker process's peak RSS goes (${jobs.toLocaleString('en-US')} jobs, median of ${rounds})`,
    '',
    `| Stage | ${flagsets.map(([l]) => `VmHWM MiB (${l})`).join(' | ')} | V8 heap MiB (defaults) | of it young generation | external |`,
    '|---|---|---|---|---|---|',
  ];
  let previous: number | undefined;
  for (const stage of STAGES) {
    const d = `${flagsets[0]![0]}|${stage}`;
    const hwm = m(d, 'hwm');
    const delta = previous !== undefined && stage !== 'bullmq' && stage !== 'module' ? ` (+${(hwm - previous).toFixed(1)})` : '';
    lines.push(
      `| ${LABELS[stage].replace('N jobs', `${jobs.toLocaleString('en-US')} jobs`)} | ${hwm.toFixed(1)}${delta} | ${m(`${flagsets[1]![0]}|${stage}`, 'hwm').toFixed(1)} | ` +
        `${m(d, 'heapTotal').toFixed(1)} | ${m(d, 'newSpace').toFixed(1)} | ${m(d, 'external').toFixed(1)} |`,
    );
    if (stage !== 'module' && stage !== 'bullmq') previous = hwm;
    if (stage === 'module') previous = hwm;
  }
  lines.push(
    '',
    'Each stage is its own process (NODE_EXTRA_CA_CERTS unset). "+" rows add to the row above them; "our module instead" replaces the empty module. ' +
      'VmHWM is the peak resident set; V8 heap = total physical size of its spaces at the end; young generation = new space. ' +
      'These stages run the tsc output unbundled; a host child runs the bundle (about 12 MiB less at boot, see the host section).',
  );
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await memoryBreakdown(Number(process.argv[2] ?? 20000), Number(process.argv[3] ?? 1), (s) => console.error(s)));
}
