/**
 * A worker child: boots the application's Nest context (so jobs get their providers), tells the
 * host what it found, then runs the worker loop when the host says start. It exits 0 only after
 * a drain or its job quota, with nothing in flight; any other exit is a crash the host recovers.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { Type } from '@nestjs/common';
import { JobRegistry } from '../../discovery/job.registry.js';
import { JobRunner } from '../../discovery/job-runner.service.js';
import type { ResqueModuleOptions } from '../../options/resque-options.js';
import { fromPortable, portableOptions, type OwnedRedis } from '../../redis/connection.js';
import { RESQUE_MODULE_OPTIONS, RESQUE_REDIS, RESQUE_TRACING } from '../../resque.tokens.js';
import type { ResqueTracing } from '../../tracing/resque-tracing.js';
import { TITLE_ROOM, type ChildMessage, type HostMessage, type StartMessage } from '../ipc.js';
import { setTitle, titles } from '../process-title.js';
import type { WorkerLoop } from '../worker-loop.js';
import { createChildWorker, type ChildWorker } from './child-worker.js';
import { jobPolicyOf } from './job-policy.js';
import { JobMetricsRecorder } from '../../metrics/job-metrics.js';

/** How often a child sends its job metrics to the host (METRICS_PORT): one IPC message, whatever the throughput. */
const METRICS_BATCH_MS = 1_000;

export type AppModuleLoader = () => Type<unknown> | Promise<Type<unknown>>;

/** Messages to the host; once the host is gone (killed) there is nobody to tell, and that is fine. */
function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
}

