// Redis Cluster: what one hash tag costs and how several namespaces spread it. Jobs/s and Redis CPU
// per job (INFO cpu: used_cpu_sys + used_cpu_user deltas, minus each node's idle rate measured
// just before) on each Redis, for:
//   one Redis              prefix `resque`
//   cluster, 1 namespace   prefix `{resque}`: every key in one slot, so one primary does all the work
//   cluster, 3 namespaces  `{resque-a}`, `{resque-b}`, `{resque-c}` picked to land on 3 different primaries,
//                          jobs split evenly, the same workers split over them
// The cluster has 3 primaries and no replicas (a replica's CPU would blur the per-shard figure).
// Workers are the library's own loop (RedisWorkerOperations + WorkerLoop, reserve and acknowledge
// through exchange.lua) in this process, a job does nothing; producers use ResqueClient.enqueueBulk.
// This machine has 2 cores: the workers' process is the bottleneck, so jobs/s is close between
// setups; CPU per job per shard is the evidence. Medians of BENCH_ROUNDS (3) rounds.
//   npm run bench:cluster   (BENCH_JOBS=30000 BENCH_WORKERS=6)
import { Cluster, Redis } from 'ioredis';
import { ResqueClient } from '../lib/client/resque-client.js';
import { ResqueKeys } from '../lib/protocol/keys.js';
import { workerConnection, type RedisClient } from '../lib/redis/connection.js';
import { createPerformer } from '../lib/worker/job-performer.js';
import { RedisWorkerOperations } from '../lib/worker/redis-operations.js';
import { WorkerLoop } from '../lib/worker/worker-loop.js';
import { RedisCluster } from '../test/support/redis-cluster.js';
import { RedisServer } from '../test/support/redis-server.js';
import { median } from './stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 30_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const QUEUE = 'q';

interface Sample {
  readonly jobsPerSecond: number;
  /** Redis CPU microseconds per job, per node (port -> us/job), over enqueue + work. */
  readonly cpuPerJob: Map<number, number>;
}

type CpuReader = () => Promise<Map<number, number>>;

async function runOnce(redis: RedisClient, prefixes: readonly string[], cpu: CpuReader): Promise<Sample> {
  const per = Math.floor(JOBS / prefixes.length);
  const total = per * prefixes.length;
  // Idle rate of each node (serverCron, cluster bus), subtracted below.
  const idle0 = await cpu();
  const idleStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const idle1 = await cpu();
  const idleSeconds = (performance.now() - idleStart) / 1000;

  const before = await cpu();
  const t0 = performance.now();
  // Enqueue: bulk pushes of 500 per namespace.
  for (const prefix of prefixes) {
    const client = producerFor(redis, prefix);
    for (let i = 0; i < per; i += 500) {
      await client.enqueueBulk(QUEUE, 'NoopJob', Array.from({ length: Math.min(500, per - i) }, (_, k) => ({ n: i + k })));
    }
  }
  // Work: WORKERS loops, split evenly over the namespaces.
  let finished = 0;
  const finishedIn = new Map<string, number>();
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const loops: { prefix: string; loop: WorkerLoop; ran: Promise<void>; ops: RedisWorkerOperations; connection: RedisClient }[] = [];
  for (let w = 0; w < WORKERS; w++) {
    const prefix = prefixes[w % prefixes.length]!;
    const keys = new ResqueKeys(prefix);
    const connection = workerConnection(redis, () => undefined);
    const id = `bench:${process.pid}-${w}:${QUEUE}`;
    const ops = new RedisWorkerOperations({ redis: connection, keys, target: { workerId: id, workerName: id, queues: [QUEUE] }, blocking: false, maxCrashRequeues: 3 });
    const perform = createPerformer({ keys, workerId: id, run: async () => undefined });
    const loop = new WorkerLoop(ops, perform, {
      concurrency: 1,
      maxJobs: 0,
      interval: 0.01,
      onFinished: (jobs) => {
        finished += jobs.length;
        const mine = (finishedIn.get(prefix) ?? 0) + jobs.length;
        finishedIn.set(prefix, mine);
        // A drained namespace's workers stop, so none polls an empty queue while others finish.
        if (mine >= per) for (const other of loops) if (other.prefix === prefix) other.loop.stop();
        if (finished >= total) allDone();
      },
    });
    loops.push({ prefix, loop, ran: ops.register().then(() => loop.run()), ops, connection });
  }
  await done;
  const seconds = (performance.now() - t0) / 1000;
  const after = await cpu();
  for (const w of loops) w.loop.stop();
  await Promise.all(loops.map((w) => w.ran));
  for (const w of loops) {
    await w.ops.unregister().catch(() => undefined);
    await w.ops.close();
    w.connection.disconnect();
  }
  const cpuPerJob = new Map<number, number>();
  for (const [port, end] of after) {
    const idleRate = ((idle1.get(port) ?? 0) - (idle0.get(port) ?? 0)) / idleSeconds;
    const used = end - (before.get(port) ?? 0) - idleRate * seconds;
    cpuPerJob.set(port, Math.max(0, (used * 1e6) / total));
  }
  return { jobsPerSecond: total / seconds, cpuPerJob };
}

