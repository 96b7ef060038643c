// Benchmark orchestrator: BullMQ vs node-resque vs nestjs-resque, each measurement on its own
// throw-away redis-server. Prints a markdown report on stdout (progress goes to stderr).
//
//   npm run bench                      (= tsc -p tsconfig.json; node dist/bench/run.js)
//   BENCH_ROUNDS=3 BENCH_JOBS=20000 BENCH_ONLY=bullmq,node-resque BENCH_WORKLOADS=enqueue,process,latency
//   BENCH_LATENCY_JOBS=2000 BENCH_LATENCY_RATE=500 BENCH_SWEEP=1 BENCH_SWEEP_JOBS=<jobs> BENCH_OUT=file.md
//   BENCH_TIMED_JOBS=20000 BENCH_TIMED_SECONDS=3 (the "jobs that take time" workload)
import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { IntegrityError, NotImplementedError, type BenchContext, type LibraryAdapter, type WorkerPlan } from './adapter.js';
import { makePayload, now, type JobPayload } from './protocol.js';
import { ThrowAwayRedis, redisServerVersion } from './redis.js';
import { percentile, summarize, type Summary } from './stats.js';
import { BullmqAdapter } from './adapters/bullmq.js';
import { NodeResqueAdapter } from './adapters/node-resque.js';
import { NestjsResqueAdapter } from './adapters/nestjs-resque.js';
import { RawAdapter } from './adapters/raw.js';
import { hostModes } from './host-modes.js';
import { memoryBreakdown } from './memory.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)); // dist/bench/run.js -> project root

function envInt(name: string, def: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return Math.floor(n);
}
function envList(name: string): string[] | null {
  const v = process.env[name];
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : null;
}

const ROUNDS = envInt('BENCH_ROUNDS', 3);
const JOBS = envInt('BENCH_JOBS', 20000);
const LAT_JOBS = envInt('BENCH_LATENCY_JOBS', 2000);
const LAT_RATE = envInt('BENCH_LATENCY_RATE', 500);
const SWEEP = process.env.BENCH_SWEEP !== '0';
const SWEEP_JOBS = envInt('BENCH_SWEEP_JOBS', JOBS);
const SWEEP_PASSES = envInt('BENCH_SWEEP_PASSES', 2);
const TIMED_JOBS = envInt('BENCH_TIMED_JOBS', 20000);
const TIMED_SECONDS = envInt('BENCH_TIMED_SECONDS', 3);
/** "Jobs that take time": [concurrency, ms of awaited I/O per job] */
const TIMED: Array<[number, number]> = [[50, 5], [200, 5], [50, 50], [200, 50]];
const CONCURRENT_ENQUEUE = 1000;
const ONLY = envList('BENCH_ONLY');
const ALL_WORKLOADS = ['enqueue', 'process', 'timed', 'latency', 'host', 'memory'];
const WORKLOADS = new Set(envList('BENCH_WORKLOADS') ?? ALL_WORKLOADS);
for (const w of WORKLOADS) {
  if (!ALL_WORKLOADS.includes(w)) throw new Error(`unknown workload in BENCH_WORKLOADS: ${w}`);
}
const QUEUE = 'bench';
const LOAD_AT_START = os.loadavg()[0]!;

const ALL: LibraryAdapter[] = [new BullmqAdapter(), new NodeResqueAdapter(), new NestjsResqueAdapter(), new RawAdapter()];
if (ONLY) {
  for (const n of ONLY) if (!ALL.some((a) => a.name === n)) throw new Error(`unknown library in BENCH_ONLY: ${n}`);
}
const adapters = ALL.filter((a) => !ONLY || ONLY.includes(a.name));

const log = (...a: unknown[]) => console.error('[bench]', ...a);

// ---------------------------------------------------------------- helpers

function isNotImplemented(e: unknown): boolean {
  return e instanceof NotImplementedError || (e instanceof Error && /not implemented/i.test(e.message));
}

function readVersion(pkg: string): string {
  const candidates = [path.join(ROOT, 'node_modules', pkg, 'package.json'), path.join(ROOT, 'package.json')];
  for (const f of candidates) {
    try {
      const j = JSON.parse(readFileSync(f, 'utf8')) as { name?: string; version?: string };
      if (j.name === pkg) return j.version ?? '?';
    } catch {
      /* next */
    }
  }
  return 'not installed';
}

