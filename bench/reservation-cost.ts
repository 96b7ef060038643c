// What reliable reservation costs: the worker's exchange script (reserve into an in-flight hash +
// acknowledge, one round trip) against plain Resque-style LPOP workers that keep nothing in flight.
// In-process loops, no job work, one throw-away redis-server, same payloads; medians of 3 runs.
//   node dist/bench/reservation-cost.js
import { Redis } from 'ioredis';
import { ResqueKeys } from '../lib/protocol/keys.js';
import { encodePayload } from '../lib/protocol/payload.js';
import { JobExchange, type FinishedJob } from '../lib/protocol/scripts/exchange-jobs.js';
import { ThrowAwayRedis } from './redis.js';
import { summarize } from './stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 20000);

type Loop = (redis: Redis, keys: ResqueKeys, batch: number) => Promise<void>;

/** php-resque's sequence minus the status: LPOP, SET worker, then INCR processed and DEL worker. */
const plainLpop: Loop = async (redis, keys, batch) => {
  const queue = keys.queue('q');
  for (;;) {
    const jobs = batch === 1 ? [await redis.lpop(queue)].filter((j): j is string => j !== null) : ((await redis.lpop(queue, batch)) ?? []);
    if (jobs.length === 0) return;
    for (const raw of jobs) JSON.parse(raw);
    await redis.multi().incrby(keys.statProcessed(), jobs.length).incrby(keys.statProcessed('w'), jobs.length).del(keys.worker('w')).exec();
  }
};

const reliable: Loop = async (redis, keys, batch) => {
  const exchange = new JobExchange(redis, keys, { workerId: 'h:1:q', workerName: 'h:1', queues: ['q'] });
  let done: FinishedJob[] = [];
  let token = 1;
  for (;;) {
    const jobs = await exchange.exchange(done, batch, token);
    token += batch;
    done = [];
    for (const job of jobs) {
      JSON.parse(job.raw);
      done.push({ token: job.token, outcome: 'ok' });
    }
    if (jobs.length === 0) return;
  }
};

async function measure(loop: Loop, batch: number): Promise<number> {
  const server = await ThrowAwayRedis.start();
  const redis = new Redis({ host: '127.0.0.1', port: server.port });
  const keys = new ResqueKeys('resque');
  try {
    const payloads = Array.from({ length: JOBS }, (_, i) => encodePayload('NoopJob', `{"userId":${i},"email":"u${i}@example.com"}`, i.toString(16).padStart(32, '0'), 1795661131.39));
    for (let i = 0; i < JOBS; i += 1000) await redis.rpush(keys.queue('q'), ...payloads.slice(i, i + 1000));
    const t0 = performance.now();
    await loop(redis, keys, batch);
    return JOBS / ((performance.now() - t0) / 1000);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

const rows: string[] = ['| Jobs per round trip | plain LPOP worker (jobs/s) | reliable exchange (jobs/s) | ratio |', '|---|---|---|---|'];
for (const batch of [1, 10, 50]) {
  const plain: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < 3; round++) {
    plain.push(await measure(plainLpop, batch));
    ours.push(await measure(reliable, batch));
  }
  const p = summarize(plain).median;
  const o = summarize(ours).median;
  rows.push(`| ${batch} | ${Math.round(p).toLocaleString('en-US')} | ${Math.round(o).toLocaleString('en-US')} | ${(o / p).toFixed(2)}× |`);
}
console.log(rows.join('\n'));
