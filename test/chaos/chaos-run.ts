/**
 * The chaos harness: a real forked host processes jobs while we SIGKILL children, SIGKILL the
 * host (alone, or with all its children) and restart it, and restart Redis (AOF, appendfsync
 * always, so Redis keeps what it acknowledged). Then every job is accounted for.
 *
 * A job is accounted for when it completed, or sits in `failed` with a reason, or is still queued.
 * Lost = none of these. A duplicate is a job that completed twice: possible only when its process
 * died after the job's work and before its acknowledgement (at-least-once), so the report also
 * counts the kills that could cause one.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { decodeInflightEntry } from '../../lib/protocol/inflight-entry.js';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { encodePayload, newJobId, queueTimeNow } from '../../lib/protocol/payload.js';
import { enqueueJobs } from '../../lib/protocol/scripts/enqueue-jobs.js';
import { RedisServer } from '../support/redis-server.js';

export interface ChaosOptions {
  readonly jobs: number;
  /** Stop causing trouble after this long; then let the worker finish. */
  readonly chaosMs: number;
  /** Give up waiting for the queue to drain after this long. */
  readonly settleMs: number;
  readonly count: number;
  readonly concurrency: number;
  /** Milliseconds between two acts of chaos (randomised ±50%). */
  readonly everyMs: number;
  /** Average milliseconds a job works. */
  readonly jobMs: number;
  readonly log?: (line: string) => void;
  /** Only this kind of trouble (the outage test); default: all kinds. */
  readonly only?: ChaosAct;
  readonly seed?: number;
  /** Hide the worker's stderr (Redis outage warnings are expected here). */
  readonly quiet?: boolean;
  /** Hosts on the same Redis and queue (default 1); host kills hit one of them at random. */
  readonly hosts?: number;
  /** How long Redis stays down per restart (default 300 ms; 3 s with only 'restart-redis'). */
  readonly outageMs?: number;
  /** HEARTBEAT_INTERVAL and DEAD_AFTER in seconds (default 0.5 and 3). */
  readonly heartbeatInterval?: number;
  readonly deadAfter?: number;
}

export type ChaosAct = 'kill-child' | 'kill-host' | 'kill-host-and-children' | 'restart-redis';

export interface ChaosReport {
  readonly jobs: number;
  readonly completed: number;
  readonly failed: number;
  readonly queued: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly failedWithoutReason: number;
  /** Entries in `failed`, including jobs that also completed (a false failure). */
  readonly failureRecords: number;
  readonly acts: Readonly<Record<ChaosAct, number>>;
  readonly seconds: number;
}

const entry = fileURLToPath(new URL('./chaos-worker.js', import.meta.url));

/** Everything runs started and has not cleaned up yet: `killChaos()` (a test's after hook) ends it all. */
const cleanups = new Set<() => Promise<void>>();

/** Kills every process group and Redis a run started; for after hooks, so a timed-out test cannot hang its file. */
export async function killChaos(): Promise<void> {
  await Promise.all([...cleanups].map((cleanup) => cleanup()));
}