/** Which library and workload an accounting error came from, in its message. */
async function labelled<T>(a: LibraryAdapter, workload: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof IntegrityError) throw new IntegrityError(`library ${a.name}, workload ${workload}: ${e.message}`);
    throw e;
  }
}

async function withCtx<T>(a: LibraryAdapter, jobs: number, fn: (ctx: BenchContext) => Promise<T>): Promise<T> {
  const server = await ThrowAwayRedis.start();
  const ctx: BenchContext = { server, redis: { host: server.host, port: server.port }, queue: QUEUE, jobs };
  try {
    await a.open(ctx);
    try {
      return await fn(ctx);
    } finally {
      await a.close();
    }
  } finally {
    await server.stop();
  }
}

function payloads(n: number): JobPayload[] {
  return Array.from({ length: n }, (_, i) => makePayload(i + 1));
}

async function expectQueued(a: LibraryAdapter, n: number, what: string): Promise<void> {
  const q = await a.queued();
  if (q !== n) throw new IntegrityError(`[${a.name} ${what}] ${q} jobs queued after enqueueing ${n}`);
}

async function prefill(a: LibraryAdapter, ctx: BenchContext): Promise<void> {
  const ps = payloads(ctx.jobs);
  if (a.prefill) await a.prefill(ps);
  else if (a.enqueueBulk) await a.enqueueBulk(ps);
  else for (const p of ps) await a.enqueueOne(p);
  await expectQueued(a, ctx.jobs, 'prefill');
}

// ---------------------------------------------------------------- results

/** samples[lib][metric] = one value per round */
const samples = new Map<string, Map<string, number[]>>();
const bestPlan = new Map<string, WorkerPlan>();
const sweepResults = new Map<string, Array<{ label: string; jobsPerSec: number }>>();
const latencyLabels = new Map<string, string[]>();
const skipped = new Map<string, string>();

function record(lib: string, metric: string, v: number): void {
  let m = samples.get(lib);
  if (!m) samples.set(lib, (m = new Map()));
  let arr = m.get(metric);
  if (!arr) m.set(metric, (arr = []));
  arr.push(v);
}

const mb = (kb: number[]) => Math.max(...kb) / 1024;

async function measureProcess(a: LibraryAdapter, plan: WorkerPlan, key: string): Promise<void> {
  const r = await labelled(a, `process ${key} [${plan.label}]`, () =>
    withCtx(a, JOBS, async (ctx) => {
      await prefill(a, ctx);
      return await a.processWorker(ctx, plan);
    }),
  );
  record(a.name, `${key}`, r.jobsPerSec);
  record(a.name, `${key}.nodeUs`, (r.workerCpuMs * 1000) / r.jobs);
  record(a.name, `${key}.redisUs`, (r.redisCpuMs * 1000) / r.jobs);
  record(a.name, `${key}.rssMb`, mb(r.peakRssKb));
  record(a.name, `${key}.calls`, r.redisCalls / r.jobs);
  log(
    `${a.name} ${key} [${plan.label}]: ${r.jobsPerSec.toFixed(0)} jobs/s (${r.elapsedMs.toFixed(0)} ms), ` +
      `node ${((r.workerCpuMs * 1000) / r.jobs).toFixed(1)} µs/job, redis ${((r.redisCpuMs * 1000) / r.jobs).toFixed(1)} µs/job, ` +
      `${(r.redisCalls / r.jobs).toFixed(2)} Redis commands/job, last 1% took ${r.tailMs.toFixed(0)} ms, peak RSS ${r.peakRssKb.map((k) => (k / 1024).toFixed(1)).join('/')} MB`,
  );
}

/** Jobs in one timed run: enough for about TIMED_SECONDS at the ceiling concurrency / sleep allows. */
function timedJobs(concurrency: number, sleepMs: number): number {
  return Math.min(TIMED_JOBS, Math.ceil(((concurrency * 1000) / sleepMs) * TIMED_SECONDS));
}