export async function runChild(loadModule: AppModuleLoader): Promise<void> {
  process.argv = process.argv.filter((arg) => arg !== TITLE_ROOM);
  setTitle(titles.starting());
  // The host decides when children stop (it forwards QUIT/TERM/INT as drain or kill); a terminal's
  // Ctrl-C reaches the whole process group, so children ignore these while their host lives.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const) {
    process.on(signal, () => {
      if (!process.connected) process.exit(0);
    });
  }
  // Boot quietly (Nest's start-up lines would repeat for every child), then let jobs log.
  const app = await NestFactory.createApplicationContext(await loadApplication(loadModule), { logger: ['error', 'warn'], abortOnError: false }).catch(
    // Nest has printed the error; a second stack from the entry's top-level await would add nothing.
    (error: Error) => bootFailed(firstLine(error)),
  );
  app.useLogger(['log', 'error', 'warn']);
  const registry = app.get(JobRegistry, { strict: false });
  const runner = app.get(JobRunner, { strict: false });
  const moduleOptions = app.get<ResqueModuleOptions>(RESQUE_MODULE_OPTIONS, { strict: false });
  const appRedis = app.get<OwnedRedis>(RESQUE_REDIS, { strict: false }).client;

  let loop: WorkerLoop | undefined;
  let worker: ChildWorker | undefined;
  let drainRequested = false;
  let go: (() => void) | undefined;
  let metrics: JobMetricsRecorder | undefined;
  /** The code cache's after-ready save, if it has not run yet (see exitCleanly). */
  let saveAtExit: (() => void) | undefined;
  /** Sends what the recorder holds; resolves once the host has it (or cannot get it). */
  const flushMetrics = (): Promise<void> => {
    const batch = metrics?.take();
    if (!batch || !process.connected) return Promise.resolve();
    return new Promise((resolve) => process.send?.({ type: 'metrics', batch } satisfies ChildMessage, undefined, undefined, () => resolve()) ?? resolve());
  };
  const released = new Promise<void>((resolve) => {
    go = resolve;
  });

  process.on('message', (message: HostMessage) => {
    switch (message.type) {
      case 'start':
        void start(message).catch((error: Error) => {
          send({ type: 'fatal', message: error.message });
          process.exit(1);
        });
        break;
      case 'go':
        go?.();
        break;
      case 'pause':
        loop?.pause();
        break;
      case 'resume':
        loop?.resume();
        break;
      case 'registered-again':
        void worker?.restoreWorkingOn().catch(() => undefined);
        break;
      case 'drain':
        drainRequested = true;
        go?.();
        if (loop) loop.stop();
        else void exitCleanly();
        leaveIfRedisStaysAway();
        break;
    }
  });
  // The host is gone (killed): take no more jobs, finish the running ones, leave. Nobody
  // heartbeats us any more: we do it ourselves meanwhile, or another host takes us for dead.
  process.on('disconnect', () => {
    drainRequested = true;
    go?.();
    worker?.heartbeatAlone();
    if (loop) loop.stop();
    else void exitCleanly();
    leaveIfRedisStaysAway();
  });

  // Draining while Redis is unreachable: the loop cannot end (its waits and its unregister need
  // Redis). Holding nothing, the child may leave anyway: its registration is removed by the host's
  // recovery or, failing that, by heartbeat staleness. Holding a job, it waits to acknowledge it.
  let leaveTimer: NodeJS.Timeout | undefined;
  function leaveIfRedisStaysAway(): void {
    leaveTimer ??= setInterval(() => {
      if (!worker?.idleWithoutRedis()) return;
      console.error(`[resque ${process.pid}] Redis unreachable and nothing in flight: leaving without unregistering`);
      clearInterval(leaveTimer);
      void exitCleanly(3_000);
    }, 500);
  }

  // The host died while we booted (its 'disconnect' came before our listener): nobody will start us.
  if (!process.connected) await exitCleanly();

  send({
    type: 'ready',
    jobs: registry.policies(moduleOptions.retry),
    // The module's prefix is the one its producers write under; `worker.prefix` (and PREFIX) still win.
    moduleSettings: { ...(moduleOptions.prefix !== undefined ? { prefix: moduleOptions.prefix } : {}), ...moduleOptions.worker },
    redis: portableOptions(appRedis),
    bootMs: Math.round(performance.now()), // since the process started: module loading is most of it
  });
  // Loaded from the host's bundle without a code cache: save V8's now that the boot's functions are
  // compiled, and again after the first job, with the job path (a warm spare's next job starts sooner).
  let saveCodeCache = (globalThis as Record<symbol, unknown>)[Symbol.for('nestjs-resque.afterReady')] as (() => void) | undefined;
  let codeCacheSaved = typeof saveCodeCache !== 'function';
  const saveCodeCacheOnce = () => {
    if (codeCacheSaved) return;
    codeCacheSaved = true;
    saveCodeCache?.();
  };
  if (!codeCacheSaved) setImmediate(saveCodeCacheOnce);
  saveAtExit = saveCodeCacheOnce;

  async function start(message: StartMessage): Promise<void> {
    let recycled = false;
    if (message.metrics) {
      metrics = new JobMetricsRecorder();
      setInterval(() => void flushMetrics(), METRICS_BATCH_MS).unref();
    }
    worker = await createChildWorker({
      metrics,
      appRedis,
      redisOverrides: fromPortable(message.redis),
      settings: message.settings,
      workerId: message.workerId,
      maxJobs: message.maxJobs,
      run: (context) => runner.run(context),
      tracing: app.get<ResqueTracing | null>(RESQUE_TRACING, { strict: false }),
      policies: registry.policies(moduleOptions.retry),
      jobPolicy: jobPolicyOf(registry, moduleOptions),
      onTimedJob: (job) => send({ type: 'job-started', ...job }),
      onTimedJobEnd: (token) => send({ type: 'job-finished', tokens: [token] }),
      onFinished: () => {
        const save = saveCodeCache;
        saveCodeCache = undefined;
        if (save) setImmediate(save);
      },
      onRecycle: (reason) => {
        recycled = true;
        if (!drainRequested) send({ type: 'quota-reached', reason });
      },
    });
    loop = worker.loop;
    if (!process.connected) worker.heartbeatAlone(); // the host died while we connected
    if (message.hold) await released;
    if (drainRequested) loop.stop();
    await worker.run(() => {
      if (worker?.loop.drained) send({ type: 'drained' });
      else if (message.maxJobs > 0 && !drainRequested && !recycled) {
        send({ type: 'quota-reached', reason: message.settings.forkPerJob ? undefined : `${message.maxJobs} jobs done (MAX_JOBS_PER_CHILD)` });
      }
    });
    await exitCleanly();
  }

  /** `boundedMs`: leaving without Redis, the application's shutdown hooks get this long. */
  async function exitCleanly(boundedMs?: number): Promise<never> {
    // The last jobs' metrics, before the host counts this child gone (fork-per-job sends only this one).
    await Promise.race([flushMetrics(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    const closed = app.close().catch(() => undefined);
    await (boundedMs === undefined ? closed : Promise.race([closed, new Promise((resolve) => setTimeout(resolve, boundedMs))]));
    // Drained right after ready, the close can finish before the after-ready save had its turn
    // (a connection still opening closes without I/O): the next children still get the cache.
    saveAtExit?.();
    process.exit(0);
  }
}

/**
 * The application's module, or one line and exit 1 when its files are missing: typically a build
 * with nest-cli.json's `deleteOutDir` wiped dist/ under the running worker (Node would print a raw
 * ERR_MODULE_NOT_FOUND stack for every child the host forks).
 */
async function loadApplication(loadModule: AppModuleLoader): Promise<Type<unknown>> {
  try {
    return await loadModule();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    return await bootFailed(
      `cannot load the application: ${firstLine(error as Error)} (was the build deleted or rebuilt under the running worker? nest-cli.json's deleteOutDir wipes dist/ on every build)`,
    );
  }
}

/** Tells the host (which logs it), then exits 1 once the message is out; never resolves. */
function bootFailed(message: string): Promise<never> {
  const exit = () => process.exit(1);
  if (process.connected && process.send) process.send({ type: 'fatal', message } satisfies ChildMessage, undefined, undefined, exit);
  else {
    console.error(`[resque ${process.pid}] ${message}`);
    exit();
  }
  return new Promise<never>(() => undefined);
}

function firstLine(error: Error): string {
  return String(error.message).split('\n')[0]!;
}
