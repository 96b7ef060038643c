/**
 * The worker host: a small supervisor that forks children to run jobs, keeps their count,
 * writes their heartbeats, recovers their jobs when they die, and answers Resque's signals.
 * It loads neither Nest nor the application; the first child tells it the application's settings.
 *
 * States and signals (php-resque's meanings):
 *   running   children take jobs.            USR2 -> paused   QUIT -> draining   TERM/INT -> stopping
 *   paused    children take nothing.         CONT -> running  QUIT -> draining   TERM/INT -> stopping
 *   draining  (QUIT) children finish their jobs and exit; then the host exits 0.
 *   stopping  (TERM/INT) like draining, but after SHUTDOWN_TIMEOUT seconds the remaining children
 *             are killed and their jobs settled as crashed (requeued or failed by policy).
 *   USR1 in any state kills the running children (their jobs fail) and starts new ones.
 *
 *   starting  QUIT/TERM/INT -> the booting children are killed (they hold nothing), exit 0;
 *             USR2/CONT are applied once running. Handlers are installed before anything else.
 *
 * A working child that exits, whatever its exit code (crash, process.exit(0) mid-job, SIGKILL,
 * out of memory, killed for a timeout), has whatever it still holds in flight recovered at once,
 * then is replaced, with backoff when children keep dying before they are ready.
 *
 * Around this file: the children and their count are child-pool.ts (what is forked,
 * child-launcher.ts; how a child is started and which worker id it gets, child-start.ts); what
 * starts once the first child is ready (settings, Redis, metrics, scheduler) is host-services.ts;
 * liveness (heartbeats, judging dead workers) is liveness.ts; signals are host-signals.ts.
 */
import { rmSync } from 'node:fs';
import type { HostMetricsServer } from '../../metrics/metrics-server.js';
import { loadPromClient, type Prom } from '../../metrics/load-prom-client.js';
import { metricsPortFromEnv } from '../../metrics/metrics-port.js';
import { settingsFromEnv, type WorkerSettings } from '../../options/worker-settings.js';
import type { ResqueKeys } from '../../protocol/keys.js';
import { printable } from '../../protocol/printable.js';
import { quietly, type RedisClient } from '../../redis/connection.js';
import { connectionFromEnv, type EnvConnection } from '../../redis/redis-env.js';
import type { DelayedScheduler } from '../../scheduler/scheduler.js';
import { ChildBootError } from '../../errors/child-boot.error.js';
import type { ChildMessage, JobPolicy, ReadyMessage } from '../ipc.js';
import { setTitle, titles } from '../process-title.js';
import type { RunWorkerOptions } from '../run-worker.js';
import { within } from '../within.js';
import { ChildLauncher } from './child-launcher.js';
import { ChildPool } from './child-pool.js';
import { startChild } from './child-start.js';
import { optionsFromUrl } from './host-redis.js';
import { startHostServices } from './host-services.js';
import { installHostSignals } from './host-signals.js';
import { HostLiveness } from './liveness.js';
import { PendingRecoveries } from './pending-recoveries.js';
import { recoverExitedChild } from './recover-child.js';
import type { WorkerChild } from './worker-child.js';

type HostState = 'starting' | 'running' | 'paused' | 'draining' | 'stopping' | 'stopped';

const MAX_BOOT_FAILURES_AT_START = 3;

export class WorkerHost {
  private state: HostState = 'starting';
  private settings!: WorkerSettings;
  private keys!: ResqueKeys;
  private redis!: RedisClient;
  private readonly launcher = new ChildLauncher((message) => this.log(message));
  private readonly pool = new ChildPool({
    launcher: this.launcher,
    active: () => this.state === 'running' || this.state === 'paused',
    paused: () => this.state === 'paused',
    onMessage: (child, message) => this.onMessage(child, message),
    onExit: (child, code, signal) => this.onExit(child, code, signal),
    onChange: () => this.updateTitle(),
  });
  private readonly policies: Record<string, JobPolicy> = {};
  private readonly recoveries = new PendingRecoveries(() => this.maybeFinish());
  /** A QUIT/TERM/INT or USR2 that came during start-up, applied once the host runs. */
  private stopRequested: 'draining' | 'stopping' | undefined;
  private pauseRequested = false;
  private readonly startAbort = new AbortController();
  private timers: NodeJS.Timeout[] = [];
  private firstReady: ((message: ReadyMessage) => void) | undefined;
  private stopTimer: NodeJS.Timeout | undefined;
  private scheduler: DelayedScheduler | undefined;
  private exited!: () => void;
  private readonly envSettings: ReturnType<typeof settingsFromEnv>;
  private readonly envRedis: EnvConnection | undefined;
  /** METRICS_PORT: Prometheus metrics on 127.0.0.1 (lib/metrics/); prom-client is loaded only then. */
  private readonly metricsPort: number | undefined;
  private metrics: HostMetricsServer | undefined;