async function measureTimed(a: LibraryAdapter, concurrency: number, sleepMs: number): Promise<void> {
  const plan = a.timedPlan!(concurrency, sleepMs);
  const jobs = timedJobs(concurrency, sleepMs);
  const r = await labelled(a, `timed (${sleepMs} ms jobs, concurrency ${concurrency})`, () =>
    withCtx(a, jobs, async (ctx) => {
      await prefill(a, ctx);
      return await a.processWorker(ctx, plan);
    }),
  );
  const key = `timed.c${concurrency}.s${sleepMs}`;
  record(a.name, key, r.jobsPerSec);
  record(a.name, `${key}.nodeUs`, (r.workerCpuMs * 1000) / r.jobs);
  record(a.name, `${key}.calls`, r.redisCalls / r.jobs);
  record(a.name, `${key}.redisUs`, (r.redisCpuMs * 1000) / r.jobs);
  log(
    `${a.name} timed [${plan.label}, ${sleepMs} ms jobs, ${jobs} jobs]: ${r.jobsPerSec.toFixed(0)} jobs/s, ` +
      `node ${((r.workerCpuMs * 1000) / r.jobs).toFixed(1)} µs/job, ${(r.redisCalls / r.jobs).toFixed(2)} Redis commands/job, last 1% took ${r.tailMs.toFixed(0)} ms`,
  );
}

async function runRound(a: LibraryAdapter, round: number): Promise<void> {
  if (WORKLOADS.has('enqueue')) {
    // 1a. one call at a time
    await withCtx(a, JOBS, async (ctx) => {
      const ps = payloads(JOBS);
      const c0 = await ctx.server.cpuSeconds();
      const t0 = now();
      for (const p of ps) await a.enqueueOne(p);
      const dt = now() - t0;
      const c1 = await ctx.server.cpuSeconds();
      await expectQueued(a, JOBS, 'enqueueOne');
      record(a.name, 'enq.one', (JOBS / dt) * 1000);
      record(a.name, 'enq.one.redisUs', ((c1 - c0) * 1e6) / JOBS);
      log(`${a.name} round ${round} enqueue one-at-a-time: ${((JOBS / dt) * 1000).toFixed(0)} jobs/s`);
    });
    // 1c. concurrent: CONCURRENT_ENQUEUE un-awaited calls in flight, then the next batch
    await withCtx(a, JOBS, async (ctx) => {
      const ps = payloads(JOBS);
      const t0 = now();
      for (let i = 0; i < ps.length; i += CONCURRENT_ENQUEUE) {
        await Promise.all(ps.slice(i, i + CONCURRENT_ENQUEUE).map((p) => a.enqueueOne(p)));
      }
      const dt = now() - t0;
      await expectQueued(a, JOBS, 'enqueue concurrent');
      record(a.name, 'enq.conc', (JOBS / dt) * 1000);
      log(`${a.name} round ${round} enqueue ${CONCURRENT_ENQUEUE} in flight: ${((JOBS / dt) * 1000).toFixed(0)} jobs/s`);
    });
    // 1b. bulk
    if (a.enqueueBulk) {
      await withCtx(a, JOBS, async (ctx) => {
        const ps = payloads(JOBS);
        const c0 = await ctx.server.cpuSeconds();
        const t0 = now();
        await a.enqueueBulk!(ps);
        const dt = now() - t0;
        const c1 = await ctx.server.cpuSeconds();
        await expectQueued(a, JOBS, 'enqueueBulk');
        record(a.name, 'enq.bulk', (JOBS / dt) * 1000);
        record(a.name, 'enq.bulk.redisUs', ((c1 - c0) * 1e6) / JOBS);
        log(`${a.name} round ${round} enqueue bulk: ${((JOBS / dt) * 1000).toFixed(0)} jobs/s`);
      });
    }
  }
  if (WORKLOADS.has('process')) {
    const probe = { server: null as never, redis: { host: '127.0.0.1', port: 0 }, queue: QUEUE, jobs: JOBS };
    await measureProcess(a, a.c1Plan(probe), 'proc.c1');
    const best = bestPlan.get(a.name) ?? a.bestPlans(probe)[0];
    if (best) await measureProcess(a, best, 'proc.best');
  }
  if (WORKLOADS.has('timed') && a.timedPlan) {
    for (const [concurrency, sleepMs] of TIMED) await measureTimed(a, concurrency, sleepMs);
  }
  if (WORKLOADS.has('latency')) {
    const probe = { server: null as never, redis: { host: '127.0.0.1', port: 0 }, queue: QUEUE, jobs: LAT_JOBS };
    const plans = a.latencyPlans(probe);
    latencyLabels.set(a.name, plans.map((p) => p.label));
    for (let i = 0; i < plans.length; i++) {
      const plan = plans[i]!;
      const r = await labelled(a, `latency [${plan.label}]`, () =>
        withCtx(a, LAT_JOBS, (ctx) => a.latency(ctx, plan, { jobs: LAT_JOBS, ratePerSec: LAT_RATE, enqueue: (p) => a.enqueueOne(p) })),
      );
      const k = `lat${i}`;
      record(a.name, `${k}.p50`, percentile(r.samplesMs, 50));
      record(a.name, `${k}.p90`, percentile(r.samplesMs, 90));
      record(a.name, `${k}.p99`, percentile(r.samplesMs, 99));
      record(a.name, `${k}.max`, Math.max(...r.samplesMs));
      record(a.name, `${k}.rate`, r.achievedRate);
      record(a.name, `${k}.rssMb`, mb(r.peakRssKb));
      log(
        `${a.name} round ${round} latency [${plan.label}]: p50 ${percentile(r.samplesMs, 50).toFixed(2)} ms, ` +
          `p99 ${percentile(r.samplesMs, 99).toFixed(2)} ms, max ${Math.max(...r.samplesMs).toFixed(1)} ms at ${r.achievedRate.toFixed(0)}/s`,
      );
    }
  }
}

