import type { Redis } from 'ioredis';
import { runScript } from '../../redis/scripts.js';
import type { FailureRecordParts } from '../failure.js';
import type { ResqueKeys } from '../keys.js';
import { FINISHED_STATUS_TTL_SECONDS, JobStatus, statusJson } from '../status.js';
import { finishScript } from './lua.generated.js';

export type FinishedJob =
  | { readonly token: string; readonly statusKey?: string; readonly outcome: 'ok' }
  /** `payloadIsJson: false` embeds `literalPayload` (a JSON string) instead of the raw bytes. */
  | { readonly token: string; readonly statusKey?: string; readonly outcome: 'fail'; readonly record: FailureRecordParts; readonly literalPayload?: string };

export function finishArguments(keys: ResqueKeys, workerId: string, jobs: readonly FinishedJob[]) {
  const now = new Date();
  const args: (string | number)[] = [statusJson(JobStatus.Complete, now), statusJson(JobStatus.Failed, now), FINISHED_STATUS_TTL_SECONDS];
  for (const job of jobs) {
    if (job.outcome === 'ok') {
      args.push(job.token, job.statusKey ?? '', 'ok', '', '');
    } else if (job.literalPayload === undefined) {
      args.push(job.token, job.statusKey ?? '', 'fail', job.record.head, job.record.tail);
    } else {
      args.push(job.token, job.statusKey ?? '', 'fail-literal', job.record.head + job.literalPayload, job.record.tail);
    }
  }
  return {
    keys: [
      keys.inflight(workerId),
      keys.worker(workerId),
      keys.statProcessed(),
      keys.statProcessed(workerId),
      keys.statFailed(),
      keys.statFailed(workerId),
      keys.failed,
    ],
    args,
  };
}

/** Acknowledges a batch of jobs; returns how many were still in flight (and so counted). */
export async function finishJobs(redis: Redis, keys: ResqueKeys, workerId: string, jobs: readonly FinishedJob[]): Promise<number> {
  const { keys: k, args } = finishArguments(keys, workerId, jobs);
  return Number(await runScript(redis, finishScript, k, args));
}
