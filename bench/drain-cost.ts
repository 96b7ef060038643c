/**
 * One measured drain of preloaded jobs by an in-process worker (INTERVAL 0: it exits once the
 * queues are empty), for the "what does feature X cost" benchmarks that compare variants of the
 * same worker: jobs/s, Redis CPU per job (the throw-away server's own counters) and this process's
 * CPU per job. Throws unless every job was acknowledged.
 */
import type { InProcessWorker, InProcessWorkerOptions } from '../lib/index.js';
import type { ThrowAwayRedis } from './redis.js';

export interface DrainCost {
  readonly rate: number;
  readonly redisCpuUs: number;
  readonly workerCpuUs: number;
}

/** `create` makes the worker with the `onFinished` it is given (it counts the acknowledgements). */
export async function measureDrain(
  server: ThrowAwayRedis,
  jobs: number,
  label: string,
  create: (onFinished: NonNullable<InProcessWorkerOptions['onFinished']>) => Promise<InProcessWorker>,
): Promise<DrainCost> {
  let acknowledged = 0;
  const worker = await create((finished) => {
    acknowledged += finished.length;
  });
  const cpu0 = await server.cpuSeconds();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await worker.run();
  const seconds = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(own0);
  const cpu = (await server.cpuSeconds()) - cpu0;
  if (acknowledged !== jobs) throw new Error(`${label}: ${acknowledged} of ${jobs} acknowledged`);
  return { rate: jobs / seconds, redisCpuUs: (cpu / jobs) * 1e6, workerCpuUs: (own.user + own.system) / jobs };
}
