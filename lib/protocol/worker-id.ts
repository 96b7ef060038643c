/**
 * Worker identity as every Resque reads it: `host:pid:queue1,queue2`, queues as configured
 * (a `*` stays `*`). Ruby and PHP split on the first two colons, so queue names may hold colons.
 */
import { hostname } from 'node:os';

export interface WorkerIdParts {
  readonly host: string;
  readonly pid: number;
  readonly queues: readonly string[];
}

export function workerId(queues: readonly string[], pid = process.pid, host = hostname()): string {
  return `${host}:${pid}:${queues.join(',')}`;
}

/** node-resque's worker name (`host:pid`), which it stores in the `worker` field of `worker:<id>`. */
export function workerName(pid = process.pid, host = hostname()): string {
  return `${host}:${pid}`;
}

export function parseWorkerId(id: string): WorkerIdParts | null {
  const first = id.indexOf(':');
  const second = first < 0 ? -1 : id.indexOf(':', first + 1);
  if (second < 0) return null;
  const pid = Number(id.slice(first + 1, second));
  if (!Number.isInteger(pid)) return null;
  return { host: id.slice(0, first), pid, queues: id.slice(second + 1).split(',') };
}