async function sweep(a: LibraryAdapter): Promise<void> {
  const probe = { server: null as never, redis: { host: '127.0.0.1', port: 0 }, queue: QUEUE, jobs: SWEEP_JOBS };
  const plans = a.bestPlans(probe);
  if (plans.length === 0) return;
  if (!SWEEP || plans.length === 1) {
    bestPlan.set(a.name, plans[0]!);
    return;
  }
  // several interleaved passes, best pass per candidate (outside load only ever slows a run down)
  const res = plans.map((plan) => ({ label: plan.label, jobsPerSec: 0, plan }));
  for (let pass = 1; pass <= SWEEP_PASSES; pass++) {
    for (const entry of res) {
      const r = await labelled(a, `best-setting sweep [${entry.label}]`, () =>
        withCtx(a, SWEEP_JOBS, async (ctx) => {
          await prefill(a, ctx);
          return await a.processWorker(ctx, entry.plan);
        }),
      );
      log(`${a.name} sweep pass ${pass} [${entry.label}]: ${r.jobsPerSec.toFixed(0)} jobs/s`);
      entry.jobsPerSec = Math.max(entry.jobsPerSec, r.jobsPerSec);
    }
  }
  res.sort((x, y) => y.jobsPerSec - x.jobsPerSec);
  bestPlan.set(a.name, res[0]!.plan);
  sweepResults.set(a.name, res.map(({ label, jobsPerSec }) => ({ label, jobsPerSec })));
  log(`${a.name} best setting: ${res[0]!.label}`);
}

// ---------------------------------------------------------------- report

const fmtInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const fmt = (d: number) => (x: number) => (Number.isFinite(x) ? x.toFixed(d) : '–');

