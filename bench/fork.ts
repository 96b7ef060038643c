// Parent side of the worker protocol: fork a plan's worker children, drive them over IPC,
// and check that every job 1..N was performed exactly once across all of them.
import { fork, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  IntegrityError,
  type BenchContext,
  type LatencyOptions,
  type LatencyResult,
  type ProcessResult,
  type WorkerPlan,
} from './adapter.js';
import { makePayload, now, type ChildToParent, type WorkerConfig, type WorkerMode, type WorkerResult } from './protocol.js';

const STALL_MS = Number(process.env.BENCH_STALL_MS ?? 30000);
const GRACE_MS = Number(process.env.BENCH_GRACE_MS ?? 300);
const BOOT_MS = 60000;

interface Child {
  proc: ChildProcess;
  done: number;
  ready: Promise<void>;
  started: Promise<void>;
  result: Promise<WorkerResult>;
}

class Group {
  readonly children: Child[] = [];
  private failure: Error | null = null;
  private failureWaiters: Array<(e: Error) => void> = [];
  private progressWaiters: Array<() => void> = [];

  constructor(ctx: BenchContext, plan: WorkerPlan, mode: WorkerMode) {
    for (let i = 0; i < plan.processes; i++) {
      const cfg: WorkerConfig = {
        redis: ctx.redis,
        queue: ctx.queue,
        jobs: ctx.jobs,
        mode,
        processIndex: i,
        options: plan.options,
      };
      const proc = fork(plan.entry, [], {
        env: { ...process.env, ...plan.env, BENCH_WORKER: JSON.stringify(cfg) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: plan.execArgv ?? [],
        serialization: 'advanced',
      });
      let onReady!: () => void, onStarted!: () => void, onResult!: (r: WorkerResult) => void;
      const child: Child = {
        proc,
        done: 0,
        ready: new Promise((r) => (onReady = r)),
        started: new Promise((r) => (onStarted = r)),
        result: new Promise((r) => (onResult = r)),
      };
      proc.on('message', (m: ChildToParent) => {
        switch (m.type) {
          case 'ready': onReady(); break;
          case 'started': onStarted(); break;
          case 'progress':
            child.done = m.done;
            this.notifyProgress();
            break;
          case 'result':
            child.done = m.done;
            onResult(m);
            break;
          case 'fatal':
            this.fail(new Error(`worker ${plan.entry} #${i} failed: ${m.message}`));
            break;
        }
      });
      let gotResult = false;
      void child.result.then(() => (gotResult = true));
      proc.on('exit', (code, sig) => {
        if (!gotResult) this.fail(new Error(`worker ${plan.entry} #${i} exited early (code ${code}, signal ${sig})`));
      });
      proc.on('error', (e) => this.fail(e));
      this.children.push(child);
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const w of this.failureWaiters) w(e);
    this.failureWaiters = [];
  }

  private notifyProgress(): void {
    const ws = this.progressWaiters;
    this.progressWaiters = [];
    for (const w of ws) w();
  }

  /** Race `p` against a child failure. */
  guard<T>(p: Promise<T>, what: string, timeoutMs = BOOT_MS): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout (${timeoutMs} ms) waiting for ${what}`)), timeoutMs);
      this.failureWaiters.push((e) => {
        clearTimeout(timer);
        reject(e);
      });
      p.then(
        (v) => { clearTimeout(timer); resolve(v); },
        (e) => { clearTimeout(timer); reject(e); },
      );
    });
  }

  totalDone(): number {
    return this.children.reduce((a, c) => a + c.done, 0);
  }

  /** When 99% of the jobs were reported done (now()), to show a slow tail such as late acknowledgements. */
  at99 = 0;

  /** Resolve when the children together report >= n completions; IntegrityError if progress stalls. */
  async waitForDone(n: number): Promise<void> {
    let last = -1;
    let lastChange = Date.now();
    while (this.totalDone() < n) {
      if (!this.at99 && this.totalDone() >= n * 0.99) this.at99 = now();
      if (this.failure) throw this.failure;
      const d = this.totalDone();
      if (d !== last) {
        last = d;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > STALL_MS) {
        throw new IntegrityError(`jobs lost: only ${d} of ${n} jobs completed, no progress for ${STALL_MS} ms`);
      }
      await this.guard(
        Promise.race([new Promise<void>((r) => this.progressWaiters.push(r)), sleep(1000)]),
        'progress',
      );
    }
  }

  send(m: { type: 'start' } | { type: 'stop' }): void {
    for (const c of this.children) if (c.proc.connected) c.proc.send(m);
  }

  async kill(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
        const gone = new Promise((r) => c.proc.once('exit', r));
        const t = setTimeout(() => c.proc.kill('SIGKILL'), 3000);
        if (!c.proc.connected) c.proc.kill('SIGKILL');
        await gone;
        clearTimeout(t);
      }),
    );
  }
}

/** Check that userIds 1..n were performed exactly once in total, and n completions were reported. */
function verify(results: WorkerResult[], n: number, label: string): void {
  const total = new Uint16Array(n);
  let done = 0;
  const problems: string[] = [];
  for (const r of results) {
    done += r.done;
    const c = Buffer.from(r.counts, 'base64');
    if (c.length !== n) problems.push(`a worker returned ${c.length} counters, expected ${n}`);
    for (let i = 0; i < Math.min(n, c.length); i++) total[i]! += c[i]!;
    if (r.badIds) problems.push(`${r.badIds} jobs with an unknown/malformed userId`);
    if (r.failures.length) problems.push(`${r.failures.length} job failures, first: ${r.failures[0]}`);
  }
  let missing = 0, dup = 0;
  const missingIds: number[] = [], dupIds: number[] = [];
  for (let i = 0; i < n; i++) {
    if (total[i] === 0) { missing++; if (missingIds.length < 10) missingIds.push(i + 1); }
    else if (total[i]! > 1) { dup++; if (dupIds.length < 10) dupIds.push(i + 1); }
  }
  if (missing) problems.push(`${missing} jobs never performed (lost), e.g. userId ${missingIds.join(', ')}`);
  if (dup) problems.push(`${dup} jobs performed more than once, e.g. userId ${dupIds.join(', ')}`);
  if (done !== n) problems.push(`workers reported ${done} completions, expected ${n}`);
  if (problems.length) throw new IntegrityError(`[${label}] ${problems.join('; ')}`);
}

async function collect(group: Group): Promise<WorkerResult[]> {
  group.send({ type: 'stop' });
  return await group.guard(Promise.all(group.children.map((c) => c.result)), 'worker results', 15000);
}

/** Workload 2: ctx.jobs jobs are already queued; run `plan` until all are done. */
export async function runProcessWorkload(ctx: BenchContext, plan: WorkerPlan): Promise<ProcessResult> {
  const group = new Group(ctx, plan, 'process');
  try {
    await group.guard(Promise.all(group.children.map((c) => c.ready)), 'workers ready');
    const redisCpu0 = await ctx.server.cpuSeconds();
    const calls0 = await ctx.server.commandCalls();
    const t0 = now();
    group.send({ type: 'start' });
    await group.waitForDone(ctx.jobs);
    const redisCpu1 = await ctx.server.cpuSeconds();
    const calls1 = await ctx.server.commandCalls();
    await sleep(GRACE_MS); // let duplicates (if any) show up before we stop the workers
    const results = await collect(group);
    verify(results, ctx.jobs, `${plan.label}`);
    const end = Math.max(...results.map((r) => r.lastDoneAt));
    const elapsedMs = end - t0;
    return {
      jobs: ctx.jobs,
      elapsedMs,
      jobsPerSec: (ctx.jobs / elapsedMs) * 1000,
      workerCpuMs: results.reduce((a, r) => a + (r.cpuUserUs + r.cpuSysUs) / 1000, 0),
      redisCpuMs: (redisCpu1 - redisCpu0) * 1000,
      peakRssKb: results.map((r) => r.hwmKb),
      redisCalls: calls1 - calls0,
      tailMs: group.at99 ? end - group.at99 : 0,
    };
  } finally {
    await group.kill();
  }
}

/** Workload 3: start idle workers, then enqueue opts.jobs jobs at a steady opts.ratePerSec. */
export async function runLatencyWorkload(
  ctx: BenchContext,
  plan: WorkerPlan,
  opts: LatencyOptions,
): Promise<LatencyResult> {
  const jobsCtx: BenchContext = { ...ctx, jobs: opts.jobs };
  const group = new Group(jobsCtx, plan, 'latency');
  try {
    await group.guard(Promise.all(group.children.map((c) => c.ready)), 'workers ready');
    group.send({ type: 'start' });
    await group.guard(Promise.all(group.children.map((c) => c.started)), 'workers started');
    await sleep(500); // workers are now idle (blocked / polling an empty queue)
    const interval = 1000 / opts.ratePerSec;
    const tStart = now();
    for (let i = 0; i < opts.jobs; i++) {
      const target = tStart + i * interval;
      const wait = target - now();
      if (wait >= 1) await sleep(wait);
      const p = makePayload(i + 1);
      p.t = now();
      await opts.enqueue(p);
    }
    const achievedRate = (opts.jobs / (now() - tStart)) * 1000;
    await group.waitForDone(opts.jobs);
    await sleep(GRACE_MS);
    const results = await collect(group);
    verify(results, opts.jobs, `latency ${plan.label}`);
    const samplesMs = results.flatMap((r) => r.latencies);
    if (samplesMs.length !== opts.jobs) {
      throw new IntegrityError(`[latency ${plan.label}] got ${samplesMs.length} latency samples, expected ${opts.jobs}`);
    }
    return { samplesMs, achievedRate, peakRssKb: results.map((r) => r.hwmKb) };
  } finally {
    await group.kill();
  }
}
