/**
 * Starting a booted child: the host chooses its worker id (hostname:pid:queues unless a live
 * worker elsewhere has it, worker-ids.ts), settles what a dead previous owner of that id still
 * holds, registers it (so the host's own next heartbeat finds it registered, rather than
 * registering it "again" before the child got to it), then sends `start` with the settings and
 * the connection the host chose.
 */
import { hostname } from 'node:os';
import type { WorkerSettings } from '../../options/worker-settings.js';
import type { ResqueKeys } from '../../protocol/keys.js';
import { workerId } from '../../protocol/worker-id.js';
import { heartbeat } from '../../protocol/scripts/heartbeat.js';
import { toPortable, type ConnectOptions, type RedisClient } from '../../redis/connection.js';
import type { HostLiveness } from './liveness.js';
import type { WorkerChild } from './worker-child.js';
import { claimWorkerId } from './worker-ids.js';

export interface ChildStartContext {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  readonly settings: WorkerSettings;
  /** What children connect with: the environment's, runWorker's `redis`, or the application's connection. */
  readonly redisOptions: ConnectOptions;
  readonly liveness: HostLiveness;
  readonly metrics: boolean;
  /** Ends a wait on an id whose owner may be alive (the host stops). */
  readonly signal: AbortSignal;
  /** The ids the host's other children have now. */
  readonly ownIds: () => ReadonlySet<string>;
  readonly log: (message: string) => void;
}

/** `hold`: connect and register, then wait for `go` (a warm spare in fork-per-job mode). */
export function startChild(child: WorkerChild, hold: boolean, ctx: ChildStartContext): void {
  const { settings } = ctx;
  child.held = hold;
  const maxJobs = settings.forkPerJob ? 1 : settings.maxJobsPerChild;
  const natural = workerId(settings.queues, child.pid);
  void claimWorkerId({
    redis: ctx.redis,
    keys: ctx.keys,
    heartbeatIntervalMs: settings.heartbeatInterval * 1000,
    signal: ctx.signal,
    queues: settings.queues,
    pid: child.pid,
    hostname: hostname(),
    own: ctx.ownIds(),
  })
    .then(async ({ id }) => {
      if (id !== natural) ctx.log(`worker id ${natural} is in use by a live worker on another host with our hostname; child ${child.pid} registers as ${id}`);
      if (!child.alive) return;
      // Jobs in flight under this id belong to a dead process whose pid the child now has: settle them first.
      await ctx.liveness.recoverPreviousOwner(id);
      await heartbeat(ctx.redis, ctx.keys, [id], Number.MAX_SAFE_INTEGER); // workers, :started, workers:alive, as the child's register() does
      // Only now is it one of ours for the heartbeats (a beat in between would register it "again"). A
      // child that died meanwhile leaves this registration to staleness: any host recovers it after DEAD_AFTER.
      child.workerId = id;
      child.send({ type: 'start', settings, redis: toPortable(ctx.redisOptions), maxJobs, hold, metrics: ctx.metrics, workerId: id });
    })
    .catch((error: Error) => {
      ctx.log(`starting child ${child.pid} failed (${error.message}); replacing it`);
      child.kill(undefined);
    });
}
