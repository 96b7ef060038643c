/**
 * drainQueues(app): runs the real worker loop in the test's process (createInProcessWorker: the
 * assembly a host's child runs, on real Redis) until the queues are empty and no job runs, then
 * resolves with what was processed. Jobs that jobs enqueue are taken too. Delayed jobs are not
 * waited for (nothing promotes them here).
 *
 * @publicApi
 */
import type { INestApplicationContext } from '@nestjs/common';
import { DrainTimeoutError } from '../errors/drain-timeout.error.js';
import type { WorkerSettings } from '../options/worker-settings.js';
import type { FinishedJob } from '../protocol/scripts/exchange-jobs.js';
import { createInProcessWorker } from '../worker/child/in-process-worker.js';

/** How long a timed-out drain waits for its worker to stop before it rejects anyway. */
const STOP_GRACE_MS = 1_000;

export interface DrainOptions {
  /** Queues to drain (default: the module's `worker.queues`, else every queue). */
  readonly queues?: readonly string[];
  /** Jobs at once (default 1). */
  readonly concurrency?: number;
  /** Milliseconds before it stops and rejects with DrainTimeoutError (default 30000). */
  readonly timeout?: number;
  /** Other worker settings (interval is always 0: drain and exit). */
  readonly settings?: Partial<WorkerSettings>;
}

export interface DrainResult {
  /** Jobs acknowledged, succeeded or failed. */
  readonly processed: number;
  readonly failed: number;
  /** The failed acknowledgements, with their failure records' parts. */
  readonly failures: readonly Extract<FinishedJob, { outcome: 'fail' }>[];
}

export async function drainQueues(app: INestApplicationContext, options: DrainOptions = {}): Promise<DrainResult> {
  const timeoutMs = options.timeout ?? 30_000;
  let processed = 0;
  const failures: Extract<FinishedJob, { outcome: 'fail' }>[] = [];
  const worker = await createInProcessWorker(app, {
    settings: {
      ...options.settings,
      ...(options.queues ? { queues: options.queues } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      interval: 0,
    },
    onFinished: (jobs) => {
      for (const job of jobs) {
        if (job.outcome === 'ok') processed++;
        else if (job.outcome === 'fail') {
          processed++;
          failures.push(job);
        }
      }
    },
  });
  const running = worker.run();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    if ((await Promise.race([running, timedOut])) === 'timeout') {
      // Stopped: it takes nothing more. A job that never ends keeps its worker (and connection) until it does.
      worker.stop();
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
      throw new DrainTimeoutError(timeoutMs, processed);
    }
  } finally {
    clearTimeout(timer);
  }
  return { processed, failed: failures.length, failures };
}