  constructor(private readonly options: RunWorkerOptions) {
    // First thing: a signal during start-up must meet our handlers, not the default action.
    installHostSignals({
      drain: () => this.shutdown('draining'),
      stop: () => this.shutdown('stopping'),
      killJobs: () => this.killJobs(),
      pause: () => this.pause(),
      resume: () => this.resume(),
    });
    // Validate the environment before forking anything: a bad QUEUE/COUNT/INTERVAL is a one-line error.
    this.envSettings = settingsFromEnv(process.env);
    // A malformed URL, node or sentinel list stops us here, before any child boots (an empty REDIS_URL too: never a silent 6379).
    this.envRedis = connectionFromEnv(process.env);
    if (typeof options.redis === 'string') optionsFromUrl(options.redis, "runWorker's redis option");
    this.metricsPort = metricsPortFromEnv(process.env);
  }

  private get children(): ReadonlySet<WorkerChild> {
    return this.pool.children;
  }

  async start(): Promise<void> {
    setTitle(titles.starting());
    const exited = new Promise<void>((resolve) => {
      this.exited = resolve;
    });
    // A missing prom-client is a one-line error before any child boots.
    const prom: Prom | undefined = this.metricsPort === undefined ? undefined : await loadPromClient('METRICS_PORT (the worker host\'s Prometheus metrics)');
    await this.launcher.prepare();
    const first = await this.bootFirstChild();
    if (!first) return this.stopDuringStart(exited);
    let services;
    try {
      services = await startHostServices({
        first,
        envSettings: this.envSettings,
        envRedis: this.envRedis,
        options: this.options,
        signal: this.startAbort.signal,
        prom,
        metricsPort: this.metricsPort,
        log: (message) => this.log(message),
      });
    } catch (error) {
      for (const child of this.children) child.kill(undefined);
      throw error;
    }
    if (!services) return this.stopDuringStart(exited);
    const { settings, keys, redis, redisOptions } = services;
    this.settings = settings;
    this.keys = keys;
    this.redis = redis;
    this.metrics = services.metrics;
    this.scheduler = services.scheduler;
    // Pending recoveries at shutdown are not waited for while Redis is away.
    redis.on('close', () => this.maybeFinish());
    const liveness = new HostLiveness({
      redis,
      keys,
      settings,
      policies: this.policies,
      ownWorkers: () => this.pool.workerIds(),
      // Its `worker:<id>` ("working on", for resque-web) went with the recovery: the child writes it again.
      onRegisteredAgain: (id) => {
        this.log(`worker ${id} registered again (a recovery had taken it for dead while this host was cut off)`);
        for (const child of this.children) if (child.workerId === id) child.send({ type: 'registered-again' });
      },
      log: (message) => this.log(message),
    });
    this.pool.run(settings, (child, hold) =>
      startChild(child, hold, {
        redis,
        keys,
        settings,
        redisOptions,
        liveness,
        metrics: this.metrics !== undefined,
        signal: this.startAbort.signal,
        ownIds: () => new Set(this.pool.workerIds()),
        log: (message) => this.log(message),
      }),
    );
    this.state = 'running';
    this.timers.push(setInterval(() => void liveness.beat(), settings.heartbeatInterval * 1000));
    this.timers.push(setInterval(() => {
      const now = Date.now();
      for (const child of this.children) child.enforceDeadlines(now);
    }, 100));
    this.recoveries.track(liveness.recoverDeadLocalWorkers().catch((error: Error) => this.log(`recovering dead local workers failed: ${error.message}`)));
    this.log(`started: ${this.describe()}; a child boots in ${first.bootMs} ms (${this.launcher.description})`);
    if (this.stopRequested) {
      this.shutdown(this.stopRequested); // a QUIT/TERM that came while Redis was reached
    } else {
      for (const child of this.children) if (child.state === 'spare') this.pool.place(child);
      this.pool.fill();
      if (this.pauseRequested) this.pause();
    }
    await exited;
  }

