/**
 * The host as a liveness judge: it heartbeats its own workers and recovers any worker anywhere
 * whose heartbeat went stale.
 *
 * It judges only from time it was connected itself. It keeps the Redis time since which its own
 * heartbeats have succeeded without a gap (longer than about two heartbeat intervals); a worker is
 * stale only when now - max(its last heartbeat, that time) > DEAD_AFTER. After an outage, or after
 * its own path to Redis froze, a judge therefore recovers nobody until DEAD_AFTER after it is back,
 * by which time every live host has beaten again. A worker cut off alone (a frozen host, the judge
 * healthy) cannot be told from a dead one and is recovered; recover.lua leaves a tombstone so its
 * late completion is made consistent (exchange.lua), and its heartbeat registers it again.
 */
import { hostname } from 'node:os';
import type { RedisClient } from '../../redis/connection.js';
import type { WorkerSettings } from '../../options/worker-settings.js';
import type { ResqueKeys } from '../../protocol/keys.js';
import { judgeHeartbeats } from '../../protocol/scripts/heartbeat.js';
import { parseWorkerId } from '../../protocol/worker-id.js';
import type { JobPolicy } from '../ipc.js';
import { recoverJobs } from './recover-jobs.js';
import { judgeWorkerId } from './worker-ids.js';

export interface LivenessOptions {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  readonly settings: WorkerSettings;
  readonly policies: Readonly<Record<string, JobPolicy>>;
  /** The worker ids of this host's live children, now. */
  readonly ownWorkers: () => readonly string[];
  /** One of ours was unregistered by a recovery (we were cut off) and is registered again. */
  readonly onRegisteredAgain?: (id: string) => void;
  readonly log: (message: string) => void;
}

export class HostLiveness {
  /** Redis ms since which our heartbeats succeed without a gap; undefined before the first one. */
  private connectedSince: number | undefined;
  private lastBeat: number | undefined;
  private busy = false;
  private readonly recovering = new Set<string>();
  private readonly deadAfterMs: number;
  /** A longer gap between two of our heartbeats means we were cut off: start judging afresh. */
  private readonly gapMs: number;

  constructor(private readonly options: LivenessOptions) {
    const { heartbeatInterval, deadAfter } = options.settings;
    this.deadAfterMs = deadAfter * 1000;
    this.gapMs = Math.min(2 * heartbeatInterval * 1000 + 1000, this.deadAfterMs / 2);
  }

  /** One heartbeat; then recovery of the workers judged dead. Skipped while the previous one waits. */
  async beat(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const { redis, keys } = this.options;
    try {
      const ours = this.options.ownWorkers();
      const reply = await judgeHeartbeats(redis, keys, ours, this.deadAfterMs, this.connectedSince ?? Number.MAX_SAFE_INTEGER);
      for (const id of reply.registeredAgain) this.options.onRegisteredAgain?.(id);
      const previous = this.lastBeat;
      this.lastBeat = reply.now;
      if (previous === undefined || reply.now - previous > this.gapMs) {
        if (previous !== undefined) this.options.log(`heartbeats resumed after a ${reply.now - previous} ms gap; judging other workers again in ${this.deadAfterMs / 1000} s`);
        this.connectedSince = reply.now;
        return; // judged with a stale connected-since: ignore
      }
      const own = new Set(ours);
      // Recoveries run beside the heartbeats, never in their way: a long list of dead workers must
      // not delay our own beats (others would then judge us).
      for (const id of reply.stale) {
        if (own.has(id) || this.recovering.has(id)) continue;
        this.recovering.add(id);
        void this.recoverDead(id, `Worker ${id} stopped sending heartbeats`)
          .catch((error: Error) => this.options.log(`recovering ${id} failed: ${error.message}`))
          .finally(() => this.recovering.delete(id));
      }
    } catch (error) {
      this.options.log(`heartbeat failed: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /**
   * At start: workers of this host whose process is gone (a host killed with its children). A
   * worker with our hostname whose pid is not running here may also live in another container
   * with our hostname (its own PID namespace): it is recovered only once its heartbeat has
   * stopped (worker-ids.ts), which a live one's never does.
   */
  async recoverDeadLocalWorkers(): Promise<void> {
    const ids = await this.options.redis.zrange(this.options.keys.alive, '0', '-1');
    const here = hostname();
    const ours = new Set(this.options.ownWorkers());
    const candidates = ids.filter((id) => {
      const parts = parseWorkerId(id);
      return parts !== null && parts.host === here && parts.pid !== process.pid && !ours.has(id) && !processExists(parts.pid);
    });
    await Promise.all(
      candidates.map(async (id) => {
        const verdict = await judgeWorkerId(id, { redis: this.options.redis, keys: this.options.keys, heartbeatIntervalMs: this.options.settings.heartbeatInterval * 1000 });
        if (verdict === 'live') {
          this.options.log(`worker ${id} has our hostname but no process here and still heartbeats: another host (a container) with our hostname runs it`);
          return;
        }
        await this.recoverDead(id, `Worker ${id} is gone (its process no longer exists)`);
      }),
    );
  }

  /**
   * Before a new child registers as `id`: a worker of that id with jobs in flight is a dead one
   * whose pid the child now has (a PID namespace restarted, pids wrapped): settle its jobs, so the
   * child never adopts them.
   */
  async recoverPreviousOwner(id: string): Promise<void> {
    const result = await recoverJobs(this.options.redis, this.options.keys, {
      workerId: id,
      reason: `Worker ${id} is gone (a new process has its pid)`,
      policies: this.options.policies,
      maxCrashRequeues: this.options.settings.maxCrashRequeues,
      failedMax: this.options.settings.failedMax,
      ...(this.options.settings.publishEvents ? { eventResultTtl: this.options.settings.eventResultTtl } : {}),
      onlyIfHeld: true,
    });
    if (result.requeued + result.failed + (result.retried ?? 0) > 0) this.options.log(`recovered dead worker ${id} before reusing its id: ${result.requeued} requeued, ${result.failed} failed${result.retried ? `, ${result.retried} to be retried` : ''}`);
  }

  private async recoverDead(id: string, reason: string): Promise<void> {
    const { redis, keys } = this.options;
    // One recoverer per dead worker; the script is exactly-once anyway, the lock saves the work.
    const locked = await redis.set(keys.recovering(id), `${hostname()}:${process.pid}`, 'EX', 60, 'NX');
    if (locked !== 'OK') return;
    const result = await recoverJobs(redis, keys, {
      workerId: id,
      reason,
      policies: this.options.policies,
      maxCrashRequeues: this.options.settings.maxCrashRequeues,
      failedMax: this.options.settings.failedMax,
      ...(this.options.settings.publishEvents ? { eventResultTtl: this.options.settings.eventResultTtl } : {}),
    });
    this.options.log(`recovered dead worker ${id}: ${result.requeued} requeued, ${result.failed} failed${result.retried ? `, ${result.retried} to be retried` : ''}`);
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
