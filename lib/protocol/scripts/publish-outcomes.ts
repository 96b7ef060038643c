import type { RedisClient } from '../../redis/connection.js';
import { runScript } from '../../redis/scripts.js';
import { RESULT_BUCKET_SECONDS, resultBucket } from '../job-outcome.js';
import type { ResqueKeys } from '../keys.js';
import { findOutcomeScript, publishOutcomesScript } from './lua.generated.js';

/** An encoded outcome (protocol/job-outcome.ts encodeOutcome) and the id of its job, if any. */
export interface EncodedOutcome {
  readonly id: string | undefined;
  readonly record: string;
}

/** Records the outcomes of jobs with an id for at least `ttlSeconds` and publishes all of them as one message (jobs with an id first). */
export async function publishOutcomes(redis: RedisClient, keys: ResqueKeys, outcomes: readonly EncodedOutcome[], ttlSeconds: number, nowMs = Date.now()): Promise<number> {
  const args: Array<string | number> = [keys.events, ttlSeconds + RESULT_BUCKET_SECONDS, 0];
  const anonymous: string[] = [];
  for (const { id, record } of outcomes) {
    if (id === undefined) anonymous.push(record);
    else args.push(id, record);
  }
  args[2] = (args.length - 3) / 2;
  for (const record of anonymous) args.push(record);
  return Number(await runScript(redis, publishOutcomesScript, [keys.jobResults(resultBucket(nowMs))], args));
}

/**
 * The recorded outcome of job `id`, or null. Looks in every bucket of the last `ttlSeconds`, with one
 * bucket of margin on both sides for clocks that differ between the worker's machine and this one.
 */
export async function findOutcome(redis: RedisClient, keys: ResqueKeys, id: string, ttlSeconds: number, nowMs = Date.now()): Promise<string | null> {
  const newest = resultBucket(nowMs) + 1;
  const oldest = resultBucket(nowMs - ttlSeconds * 1000) - 1;
  const buckets: string[] = [];
  for (let bucket = newest; bucket >= oldest; bucket--) buckets.push(keys.jobResults(bucket));
  const found = await runScript(redis, findOutcomeScript, buckets, [id]);
  return typeof found === 'string' ? found : null;
}