  /** QUIT/TERM/INT before the host ran: nothing started, so nothing to drain; no child is left behind. */
  private async stopDuringStart(exited: Promise<void>): Promise<void> {
    this.log('stopping during start-up: no job was taken');
    this.state = this.stopRequested ?? 'stopping';
    for (const child of this.children) child.kill(undefined);
    this.maybeFinish();
    await exited;
  }

  private describe(): string {
    const s = this.settings;
    const mode = s.forkPerJob ? `a fresh child per job, ${s.spares} spare` : `${s.count} children x ${s.concurrency}`;
    return `queues ${s.queues.join(',')}, ${mode}, ${s.blocking ? 'blocking' : `polling every ${s.interval}s`}, prefix "${s.prefix}"`;
  }

  /** The first child tells us the application's settings and connection; nothing starts before. Undefined: stopped meanwhile. */
  private async bootFirstChild(): Promise<ReadyMessage | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopRequested) return undefined;
      if (this.launcher.missing()) throw new ChildBootError(`the worker entry ${this.launcher.file} does not exist: build the application first`);
      const child = this.pool.fork();
      const ready = await new Promise<ReadyMessage | undefined>((resolve) => {
        this.firstReady = resolve;
        child.process.once('exit', () => resolve(undefined));
        this.startAbort.signal.addEventListener('abort', () => resolve(undefined), { once: true });
      });
      this.firstReady = undefined;
      if (this.stopRequested) return undefined;
      if (ready) return ready;
      if (this.launcher.bundled) {
        // Whatever in the bundle broke the boot, the entry as it is may not: try it before giving up.
        this.log('the bundled child failed to boot; forking the unbundled entry instead (RESQUE_BUNDLE=0 skips bundling)');
        this.launcher.fallBackToUnbundled('the bundled child failed to boot');
        attempt--;
        continue;
      }
      if (attempt >= MAX_BOOT_FAILURES_AT_START) {
        throw new ChildBootError(`the worker child failed to boot ${attempt} times (exit code ${child.process.exitCode ?? child.process.signalCode}); see its error above`);
      }
    }
  }

  private onMessage(child: WorkerChild, message: ChildMessage): void {
    switch (message.type) {
      case 'ready':
        child.ready = message;
        child.state = 'spare';
        Object.assign(this.policies, message.jobs);
        this.pool.bootFailures = 0;
        if (this.state === 'starting') this.firstReady?.(message);
        else this.pool.place(child);
        break;
      case 'job-started':
        child.timed.set(message.token, { className: message.className, queue: message.queue, deadline: message.deadline });
        break;
      case 'job-finished':
        for (const token of message.tokens) child.timed.delete(token);
        break;
      case 'quota-reached':
        if (message.reason) this.log(`recycling child ${child.pid}: ${message.reason}`);
        child.state = 'finishing';
        this.updateTitle();
        if (this.state === 'running' || this.state === 'paused') this.pool.replenish();
        break;
      case 'drained':
        child.state = 'finishing';
        this.queuesDrained();
        break;
      case 'fatal':
        this.log(`child ${child.pid} failed: ${message.message}`);
        break;
      case 'metrics':
        this.metrics?.totals.merge(message.batch);
        break;
    }
  }

  /**
   * INTERVAL=0 (php-resque's drain-and-exit): a child found the queues empty and exits. No child is
   * forked any more; the others exit as they find the queues empty too; then the host exits 0.
   */
  private queuesDrained(): void {
    if (this.state !== 'running' && this.state !== 'paused') return;
    this.log('INTERVAL=0: the queues are empty; exiting once every child has');
    this.state = 'draining';
    this.pool.stopFilling();
    for (const other of this.children) {
      if (other.state === 'working' || other.state === 'finishing') continue;
      if (other.held) other.send({ type: 'drain' });
      else other.kill(undefined);
    }
    this.updateTitle();
    this.maybeFinish();
  }

  private onExit(child: WorkerChild, code: number | null, signal: NodeJS.Signals | null): void {
    const wasRegistered = child.workerId !== undefined;
    const wasReady = child.ready !== undefined;
    this.pool.remove(child);
    const clean = code === 0 && signal === null;
    if (!wasReady && !clean && this.state !== 'stopping' && this.state !== 'draining') this.pool.bootFailures++;
    if (wasRegistered) {
      // Whatever the exit code: a child that exits holding jobs (process.exit(0) inside a job) has
      // them settled now. After a clean exit there is nothing left and this only unregisters it again.
      this.recoveries.track(recoverExitedChild({ redis: this.redis, keys: this.keys, settings: this.settings, policies: this.policies, log: (m) => this.log(m) }, child, code, signal));
    }
    this.updateTitle();
    if (this.state === 'running' || this.state === 'paused') this.pool.replenish();
    this.maybeFinish();
  }

  private killJobs(): void {
    if (this.state !== 'running' && this.state !== 'paused') return;
    this.log('USR1: killing running jobs');
    for (const child of this.pool.working()) child.kill('usr1');
  }

  private pause(): void {
    if (this.state === 'starting') {
      this.pauseRequested = true;
      return;
    }
    if (this.state !== 'running') return;
    this.state = 'paused';
    for (const child of this.children) child.send({ type: 'pause' });
    this.log('USR2: paused');
    this.updateTitle();
  }

  private resume(): void {
    if (this.state === 'starting') {
      this.pauseRequested = false;
      return;
    }
    if (this.state !== 'paused') return;
    this.state = 'running';
    for (const child of this.children) child.send({ type: 'resume' });
    this.log('CONT: resumed');
    this.updateTitle();
  }

  private shutdown(next: 'draining' | 'stopping'): void {
    if (this.state === 'starting') {
      // Nothing runs yet: start() stops at its next step (the boot or the wait for Redis ends now).
      if (this.stopRequested !== 'stopping') this.stopRequested = next;
      this.startAbort.abort();
      return;
    }
    if (this.state === 'stopped' || this.state === next || this.state === 'stopping') return;
    this.state = next;
    this.log(next === 'draining' ? 'QUIT: finishing running jobs' : `shutting down (running jobs get ${this.settings.shutdownTimeout}s)`);
    this.pool.stopFilling();
    for (const child of this.children) {
      if (child.state === 'working' || child.state === 'finishing' || child.held) child.send({ type: 'drain' });
      else child.kill(undefined);
    }
    if (next === 'stopping') {
      this.stopTimer = setTimeout(() => {
        for (const child of this.children) child.kill('shutdown');
      }, this.settings.shutdownTimeout * 1000);
    }
    this.updateTitle();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.state !== 'draining' && this.state !== 'stopping') return;
    if (this.children.size > 0) return;
    const reachable = this.redis?.status === 'ready';
    if (!this.recoveries.mayLeave(reachable)) return;
    if (this.recoveries.size > 0) {
      this.log(`Redis ${reachable ? 'too slow' : 'unreachable'}: ${this.recoveries.size} recovery(ies) of dead children left to the next host on this machine or to heartbeat staleness (their jobs stay in flight)`);
    }
    this.state = 'stopped';
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.recoveries.stop();
    for (const timer of this.timers) clearInterval(timer);
    void this.metrics?.close();
    if (this.settings?.pidFile) rmSync(this.settings.pidFile, { force: true });
    // Giving the scheduler lock up needs Redis: not waited for long while it is away (the lock expires).
    void within(this.scheduler?.stop(), this.redis?.status === 'ready' ? 3_000 : 0).then(() => (this.redis ? quietly(this.redis) : undefined)).finally(() => {
      this.log('stopped');
      this.exited();
      process.exit(0);
    });
  }

  private updateTitle(): void {
    if (this.state === 'paused') setTitle(titles.paused());
    else if (this.state === 'draining' || this.state === 'stopping') setTitle(titles.shuttingDown());
    else setTitle(titles.forked(this.pool.working().map((c) => c.pid)));
  }

  /** One line per message: text from Redis or a child (worker ids, errors) is escaped. */
  private log(message: string): void {
    console.log(`[resque host ${process.pid}] ${printable(message)}`);
  }
}
