/**
 * Settling what an exited child still held in flight, whatever its exit code: a crash, a kill, or
 * process.exit(0) in the middle of a job. After a clean exit nothing is left and this only makes
 * sure the worker is unregistered (a heartbeat may have re-registered it as it left).
 */
import type { RedisClient } from '../../redis/connection.js';
import type { WorkerSettings } from '../../options/worker-settings.js';
import type { ResqueKeys } from '../../protocol/keys.js';
import type { JobPolicy } from '../ipc.js';
import { recoverJobs } from './recover-jobs.js';
import type { WorkerChild } from './worker-child.js';

export interface ChildRecoveryContext {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  readonly settings: WorkerSettings;
  readonly policies: Readonly<Record<string, JobPolicy>>;
  readonly log: (message: string) => void;
}

export function recoverExitedChild(context: ChildRecoveryContext, child: WorkerChild, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const why = child.killReason === 'usr1' ? ' (USR1)' : child.killReason === 'shutdown' ? ' (shutdown deadline)' : '';
  const reason = `Child process ${child.pid} ${how}${why} while processing`;
  const timedOut = new Map<string, number>();
  for (const token of child.timedOut) {
    const job = child.timed.get(token);
    const policy = job ? context.policies[job.className] : undefined;
    timedOut.set(token, policy?.timeoutMs || context.settings.jobTimeout * 1000);
  }
  return recoverJobs(context.redis, context.keys, {
    workerId: child.workerId!,
    reason,
    policies: context.policies,
    timedOut,
    neverRequeue: child.killReason === 'usr1',
    maxCrashRequeues: context.settings.maxCrashRequeues,
    failedMax: context.settings.failedMax,
    ...(context.settings.publishEvents ? { eventResultTtl: context.settings.eventResultTtl } : {}),
  }).then(
    (result) => {
      if (result.requeued + result.failed + (result.retried ?? 0) + (result.returned ?? 0) > 0) {
        const returned = result.returned ? `, ${result.returned} reserved but not started given back` : '';
        context.log(`${reason} ${child.workerId}: ${result.requeued} job(s) requeued, ${result.failed} failed${result.retried ? `, ${result.retried} to be retried` : ''}${returned}`);
      }
    },
    (error: Error) => context.log(`recovering ${child.workerId} failed: ${error.message}`),
  );
}
