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
 * Liveness (heartbeats, judging dead workers) is liveness.ts; signals are host-signals.ts.
 */
import { writeFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RedisClient } from '../../redis/connection.js';
import { resolveSettings, settingsFromEnv, type WorkerSettings } from '../../options/worker-settings.js';
import { ResqueKeys } from '../../protocol/keys.js';
import { workerId } from '../../protocol/worker-id.js';
import { fromPortable, quietly, toPortable, type ConnectOptions } from '../../redis/connection.js';
import { connectionFromEnv, type EnvConnection } from '../../redis/redis-env.js';
import { resolvePrefix } from '../../redis/cluster-prefix.js';
import type { ChildMessage, JobPolicy, ReadyMessage } from '../ipc.js';
import { setTitle, titles } from '../process-title.js';
import { printable } from '../../protocol/printable.js';
import type { RunWorkerOptions } from '../run-worker.js';
import { ChildBootError } from '../../errors/child-boot.error.js';
import { InvalidSettingError } from '../../errors/invalid-setting.error.js';
import { chooseHostRedisOptions, connectHostRedis, optionsFromUrl } from './host-redis.js';
import { within } from '../within.js';
import { startHostScheduler } from './host-scheduler.js';
import { installHostSignals } from './host-signals.js';
import { HostLiveness } from './liveness.js';
import { claimWorkerId } from './worker-ids.js';
import { PendingRecoveries } from './pending-recoveries.js';
import { recoverExitedChild } from './recover-child.js';
import { WorkerChild } from './worker-child.js';
import { childExecArgv, childMemoryEnv } from './child-exec-argv.js';
import { prepareChildLaunch, type ChildLaunch } from './child-bundle.js';
import { missingLaunchFile, missingLaunchMessage } from './missing-launch-file.js';
import type { DelayedScheduler } from '../../scheduler/scheduler.js';
import { metricsPortFromEnv } from '../../metrics/metrics-port.js';
import { loadPromClient, type Prom } from '../../metrics/load-prom-client.js';
import { startHostMetricsServer, type HostMetricsServer } from '../../metrics/metrics-server.js';

type HostState = 'starting' | 'running' | 'paused' | 'draining' | 'stopping' | 'stopped';

const MAX_BOOT_FAILURES_AT_START = 3;

export class WorkerHost {
  private state: HostState = 'starting';
  private settings!: WorkerSettings;
  private keys!: ResqueKeys;
  private redis!: RedisClient;
  /** What children connect with: REDIS_URL, runWorker's `redis`, or the application's connection. */
  private redisOptions: ConnectOptions = {};
  private readonly children = new Set<WorkerChild>();
  private readonly policies: Record<string, JobPolicy> = {};
  private readonly recoveries = new PendingRecoveries(() => this.maybeFinish());
  private liveness: HostLiveness | undefined;
  /** A QUIT/TERM/INT or USR2 that came during start-up, applied once the host runs. */
  private stopRequested: 'draining' | 'stopping' | undefined;
  private pauseRequested = false;
  private readonly startAbort = new AbortController();
  private readonly entry = process.argv[1]!;
  private readonly execArgv = childExecArgv(process.execArgv);
  /** The bundled entry behind a code-cache loader, or the entry as it is (child-bundle.ts). */
  private launch: ChildLaunch = { file: this.entry, env: {}, bundled: false, note: '' };
  private bootFailures = 0;
  private timers: NodeJS.Timeout[] = [];
  private fillTimer: NodeJS.Timeout | undefined;
  private entryMissing = false;
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