const producers = new Map<string, ResqueClient>();
/** One producer per namespace for the whole run (each client listens to the connection's events). */
function producerFor(redis: RedisClient, prefix: string): ResqueClient {
  const key = `${redis instanceof Cluster ? 'cluster' : 'single'} ${prefix}`;
  let client = producers.get(key);
  if (!client) producers.set(key, (client = new ResqueClient({ redis, keys: new ResqueKeys(prefix) })));
  return client;
}

/** Three tagged prefixes whose slots are served by three different primaries. */
async function spreadPrefixes(cluster: RedisCluster): Promise<string[]> {
  const byPrimary = new Map<number, string>();
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n']) {
    const prefix = `{resque-${name}}`;
    const primary = await cluster.primaryFor(`${prefix}:queue:${QUEUE}`);
    if (!byPrimary.has(primary)) byPrimary.set(primary, prefix);
    if (byPrimary.size === 3) break;
  }
  return [...byPrimary.values()];
}

interface Row {
  readonly setup: string;
  readonly jobsPerSecond: number;
  /** Median us/job per node, nodes sorted by load. */
  readonly perNode: number[];
}

async function measure(setup: string, redis: RedisClient, prefixes: readonly string[], cpu: CpuReader): Promise<Row> {
  const samples: Sample[] = [];
  await runOnce(redis, prefixes, cpu); // warm-up (JIT, connections, script cache), not counted
  for (let round = 0; round < ROUNDS; round++) samples.push(await runOnce(redis, prefixes, cpu));
  const ports = [...samples[0]!.cpuPerJob.keys()];
  const perNode = ports.map((port) => median(samples.map((s) => s.cpuPerJob.get(port) ?? 0))).sort((a, b) => b - a);
  return { setup, jobsPerSecond: median(samples.map((s) => s.jobsPerSecond)), perNode };
}

const rows: Row[] = [];
const single = await RedisServer.start();
try {
  const redis = new Redis({ port: single.port, host: '127.0.0.1', maxRetriesPerRequest: null });
  const admin = new Redis({ port: single.port, host: '127.0.0.1' });
  const cpu: CpuReader = async () => new Map([[single.port, cpuOf(await admin.info('cpu'))]]);
  rows.push(await measure('one Redis, prefix `resque`', redis, ['resque'], cpu));
  redis.disconnect();
  admin.disconnect();
} finally {
  await single.destroy();
}

const cluster = await RedisCluster.start({ primaries: 3, replicasPerPrimary: 0 });
try {
  const redis = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: null } });
  const primaries = await cluster.primaries();
  const cpu: CpuReader = async () => {
    const all = await cluster.cpuSeconds();
    return new Map(primaries.map((port) => [port, all.get(port) ?? 0]));
  };
  rows.push(await measure('cluster (3 primaries), 1 namespace `{resque}`', redis, ['{resque}'], cpu));
  const spread = await spreadPrefixes(cluster);
  rows.push(await measure(`cluster (3 primaries), 3 namespaces ${spread.map((p) => `\`${p}\``).join(', ')}`, redis, spread, cpu));
  redis.disconnect();
} finally {
  await cluster.destroy();
}

const fmt = (n: number) => n.toFixed(1);
const lines = [
  `Redis Cluster bench: ${JOBS.toLocaleString('en-US')} jobs (enqueueBulk 500 at a time, then ${WORKERS} worker loops, concurrency 1, no-op job), median of ${ROUNDS} rounds`,
  '',
  '| Setup | jobs/s | Redis CPU per job, busiest node (us) | per node (us/job) | total over nodes (us/job) |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.setup} | ${Math.round(r.jobsPerSecond).toLocaleString('en-US')} | ${fmt(r.perNode[0] ?? 0)} | ${r.perNode.map(fmt).join(' / ')} | ${fmt(r.perNode.reduce((a, b) => a + b, 0))} |`),
];
console.log(lines.join('\n'));

function cpuOf(info: string): number {
  return Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
}
