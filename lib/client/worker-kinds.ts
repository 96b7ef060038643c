/**
 * Registered workers with the Resque each runs (protocol/worker-implementation.ts): the workers as
 * ResqueClient reads them, plus one ZRANGE of `workers:alive` to tell ours.
 */
import { workerImplementation, type WorkerImplementation } from '../protocol/worker-implementation.js';
import type { ResqueClient, WorkerInfo } from './resque-client.js';

export interface WorkerWithImplementation extends WorkerInfo {
  readonly implementation: WorkerImplementation;
}

export async function workersWithImplementation(client: ResqueClient): Promise<WorkerWithImplementation[]> {
  const [workers, alive] = await Promise.all([client.workers(), client.call('ourWorkers', false, () => client.redis.zrange(client.keys.alive, '0', '-1'))]);
  const ours = new Set(alive);
  return workers.map((w) => ({
    ...w,
    implementation: workerImplementation({ ours: ours.has(w.id), started: w.started, heartbeat: w.heartbeat, workingOnWorker: w.job?.worker }),
  }));
}
