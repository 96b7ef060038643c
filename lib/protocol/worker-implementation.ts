/**
 * Which Resque a registered worker runs, told from what it wrote, best effort. Every implementation
 * registers `host:pid:queues` in `workers`; they differ in the rest:
 * - ours: the id is in `workers:alive` (our heartbeat zset), which no other Resque writes;
 * - node-resque: `worker:<id>:started` holds epoch seconds, and its `worker:<id>` record a `worker`
 *   field (host:pid);
 * - Ruby resque: `:started` is Ruby's Time#to_s (`2026-12-02 05:51:01 +0000`); 1.26 and later also
 *   write `workers:heartbeat`;
 * - php-resque: `:started` is strftime('%a %b %d %H:%M:%S %Z %Y') (`Wed Dec 02 05:51:01 UTC 2026`).
 * Anything else is 'unknown' (a worker whose `:started` was lost, or another implementation).
 */
export type WorkerImplementation = 'nestjs-resque' | 'node-resque' | 'Ruby resque' | 'php-resque' | 'unknown';

export interface WorkerTraces {
  /** The id is in `workers:alive`. */
  readonly ours: boolean;
  readonly started: string | null;
  readonly heartbeat: string | null;
  /** The `worker` field of its working-on record, when it is busy. */
  readonly workingOnWorker?: string;
}

export function workerImplementation(traces: WorkerTraces): WorkerImplementation {
  if (traces.ours) return 'nestjs-resque';
  const started = traces.started?.trim() ?? '';
  if (/^\d{9,12}$/.test(started) || traces.workingOnWorker !== undefined) return 'node-resque';
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$/.test(started)) return 'Ruby resque';
  if (/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \S+ \d{4}$/.test(started)) return 'php-resque';
  if (traces.heartbeat) return 'Ruby resque';
  return 'unknown';
}