  async start(): Promise<void> {
    setTitle(titles.starting());
    const exited = new Promise<void>((resolve) => {
      this.exited = resolve;
    });
    // A missing prom-client is a one-line error before any child boots.
    const prom: Prom | undefined = this.metricsPort === undefined ? undefined : await loadPromClient('METRICS_PORT (the worker host\'s Prometheus metrics)');
    this.launch = await prepareChildLaunch(this.entry, this.execArgv);
    const first = await this.bootFirstChild();
    if (!first) return this.stopDuringStart(exited);
    const { redisUrl: _url, redisCluster: _cluster, ...env } = this.envSettings;
    const redisOptions = chooseHostRedisOptions(this.envRedis, this.options.redis, fromPortable(first.redis));
    this.settings = resolveSettings(first.moduleSettings, this.options.settings, env);
    // On a Redis Cluster the prefix needs a hash tag ({resque} by default): cluster-prefix.ts.
    const explicitPrefix = env.prefix ?? this.options.settings?.prefix ?? first.moduleSettings.prefix;
    const prefix = resolvePrefix(explicitPrefix, redisOptions.cluster !== undefined, env.prefix !== undefined ? 'PREFIX' : 'the prefix');
    if (prefix !== this.settings.prefix) this.settings = { ...this.settings, prefix };
    this.keys = new ResqueKeys(this.settings.prefix);
    let redis: RedisClient | undefined;
    try {
      redis = await connectHostRedis(redisOptions, this.envRedis?.setting ?? 'the ResqueModule connection', {
        windowMs: this.settings.redisStartupTimeout * 1000,
        signal: this.startAbort.signal,
        onWaiting: (reason) => this.log(reason),
      });
    } catch (error) {
      for (const child of this.children) child.kill(undefined);
      throw error;
    }
    if (!redis) return this.stopDuringStart(exited);
    this.redis = redis;
    // Pending recoveries at shutdown are not waited for while Redis is away.
    redis.on('close', () => this.maybeFinish());
    this.redisOptions = redisOptions;
    if (prom && this.metricsPort !== undefined) {
      try {
        this.metrics = await startHostMetricsServer(prom, this.metricsPort, redis, this.keys);
      } catch (error) {
        for (const child of this.children) child.kill(undefined);
        throw new InvalidSettingError('METRICS_PORT', String(this.metricsPort), `cannot be served on 127.0.0.1: ${(error as Error).message}`);
      }
      this.log(`metrics on http://127.0.0.1:${this.metrics.port}/metrics`);
    }
    if (this.settings.pidFile) writeFileSync(this.settings.pidFile, `${process.pid}\n`);
    this.scheduler = startHostScheduler(redis, this.keys, this.settings, (message) => this.log(message));
    const liveness = new HostLiveness({
      redis,
      keys: this.keys,
      settings: this.settings,
      policies: this.policies,
      ownWorkers: () => [...this.children].map((c) => c.workerId).filter((id): id is string => id !== undefined),
      // Its `worker:<id>` ("working on", for resque-web) went with the recovery: the child writes it again.
      onRegisteredAgain: (id) => {
        this.log(`worker ${id} registered again (a recovery had taken it for dead while this host was cut off)`);
        for (const child of this.children) if (child.workerId === id) child.send({ type: 'registered-again' });
      },
      log: (message) => this.log(message),
    });
    this.liveness = liveness;
    this.state = 'running';
    this.timers.push(setInterval(() => void liveness.beat(), this.settings.heartbeatInterval * 1000));
    this.timers.push(setInterval(() => {
      const now = Date.now();
      for (const child of this.children) child.enforceDeadlines(now);
    }, 100));
    this.recoveries.track(liveness.recoverDeadLocalWorkers().catch((error: Error) => this.log(`recovering dead local workers failed: ${error.message}`)));
    const how = this.launch.bundled ? `bundled entry, ${this.launch.note}` : `unbundled: ${this.launch.note}`;
    this.log(`started: ${this.describe()}; a child boots in ${first.bootMs} ms (${how})`);
    if (this.stopRequested) {
      this.shutdown(this.stopRequested); // a QUIT/TERM that came while Redis was reached
    } else {
      for (const child of this.children) if (child.state === 'spare') this.place(child);
      this.fill();
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
      if (this.launchMissing()) throw new ChildBootError(`the worker entry ${this.launch.file} does not exist: build the application first`);
      const child = this.forkChild();
      const ready = await new Promise<ReadyMessage | undefined>((resolve) => {
        this.firstReady = resolve;
        child.process.once('exit', () => resolve(undefined));
        this.startAbort.signal.addEventListener('abort', () => resolve(undefined), { once: true });
      });
      this.firstReady = undefined;
      if (this.stopRequested) return undefined;
      if (ready) return ready;
      if (this.launch.bundled) {
        // Whatever in the bundle broke the boot, the entry as it is may not: try it before giving up.
        this.log('the bundled child failed to boot; forking the unbundled entry instead (RESQUE_BUNDLE=0 skips bundling)');
        this.launch = { file: this.entry, env: {}, bundled: false, note: 'the bundled child failed to boot' };
        attempt--;
        continue;
      }
      if (attempt >= MAX_BOOT_FAILURES_AT_START) {
        throw new ChildBootError(`the worker child failed to boot ${attempt} times (exit code ${child.process.exitCode ?? child.process.signalCode}); see its error above`);
      }
    }
  }