/** Resolves when `child` has exited: at once if it already has (an 'exit' listener added afterwards never fires). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return once(child, 'exit').then(() => undefined);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const random = mulberry32(options.seed ?? 42);
  const server = await RedisServer.start({ persistent: true });
  const groups: number[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      // Every process group we started, so no orphan (a child of a killed host) outlives the run.
      for (const group of groups) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      redis.disconnect();
      await server.destroy();
      cleanups.delete(cleanup);
    })());
  cleanups.add(cleanup);
  const prefix = 'chaos';
  const keys = new ResqueKeys(prefix);
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // Redis restarts are the point here; commands wait and retry
  const env = {
    ...process.env,
    REDIS_URL: server.url,
    PREFIX: prefix,
    QUEUE: 'chaos',
    COUNT: String(options.count),
    CONCURRENCY: String(options.concurrency),
    BLOCKING: '1',
    INTERVAL: '1',
    HEARTBEAT_INTERVAL: String(options.heartbeatInterval ?? 0.5),
    DEAD_AFTER: String(options.deadAfter ?? 3),
    MAX_CRASH_REQUEUES: '5',
  };
  const acts: Record<ChaosAct, number> = { 'kill-child': 0, 'kill-host': 0, 'kill-host-and-children': 0, 'restart-redis': 0 };
  const hosts: ChildProcess[] = [];
  const startHost = (slot: number) => {
    // Its own process group, so "the host and all its children" can be killed at once.
    const host = spawn(process.execPath, [entry], { env, detached: true, stdio: ['ignore', 'ignore', options.quiet ? 'ignore' : 'inherit'] });
    hosts[slot] = host;
    groups.push(host.pid!);
  };

  try {
    for (let first = 0; first < options.jobs; first += 1000) {
      const batch = [];
      for (let n = first; n < Math.min(options.jobs, first + 1000); n++) {
        const className = n % 2 === 0 ? 'ChaosRetryJob' : 'ChaosJob';
        const ms = options.jobMs > 0 ? (n * 7919) % (2 * options.jobMs) : 0; // spread around jobMs
        batch.push({ payload: encodePayload(className, JSON.stringify({ n, ms }), newJobId(), queueTimeNow()) });
      }
      await enqueueJobs(redis, keys, 'chaos', batch);
    }
    log(`enqueued ${options.jobs} jobs`);
    for (let slot = 0; slot < (options.hosts ?? 1); slot++) startHost(slot);

    const chaosEnds = Date.now() + options.chaosMs;
    while (Date.now() < chaosEnds) {
      await sleep(options.everyMs * (0.5 + random()));
      const act = options.only ?? pick(random);
      acts[act]++;
      // One host draws nothing: a seed replays the same acts as before hosts could be several.
      const slot = hosts.length > 1 ? Math.floor(random() * hosts.length) : 0;
      if (act === 'kill-child') {
        const pids = childPids(hosts[slot].pid!);
        if (pids.length > 0) process.kill(pids[Math.floor(random() * pids.length)], 'SIGKILL');
      } else if (act === 'kill-host' || act === 'kill-host-and-children') {
        const old = hosts[slot];
        const exited = exitOf(old);
        try {
          if (act === 'kill-host') old.kill('SIGKILL');
          else process.kill(-old.pid!, 'SIGKILL');
        } catch {
          // the host had exited by itself
        }
        await exited;
        startHost(slot);
      } else {
        await server.stop();
        await sleep(options.outageMs ?? (options.only === 'restart-redis' ? 3000 : 300));
        await server.start();
      }
      log(`${act} (${Math.round((Date.now() - started) / 1000)}s)`);
    }

    // Let the worker finish what is left.
    const settleEnds = Date.now() + options.settleMs;
    for (;;) {
      const [queued, inflight] = await Promise.all([redis.llen(keys.queue('chaos')), redis.keys(`${prefix}:inflight:*`)]);
      if (queued === 0 && inflight.length === 0) break;
      if (Date.now() > settleEnds) {
        log(`gave up waiting: ${queued} queued, ${inflight.length} workers with jobs in flight`);
        break;
      }
      await sleep(100);
    }
    for (const finalHost of hosts) {
      if (finalHost.exitCode === null && finalHost.signalCode === null) {
        const exited = exitOf(finalHost);
        finalHost.kill('SIGQUIT');
        await exited;
      } else {
        log(`a host had exited by itself (code ${finalHost.exitCode}, signal ${finalHost.signalCode})`);
      }
    }
    return await account(redis, keys, options.jobs, acts, started);
  } finally {
    await cleanup();
  }
}

async function account(redis: Redis, keys: ResqueKeys, jobs: number, acts: Record<ChaosAct, number>, started: number): Promise<ChaosReport> {
  const completedCounts = await redis.hgetall(`${keys.prefix}:chaos:completed`);
  const failedRecords = await redis.lrange(keys.failed, 0, -1);
  const queuedPayloads = await redis.lrange(keys.queue('chaos'), 0, -1);
  const inflight = await redis.keys(`${keys.prefix}:inflight:*`);
  const inflightEntries = (await Promise.all(inflight.map((key) => redis.hvals(key)))).flat();

  const accounted = new Set<number>();
  let duplicates = 0;
  for (const field of Object.keys(completedCounts)) {
    const n = Number(field.slice(0, field.indexOf(':')));
    if (accounted.has(n)) duplicates++;
    accounted.add(n);
  }
  let failedWithoutReason = 0;
  const failed = new Set<number>();
  for (const raw of failedRecords) {
    const record = JSON.parse(raw) as { payload: { args: [{ n: number }] }; exception?: string; error?: string };
    if (!record.exception || !record.error) failedWithoutReason++;
    failed.add(record.payload.args[0].n);
  }
  const queued = new Set<number>();
  for (const raw of [...queuedPayloads, ...inflightEntries.map((e) => decodeInflightEntry(e).raw)]) {
    queued.add((JSON.parse(raw) as { args: [{ n: number }] }).args[0].n);
  }
  let lost = 0;
  for (let n = 0; n < jobs; n++) {
    if (!accounted.has(n) && !failed.has(n) && !queued.has(n)) lost++;
  }
  const completedOnly = [...accounted].length;
  return {
    jobs,
    completed: completedOnly,
    failed: [...failed].filter((n) => !accounted.has(n)).length,
    queued: [...queued].filter((n) => !accounted.has(n) && !failed.has(n)).length,
    lost,
    duplicates,
    failedWithoutReason,
    failureRecords: failedRecords.length,
    acts,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

function pick(random: () => number): ChaosAct {
  const r = random();
  if (r < 0.6) return 'kill-child';
  if (r < 0.75) return 'kill-host';
  if (r < 0.88) return 'kill-host-and-children';
  return 'restart-redis';
}

function childPids(pid: number): number[] {
  try {
    return String(execFileSync('ps', ['--ppid', String(pid), '-o', 'pid=']))
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small seeded PRNG, so a failing run can be replayed with the same acts. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