function cell(lib: string, metric: string, f: (x: number) => string, ref?: Summary, floor?: Summary): string {
  const arr = samples.get(lib)?.get(metric);
  if (!arr?.length) return 'n/a';
  const s = summarize(arr);
  let out = `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
  if (ref && lib !== 'bullmq' && Number.isFinite(ref.median) && ref.median > 0) {
    const ratio = s.median / ref.median;
    out += ` · ${ratio >= 100 ? ratio.toFixed(0) : ratio.toFixed(2)}×`;
  }
  if (floor && lib !== 'raw' && Number.isFinite(floor.median) && floor.median > 0) {
    out += ` · ${Math.round((s.median / floor.median) * 100)}% of raw`;
  }
  return out;
}

function floorOf(metric: string): Summary | undefined {
  const arr = samples.get('raw')?.get(metric);
  return arr?.length ? summarize(arr) : undefined;
}

function libLabel(a: LibraryAdapter): string {
  return a.floor ? `raw floor (bare ioredis ${readVersion(a.packageName)})` : `${a.name} ${readVersion(a.packageName)}`;
}

function refOf(metric: string): Summary | undefined {
  const arr = samples.get('bullmq')?.get(metric);
  return arr?.length ? summarize(arr) : undefined;
}

function report(startedAt: number): string {
  const libs = adapters.filter((a) => !skipped.has(a.name));
  const L: string[] = [];
  const cpus = os.cpus();
  L.push(`# Benchmark: BullMQ vs node-resque vs nestjs-resque`);
  L.push('');
  L.push(`- Machine: ${cpus[0]?.model ?? '?'} × ${cpus.length} logical CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} (${os.arch()})`);
  L.push(`- Load average (1 min) at start ${LOAD_AT_START.toFixed(2)}, at end ${os.loadavg()[0]!.toFixed(2)} (other work on the machine skews numbers; compare within one run)`);
  L.push(`- Node ${process.version}; redis-server ${redisServerVersion()} (throw-away instance per measurement: loopback, \`--save '' --appendonly no\`)`);
  L.push(
    `- Libraries: ${adapters.map(libLabel).join(', ')}; ` +
      `ioredis ${readVersion('ioredis')} (BullMQ, nestjs-resque), node-resque bundles ioredis ${nestedVersion('node-resque', 'ioredis')}`,
  );
  L.push(
    `- Settings: ${ROUNDS} rounds, ${JOBS.toLocaleString('en-US')} jobs per throughput run, latency ${LAT_JOBS.toLocaleString('en-US')} jobs at ${LAT_RATE}/s; ` +
      `workloads: ${[...WORKLOADS].join(', ')}; wall time ${((Date.now() - startedAt) / 60000).toFixed(1)} min`,
  );
  L.push(`- Payload \`{"userId":N,"email":"uN@example.com"}\`, no-op job. Every run checks each userId was performed exactly once.`);
  L.push(`- Cells: median over rounds (min–max) · ratio to BullMQ (for throughput higher is better; for CPU, RSS, latency lower is better).`);
  for (const [lib, why] of skipped) L.push(`- **${lib} skipped**: ${why}`);
  L.push('');

  const header = `| Metric | ${libs.map(libLabel).join(' | ')} |`;
  const sep = `|---|${libs.map(() => '---').join('|')}|`;
  const row = (label: string, metric: string, f: (x: number) => string, vsFloor = false) =>
    `| ${label} | ${libs.map((a) => cell(a.name, metric, f, refOf(metric), vsFloor ? floorOf(metric) : undefined)).join(' | ')} |`;

  if (WORKLOADS.has('enqueue') || WORKLOADS.has('process')) {
    L.push(`## Throughput and cost`);
    L.push('');
    L.push(header);
    L.push(sep);
    if (WORKLOADS.has('enqueue')) {
      L.push(row('Enqueue, one call at a time, awaited (jobs/s)', 'enq.one', fmtInt, true));
      L.push(row(`Enqueue, ${CONCURRENT_ENQUEUE.toLocaleString('en-US')} un-awaited calls in flight (jobs/s)`, 'enq.conc', fmtInt, true));
      L.push(row('Enqueue bulk (jobs/s)', 'enq.bulk', fmtInt));
      L.push(`| ↳ bulk form | ${libs.map((a) => a.bulkDescription ?? 'n/a (no bulk API)').join(' | ')} |`);
      L.push(row('Redis CPU per enqueue, one at a time (µs/job)', 'enq.one.redisUs', fmt(1)));
    }
    if (WORKLOADS.has('process')) {
      L.push(row('Process, 1 worker, concurrency 1 (jobs/s)', 'proc.c1', fmtInt, true));
      L.push(row('Process, best setting (jobs/s)', 'proc.best', fmtInt));
      L.push(`| ↳ best setting | ${libs.map((a) => bestPlan.get(a.name)?.label ?? '–').join(' | ')} |`);
      L.push(row('Worker CPU per job, concurrency 1 (µs)', 'proc.c1.nodeUs', fmt(1)));
      L.push(row('Worker CPU per job, best (µs, all procs)', 'proc.best.nodeUs', fmt(1)));
      L.push(row('Redis CPU per job, concurrency 1 (µs)', 'proc.c1.redisUs', fmt(1)));
      L.push(row('Redis CPU per job, best (µs)', 'proc.best.redisUs', fmt(1)));
      L.push(row('Redis commands per job, concurrency 1', 'proc.c1.calls', fmt(2)));
      L.push(row('Redis commands per job, best', 'proc.best.calls', fmt(2)));
      L.push(row('Peak RSS of worker process, concurrency 1 (MB)', 'proc.c1.rssMb', fmt(1)));
      L.push(row('Peak RSS per worker process, best (MB, max of procs)', 'proc.best.rssMb', fmt(1)));
    }
    L.push('');
  }

  if (WORKLOADS.has('timed')) {
    const timedLibs = libs.filter((a) => a.timedPlan);
    L.push(`## Jobs that take time: async jobs awaiting a timer (I/O), 1 worker process`);
    L.push('');
    L.push(`| Metric | ${timedLibs.map(libLabel).join(' | ')} |`);
    L.push(`|---|${timedLibs.map(() => '---').join('|')}|`);
    const trow = (label: string, metric: string, f: (x: number) => string) =>
      `| ${label} | ${timedLibs.map((a) => cell(a.name, metric, f, refOf(metric))).join(' | ')} |`;
    for (const [concurrency, sleepMs] of TIMED) {
      const k = `timed.c${concurrency}.s${sleepMs}`;
      const ceiling = (concurrency * 1000) / sleepMs;
      L.push(trow(`${sleepMs} ms jobs, concurrency ${concurrency}: jobs/s (ceiling ${fmtInt(ceiling)}, ${fmtInt(timedJobs(concurrency, sleepMs))} jobs)`, k, fmtInt));
      L.push(trow(`↳ worker CPU per job (µs)`, `${k}.nodeUs`, fmt(1)));
      L.push(trow(`↳ Redis commands per job`, `${k}.calls`, fmt(2)));
      L.push(trow(`↳ Redis CPU per job (µs)`, `${k}.redisUs`, fmt(1)));
    }
    L.push(`| ↳ setting | ${timedLibs.map((a) => a.timedPlan!(50, 5).label.replace('50', 'N')).join(' | ')} |`);
    L.push('');
  }

  if (WORKLOADS.has('latency')) {
    L.push(`## Latency: enqueue → start of perform, ${LAT_JOBS.toLocaleString('en-US')} jobs at ${LAT_RATE}/s, idle worker`);
    L.push('');
    L.push(`| Library, worker | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | achieved rate (/s) | worker peak RSS (MB) |`);
    L.push(`|---|---|---|---|---|---|---|`);
    const ref50 = refOf('lat0.p50'), ref99 = refOf('lat0.p99');
    for (const a of libs) {
      const labels = latencyLabels.get(a.name) ?? [];
      labels.forEach((label, i) => {
        const k = `lat${i}`;
        L.push(
          `| ${a.name}: ${label} | ${cell(a.name, `${k}.p50`, fmt(2), ref50)} | ${cell(a.name, `${k}.p90`, fmt(2))} | ` +
            `${cell(a.name, `${k}.p99`, fmt(2), ref99)} | ${cell(a.name, `${k}.max`, fmt(1))} | ${cell(a.name, `${k}.rate`, fmtInt)} | ` +
            `${cell(a.name, `${k}.rssMb`, fmt(1))} |`,
        );
      });
    }
    L.push('');
  }

  if (sweepResults.size) {
    L.push(`## Best-setting sweep (best of ${SWEEP_PASSES} passes each, ${SWEEP_JOBS.toLocaleString('en-US')} jobs, jobs/s)`);
    L.push('');
    for (const [lib, res] of sweepResults) {
      L.push(`${lib}: ${res.map((r) => `${r.label} **${fmtInt(r.jobsPerSec)}**`).join('; ')}`);
      L.push('');
    }
  }

  L.push(`## Notes`);
  L.push('');
  L.push(
    `- Process throughput = jobs ÷ (time from the 'start' IPC message to the already-booted, connected worker processes ` +
      `until the last job's completion event). Worker CPU = process.cpuUsage() of the worker processes over the same span; ` +
      `Redis CPU = INFO cpu used_cpu_user+used_cpu_sys delta; peak RSS = VmHWM of each worker process (includes module loading). ` +
      `Redis commands = INFO commandstats calls delta over the same span (the measuring INFO excluded; commands run inside Lua scripts count, the EVALSHA too).`,
  );
  L.push(
    `- "% of raw" = a library's median over the raw floor's (bare ioredis RPUSH / LPOP, see below). Enqueue with ${CONCURRENT_ENQUEUE.toLocaleString('en-US')} in flight = ` +
      `batches of ${CONCURRENT_ENQUEUE.toLocaleString('en-US')} un-awaited one-job calls, each batch awaited with Promise.all.`,
  );
  if (WORKLOADS.has('timed')) {
    L.push(
      `- Jobs that take time: each job awaits \`setTimeout\` for 5 or 50 ms; one worker process with the given concurrency (node-resque: that many Workers); ` +
        `jobs per run = min(${TIMED_JOBS.toLocaleString('en-US')}, ${TIMED_SECONDS} s at the ceiling concurrency × 1000 / ms allows). Every job checked to run exactly once.`,
    );
  }
  L.push(`- Latency timestamps: \`performance.timeOrigin + performance.now()\` in the producer just before the enqueue call and in the worker at the start of perform.`);
  for (const a of libs) for (const n of a.notes) L.push(`- ${n}`);
  L.push('');
  return L.join('\n');
}

