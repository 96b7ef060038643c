// Client CPU of one awaited enqueue: ResqueClient.enqueue (untracked) against a bare ioredis
// `await redis.rpush(key, payload)` loop, same payloads, same private redis-server, same run.
// CPU (process.cpuUsage, user + system) is far less noisy than wall time on a shared VM.
//   node dist/bench/enqueue-cpu.js [jobs per round = 50000] [rounds = 5]
//   BENCH_CPU_PROFILE=ours|raw: only that loop, for `node --cpu-prof`.
import { Redis } from 'ioredis';
import { ResqueClient } from '../lib/client/resque-client.js';
import { ResqueKeys } from '../lib/protocol/keys.js';
import { makePayload } from './protocol.js';
import { ThrowAwayRedis } from './redis.js';
import { rawJob, rawQueueKey } from './workers/raw-job.js';

const JOBS = Number(process.argv[2] ?? 50_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const ONLY = process.env.BENCH_CPU_PROFILE;

interface Sample {
  cpuUs: number;
  wallUs: number;
}

async function measure(loop: () => Promise<void>): Promise<Sample> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  await loop();
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / JOBS, wallUs: ((performance.now() - wall) * 1000) / JOBS };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const server = await ThrowAwayRedis.start();
  const rawRedis = new Redis({ host: server.host, port: server.port });
  const client = new ResqueClient({ redis: new Redis({ host: server.host, port: server.port }), keys: new ResqueKeys('resque') });
  await Promise.all([rawRedis.ping(), client.redis.ping()]);
  const queue = 'bench';
  const rawKey = rawQueueKey(queue);
  const payloads = Array.from({ length: JOBS }, (_, i) => makePayload(i + 1));

  const raw = async (): Promise<void> => {
    for (let i = 0; i < JOBS; i++) await rawRedis.rpush(rawKey, rawJob(payloads[i]));
  };
  const ours = async (): Promise<void> => {
    for (let i = 0; i < JOBS; i++) await client.enqueue(queue, 'NoopJob', payloads[i]);
  };

  const samples = { raw: [] as Sample[], ours: [] as Sample[] };
  // A warm-up of each, then rounds in alternating order.
  for (const loop of [raw, ours]) await loop();
  for (let round = 0; round < ROUNDS; round++) {
    await server.admin.flushall();
    const order: Array<'raw' | 'ours'> = ONLY === 'ours' ? ['ours'] : ONLY === 'raw' ? ['raw'] : round % 2 ? ['ours', 'raw'] : ['raw', 'ours'];
    for (const name of order) samples[name].push(await measure(name === 'raw' ? raw : ours));
  }
  if (!ONLY) {
    const length = await client.redis.llen(`resque:queue:${queue}`);
    if (length !== JOBS) throw new Error(`expected ${JOBS} jobs in the queue, found ${length}`);
  }

  const row = (name: 'raw' | 'ours') => {
    const s = samples[name];
    if (s.length === 0) return `${name}: -`;
    const cpu = s.map((x) => x.cpuUs);
    const wall = s.map((x) => x.wallUs);
    return `${name.padEnd(5)} CPU ${median(cpu).toFixed(2)} µs/job (${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)}), wall ${median(wall).toFixed(1)} µs/job`;
  };
  console.log(`${JOBS} awaited enqueues per round, ${ROUNDS} rounds, node ${process.version}`);
  console.log(row('raw'));
  console.log(row('ours'));
  if (samples.raw.length && samples.ours.length) {
    const cpu = median(samples.ours.map((x) => x.cpuUs)) / median(samples.raw.map((x) => x.cpuUs));
    const wall = median(samples.raw.map((x) => x.wallUs)) / median(samples.ours.map((x) => x.wallUs));
    console.log(`ours/raw CPU ${(cpu * 100).toFixed(0)}% · ours throughput ${(wall * 100).toFixed(0)}% of raw`);
  }
  rawRedis.disconnect();
  client.redis.disconnect();
  await server.stop();
}

await main();
