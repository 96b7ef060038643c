// Child side of the worker protocol. A worker entry calls runWorkerHarness() with a factory that
// builds the library's worker (connected, NOT yet consuming) and calls the hooks from its job code:
//   hooks.performed(payload)  at the start of perform (records the userId, and latency if payload.t)
//   hooks.completed()         when the library considers the job done (its 'completed'/'success' event,
//                             or the end of perform if it has no such event)
//   hooks.failed(err)         on a job failure / worker error (makes the benchmark fail loudly)
import { readFileSync } from 'node:fs';
import { now, type ChildToParent, type JobPayload, type ParentToChild, type WorkerConfig, type WorkerResult } from '../protocol.js';

export interface JobHooks {
  performed(payload: JobPayload): void;
  completed(): void;
  failed(err: unknown): void;
}

export interface BenchWorker {
  /** begin consuming (called when the parent says 'start'); may resolve once consuming has begun */
  start(): void | Promise<void>;
  /** best-effort graceful shutdown (the process exits right after, bounded by 2 s) */
  stop(): Promise<void>;
}

export type WorkerFactory = (cfg: WorkerConfig, hooks: JobHooks) => Promise<BenchWorker>;

function send(m: ChildToParent): void {
  process.send?.(m);
}

function procStatusKb(field: string): number {
  try {
    const s = readFileSync('/proc/self/status', 'utf8');
    return Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(s)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

export function runWorkerHarness(factory: WorkerFactory): void {
  const fatal = (e: unknown) => {
    send({ type: 'fatal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    setTimeout(() => process.exit(1), 100);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  process.on('disconnect', () => process.exit(0));

  const raw = process.env.BENCH_WORKER;
  if (!raw) {
    console.error('BENCH_WORKER env missing: this file is forked by bench/run.js');
    process.exit(2);
  }
  const cfg = JSON.parse(raw) as WorkerConfig;
  const counts = new Uint8Array(cfg.jobs);
  const latencies: number[] = [];
  const failures: string[] = [];
  let badIds = 0;
  let done = 0;
  let lastDoneAt = 0;
  const recordLatency = cfg.mode === 'latency';
  // self-test of the accounting: BENCH_FAULT=lose|dup|stall makes this child mis-handle userId 7
  const fault = process.env.BENCH_FAULT ?? '';

  const hooks: JobHooks = {
    performed(p) {
      const t = now();
      const id = p?.userId;
      if (!Number.isInteger(id) || id < 1 || id > cfg.jobs) {
        badIds++;
        return;
      }
      if (fault === 'lose' && id === 7) return;
      if (fault === 'dup' && id === 7) counts[id - 1]!++;
      if (counts[id - 1]! < 255) counts[id - 1]!++;
      if (recordLatency && typeof p.t === 'number') latencies.push(t - p.t);
    },
    completed() {
      if (fault === 'stall' && done === 5) return;
      done++;
      lastDoneAt = now();
    },
    failed(err) {
      if (failures.length < 100) failures.push(err instanceof Error ? err.message : String(err));
    },
  };

  let cpu0: NodeJS.CpuUsage | null = null;
  let cpuAtLastDone: NodeJS.CpuUsage = { user: 0, system: 0 };
  let reported = 0;
  let ticker: NodeJS.Timeout | null = null;
  let worker: BenchWorker | null = null;

  const tick = () => {
    if (done !== reported) {
      reported = done;
      if (cpu0) cpuAtLastDone = process.cpuUsage(cpu0);
      send({ type: 'progress', done });
    }
  };

  process.on('message', async (m: ParentToChild) => {
    try {
      if (m.type === 'start') {
        cpu0 = process.cpuUsage();
        ticker = setInterval(tick, 10);
        await worker!.start();
        send({ type: 'started' });
      } else if (m.type === 'stop') {
        if (ticker) clearInterval(ticker);
        tick();
        const result: WorkerResult = {
          type: 'result',
          done,
          counts: Buffer.from(counts).toString('base64'),
          badIds,
          failures,
          lastDoneAt,
          cpuUserUs: cpuAtLastDone.user,
          cpuSysUs: cpuAtLastDone.system,
          hwmKb: procStatusKb('VmHWM'),
          rssKb: procStatusKb('VmRSS'),
          latencies,
        };
        await new Promise<void>((r) => process.send!(result, () => r()));
        await Promise.race([worker?.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
        process.exit(0);
      }
    } catch (e) {
      fatal(e);
    }
  });

  factory(cfg, hooks).then(
    (w) => {
      worker = w;
      send({ type: 'ready' });
    },
    fatal,
  );
}