function nestedVersion(parent: string, pkg: string): string {
  try {
    const j = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', parent, 'node_modules', pkg, 'package.json'), 'utf8'));
    return j.version;
  } catch {
    return readVersion(pkg);
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const startedAt = Date.now();
  log(`rounds=${ROUNDS} jobs=${JOBS} libs=${adapters.map((a) => a.name).join(',')} workloads=${[...WORKLOADS].join(',')}`);

  // Probe: can the adapter open at all? (the nestjs-resque placeholder throws NotImplementedError)
  for (const a of adapters) {
    try {
      await withCtx(a, 1, async () => undefined);
    } catch (e) {
      if (isNotImplemented(e)) {
        skipped.set(a.name, (e as Error).message);
        log(`skipping ${a.name}: ${(e as Error).message}`);
      } else throw e;
    }
  }
  const active = () => adapters.filter((a) => !skipped.has(a.name));

  if (WORKLOADS.has('process')) {
    for (const a of active()) {
      try {
        await sweep(a);
      } catch (e) {
        if (!isNotImplemented(e)) throw e;
        skipped.set(a.name, (e as Error).message);
      }
    }
  }

  for (let r = 1; r <= ROUNDS; r++) {
    log(`--- round ${r}/${ROUNDS}`);
    for (const a of active()) {
      try {
        await runRound(a, r);
      } catch (e) {
        if (!isNotImplemented(e)) throw e;
        skipped.set(a.name, (e as Error).message);
        log(`skipping ${a.name}: ${(e as Error).message}`);
      }
    }
  }

  let md = report(startedAt);
  console.log(md); // printed first: the comparison stands even if the host measurements fail
  if (WORKLOADS.has('host') && active().some((a) => a.name === 'nestjs-resque')) {
    log('--- nestjs-resque forked host (RSS, fork-per-job mode)');
    const host = await hostModes(JOBS, (line) => log(line));
    console.log(`\n${host}`);
    md += `\n\n${host}`;
  }
  if (WORKLOADS.has('memory') && active().some((a) => a.name === 'nestjs-resque')) {
    log('--- memory breakdown');
    const memory = await memoryBreakdown(JOBS, envInt('BENCH_MEMORY_ROUNDS', 1), (line) => log(line));
    console.log(`\n${memory}`);
    md += `\n\n${memory}`;
  }
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, md + '\n');
  if (process.env.BENCH_JSON) {
    const raw = Object.fromEntries([...samples].map(([lib, m]) => [lib, Object.fromEntries(m)]));
    writeFileSync(process.env.BENCH_JSON, JSON.stringify({ settings: { ROUNDS, JOBS, LAT_JOBS, LAT_RATE }, raw }, null, 2));
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('');
    console.error(e instanceof IntegrityError ? '*** BENCHMARK FAILED: JOB ACCOUNTING ERROR ***' : '*** BENCHMARK FAILED ***');
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