  /** Says once that the launch file is gone (missing-launch-file.ts); true while it is. */
  private launchMissing(): boolean {
    const missing = missingLaunchFile(this.launch);
    if (missing !== undefined && !this.entryMissing) this.log(missingLaunchMessage(missing));
    this.entryMissing = missing !== undefined;
    return this.entryMissing;
  }

  private forkChild(): WorkerChild {
    const child = WorkerChild.fork(this.launch.file, this.execArgv, (c, m) => this.onMessage(c, m), { ...childMemoryEnv(), ...this.launch.env });
    this.children.add(child);
    child.process.once('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  private onMessage(child: WorkerChild, message: ChildMessage): void {
    switch (message.type) {
      case 'ready':
        child.ready = message;
        child.state = 'spare';
        Object.assign(this.policies, message.jobs);
        this.bootFailures = 0;
        if (this.state === 'starting') this.firstReady?.(message);
        else this.place(child);
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
        if (this.state === 'running' || this.state === 'paused') this.replenish();
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
    if (this.fillTimer) clearTimeout(this.fillTimer);
    for (const other of this.children) {
      if (other.state === 'working' || other.state === 'finishing') continue;
      if (other.held) other.send({ type: 'drain' });
      else other.kill(undefined);
    }
    this.updateTitle();
    this.maybeFinish();
  }

  /** A ready child either starts working, stays as a warm spare, or is not needed. */
  private place(child: WorkerChild): void {
    if (this.state === 'draining' || this.state === 'stopping' || this.state === 'stopped') {
      if (child.held) child.send({ type: 'drain' });
      else child.kill(undefined);
      return;
    }
    if (this.working().length < this.settings.count) {
      child.state = 'working';
      if (child.held) child.send({ type: 'go' });
      else this.sendStart(child, false);
      if (this.state === 'paused') child.send({ type: 'pause' });
      this.updateTitle();
      this.fill();
    } else if (this.settings.forkPerJob && this.spares().length <= this.settings.spares) {
      // A warm spare: connected and registered now, so taking a job later costs a round trip.
      if (!child.held) this.sendStart(child, true);
    } else {
      child.kill(undefined);
    }
  }

  private sendStart(child: WorkerChild, hold: boolean): void {
    child.held = hold;
    const maxJobs = this.settings.forkPerJob ? 1 : this.settings.maxJobsPerChild;
    const own = new Set([...this.children].map((c) => c.workerId).filter((id): id is string => id !== undefined));
    // hostname:pid:queues, unless a live worker elsewhere (a container with our hostname and pids) has it: worker-ids.ts.
    const claimed = claimWorkerId({
      redis: this.redis,
      keys: this.keys,
      heartbeatIntervalMs: this.settings.heartbeatInterval * 1000,
      signal: this.startAbort.signal,
      queues: this.settings.queues,
      pid: child.pid,
      hostname: hostname(),
      own,
    });
    void claimed
      .then(async ({ id }) => {
        if (id !== workerId(this.settings.queues, child.pid)) this.log(`worker id ${workerId(this.settings.queues, child.pid)} is in use by a live worker on another host with our hostname; child ${child.pid} registers as ${id}`);
        if (!child.alive) return;
        child.workerId = id;
        // Jobs in flight under this id belong to a dead process whose pid the child now has: settle them first.
        await this.liveness!.recoverPreviousOwner(id);
        child.send({ type: 'start', settings: this.settings, redis: toPortable(this.redisOptions), maxJobs, hold, metrics: this.metrics !== undefined, workerId: id });
      })
      .catch((error: Error) => {
        this.log(`choosing the worker id of child ${child.pid} failed (${error.message}); replacing it`);
        child.kill(undefined);
      });
  }

  /** Spares first (they are ready), then new children for what is still missing. */
  private replenish(): void {
    for (const spare of [...this.children]) if (spare.state === 'spare') this.place(spare);
    this.fill();
  }

  private working(): WorkerChild[] {
    return [...this.children].filter((c) => c.state === 'working');
  }

  private spares(): WorkerChild[] {
    return [...this.children].filter((c) => c.state === 'spare' || c.state === 'booting');
  }

  /** Forks children until COUNT work (plus the warm spares in fork-per-job mode). */
  private fill(): void {
    if (this.state !== 'running' && this.state !== 'paused') return;
    if (this.fillTimer) return;
    const spareTarget = this.settings.forkPerJob ? this.settings.spares : 0;
    const missing = this.settings.count + spareTarget - this.working().length - this.spares().length;
    if (missing <= 0) return;
    const delay = this.bootFailures === 0 ? 0 : Math.min(30_000, 100 * 2 ** this.bootFailures);
    const run = () => {
      this.fillTimer = undefined;
      if (this.state !== 'running' && this.state !== 'paused') return;
      if (this.launchMissing()) {
        this.fillTimer = setTimeout(run, 1_000);
        return;
      }
      const still = this.settings.count + spareTarget - this.working().length - this.spares().length;
      for (let i = 0; i < still; i++) this.forkChild();
    };
    if (delay === 0) run();
    else this.fillTimer = setTimeout(run, delay);
  }

  private onExit(child: WorkerChild, code: number | null, signal: NodeJS.Signals | null): void {
    const wasRegistered = child.workerId !== undefined;
    const wasReady = child.ready !== undefined;
    child.state = 'gone';
    this.children.delete(child);
    const clean = code === 0 && signal === null;
    if (!wasReady && !clean && this.state !== 'stopping' && this.state !== 'draining') this.bootFailures++;
    if (wasRegistered) {
      // Whatever the exit code: a child that exits holding jobs (process.exit(0) inside a job) has
      // them settled now. After a clean exit there is nothing left and this only unregisters it again.
      this.recoveries.track(recoverExitedChild({ redis: this.redis, keys: this.keys, settings: this.settings, policies: this.policies, log: (m) => this.log(m) }, child, code, signal));
    }
    this.updateTitle();
    if (this.state === 'running' || this.state === 'paused') this.replenish();
    this.maybeFinish();
  }

  private killJobs(): void {
    if (this.state !== 'running' && this.state !== 'paused') return;
    this.log('USR1: killing running jobs');
    for (const child of this.working()) child.kill('usr1');
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
    if (this.fillTimer) clearTimeout(this.fillTimer);
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
    else setTitle(titles.forked(this.working().map((c) => c.pid)));
  }

  /** One line per message: text from Redis or a child (worker ids, errors) is escaped. */
  private log(message: string): void {
    console.log(`[resque host ${process.pid}] ${printable(message)}`);
  }
}
