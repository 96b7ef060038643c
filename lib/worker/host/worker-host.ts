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
 * A working child that exits other than by code 0 (crash, process.exit(1), SIGKILL, out of
 * memory, killed for a timeout) has its in-flight jobs recovered, then is replaced, with
 * backoff when children keep dying before they are ready.
 */
import { hostname } from 'node:os';
import { writeFileSync, rmSync } from 'node:fs';
import type { Redis, RedisOptions } from 'ioredis';
import { resolveSettings, settingsFromEnv, type WorkerSettings } from '../../options/worker-settings.js';
import { ResqueKeys } from '../../protocol/keys.js';
import { heartbeat } from '../../protocol/scripts/heartbeat.js';
import { parseWorkerId, workerId } from '../../protocol/worker-id.js';
import { quietly } from '../../redis/connection.js';
import type { ChildMessage, JobPolicy, ReadyMessage } from '../ipc.js';
import { setTitle, titles } from '../process-title.js';
import type { RunWorkerOptions } from '../run-worker.js';
import { ChildBootError } from '../../errors/child-boot.error.js';
import { ResqueError } from '../../errors/resque.error.js';
import { connectHostRedis, optionsFromUrl } from './host-redis.js';
import { recoverJobs } from './recover-jobs.js';
import { WorkerChild } from './worker-child.js';
import { childExecArgv } from './child-exec-argv.js';
import { DelayedScheduler } from '../../scheduler/scheduler.js';
import { RecurringFirer } from '../../scheduler/recurring-firer.js';

type HostState = 'starting' | 'running' | 'paused' | 'draining' | 'stopping' | 'stopped';

const MAX_BOOT_FAILURES_AT_START = 3;

export async function runHost(options: RunWorkerOptions): Promise<void> {
  try {
    const host = new WorkerHost(options);
    await host.start();
  } catch (error) {
    // Our own errors (a bad setting, an unreachable Redis, a child that cannot boot) are one line.
    if (error instanceof ResqueError) {
      console.error(`resque: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

export class WorkerHost {
  private state: HostState = 'starting';
  private settings!: WorkerSettings;
  private keys!: ResqueKeys;
  private redis!: Redis;
  /** What children connect with: REDIS_URL, runWorker's `redis`, or the application's connection. */
  private redisOptions: RedisOptions = {};
  private readonly children = new Set<WorkerChild>();
  private readonly policies: Record<string, JobPolicy> = {};
  private readonly recoveries = new Set<Promise<unknown>>();
  private readonly entry = process.argv[1];
  private readonly execArgv = childExecArgv(process.execArgv);
  private bootFailures = 0;
  private timers: NodeJS.Timeout[] = [];
  private fillTimer: NodeJS.Timeout | undefined;
  private heartbeatBusy = false;
  private firstReady: ((message: ReadyMessage) => void) | undefined;
  private stopTimer: NodeJS.Timeout | undefined;
  private scheduler: DelayedScheduler | undefined;
  private exited!: () => void;
  private readonly envSettings: ReturnType<typeof settingsFromEnv>;

  constructor(private readonly options: RunWorkerOptions) {
    // Validate the environment before forking anything: a bad QUEUE/COUNT/INTERVAL is a one-line error.
    this.envSettings = settingsFromEnv(process.env);
  }

  async start(): Promise<void> {
    setTitle(titles.starting());
    const first = await this.bootFirstChild();
    const { redisUrl, ...env } = this.envSettings;
    this.settings = resolveSettings(first.moduleSettings, this.options.settings, env);
    this.keys = new ResqueKeys(this.settings.prefix);
    const redisOptions = this.hostRedisOptions(redisUrl, first.redis);
    try {
      this.redis = await connectHostRedis(redisOptions, redisUrl ? 'REDIS_URL' : 'the ResqueModule connection');
    } catch (error) {
      for (const child of this.children) child.kill(undefined);
      throw error;
    }
    this.redisOptions = redisOptions;
    if (this.settings.pidFile) writeFileSync(this.settings.pidFile, `${process.pid}\n`);
    await this.recoverDeadLocalWorkers();
    this.startScheduler();
    this.state = 'running';
    this.installSignals();
    this.timers.push(setInterval(() => void this.beat(), this.settings.heartbeatInterval * 1000));
    this.timers.push(setInterval(() => this.enforceDeadlines(), 100));
    for (const child of this.children) if (child.state === 'spare') this.place(child);
    this.fill();
    this.log(`started: ${this.describe()}; a child boots in ${first.bootMs} ms`);
    await new Promise<void>((resolve) => {
      this.exited = resolve;
    });
  }

  private hostRedisOptions(redisUrl: string | undefined, fromChild: RedisOptions): RedisOptions {
    const explicit = this.options.redis;
    if (redisUrl) return optionsFromUrl(redisUrl);
    if (typeof explicit === 'string') return optionsFromUrl(explicit);
    if (explicit) return explicit;
    return fromChild;
  }

  private describe(): string {
    const s = this.settings;
    const mode = s.forkPerJob ? `a fresh child per job, ${s.spares} spare` : `${s.count} children x ${s.concurrency}`;
    return `queues ${s.queues.join(',')}, ${mode}, ${s.blocking ? 'blocking' : `polling every ${s.interval}s`}, prefix "${s.prefix}"`;
  }

  /** The first child tells us the application's settings and connection; nothing starts before. */
  private async bootFirstChild(): Promise<ReadyMessage> {
    for (let attempt = 1; ; attempt++) {
      const child = this.forkChild();
      const ready = await new Promise<ReadyMessage | undefined>((resolve) => {
        this.firstReady = resolve;
        child.process.once('exit', () => resolve(undefined));
      });
      this.firstReady = undefined;
      if (ready) return ready;
      if (attempt >= MAX_BOOT_FAILURES_AT_START) {
        throw new ChildBootError(`the worker child failed to boot ${attempt} times (exit code ${child.process.exitCode ?? child.process.signalCode}); see its error above`);
      }
    }
  }

  private forkChild(): WorkerChild {
    const child = WorkerChild.fork(this.entry, this.execArgv, (c, m) => this.onMessage(c, m));
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
        child.state = 'finishing';
        this.updateTitle();
        if (this.state === 'running' || this.state === 'paused') this.replenish();
        break;
      case 'fatal':
        this.log(`child ${child.pid} failed: ${message.message}`);
        break;
    }
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
    child.workerId = workerId(this.settings.queues, child.pid);
    child.send({ type: 'start', settings: this.settings, redis: this.redisOptions, maxJobs: this.settings.forkPerJob ? 1 : 0, hold });
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
    if (wasRegistered && (!clean || child.timedOut.size > 0)) {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const why = child.killReason === 'usr1' ? ' (USR1)' : child.killReason === 'shutdown' ? ' (shutdown deadline)' : '';
      this.track(this.recover(child, `Child process ${child.pid} ${how}${why} while processing`));
    }
    this.updateTitle();
    if (this.state === 'running' || this.state === 'paused') this.replenish();
    this.maybeFinish();
  }

  private recover(child: WorkerChild, reason: string): Promise<unknown> {
    const timedOut = new Map<string, number>();
    for (const token of child.timedOut) {
      const job = child.timed.get(token);
      const policy = job ? this.policies[job.className] : undefined;
      timedOut.set(token, policy?.timeoutMs || this.settings.jobTimeout * 1000);
    }
    return recoverJobs(this.redis, this.keys, {
      workerId: child.workerId!,
      reason,
      policies: this.policies,
      timedOut,
      neverRequeue: child.killReason === 'usr1',
      maxCrashRequeues: this.settings.maxCrashRequeues,
    }).then(
      (result) => {
        if (result.requeued + result.failed > 0) this.log(`${reason} ${child.workerId}: ${result.requeued} job(s) requeued, ${result.failed} failed`);
      },
      (error: Error) => this.log(`recovering ${child.workerId} failed: ${error.message}`),
    );
  }

  private track(work: Promise<unknown>): void {
    this.recoveries.add(work);
    void work.finally(() => {
      this.recoveries.delete(work);
      this.maybeFinish();
    });
  }

  private enforceDeadlines(): void {
    const now = Date.now();
    for (const child of this.children) {
      for (const [token, job] of child.timed) {
        if (job.deadline <= now && !child.timedOut.has(token)) {
          child.timedOut.add(token);
          child.kill('timeout');
        }
      }
    }
  }

  /** Heartbeats for our workers; any worker anywhere whose heartbeat went stale is recovered here. */
  private async beat(): Promise<void> {
    if (this.heartbeatBusy || !this.redis) return;
    this.heartbeatBusy = true;
    try {
      const ids = [...this.children].map((c) => c.workerId).filter((id): id is string => id !== undefined);
      const stale = await heartbeat(this.redis, this.keys, ids, this.settings.deadAfter * 1000);
      const ours = new Set(ids);
      for (const id of stale) if (!ours.has(id)) await this.recoverDead(id, `Worker ${id} stopped sending heartbeats`);
    } catch (error) {
      this.log(`heartbeat failed: ${(error as Error).message}`);
    } finally {
      this.heartbeatBusy = false;
    }
  }

  /** At start: workers of this host whose process is gone (a host killed with its children). */
  private async recoverDeadLocalWorkers(): Promise<void> {
    const ids = await this.redis.zrange(this.keys.alive, '0', '-1');
    const here = hostname();
    for (const id of ids) {
      const parts = parseWorkerId(id);
      if (parts && parts.host === here && parts.pid !== process.pid && !processExists(parts.pid)) {
        await this.recoverDead(id, `Worker ${id} is gone (its process no longer exists)`);
      }
    }
  }

  private async recoverDead(id: string, reason: string): Promise<void> {
    // One recoverer per dead worker; the script is exactly-once anyway, the lock saves the work.
    const locked = await this.redis.set(this.keys.recovering(id), `${hostname()}:${process.pid}`, 'EX', 60, 'NX');
    if (locked !== 'OK') return;
    const result = await recoverJobs(this.redis, this.keys, {
      workerId: id,
      reason,
      policies: this.policies,
      maxCrashRequeues: this.settings.maxCrashRequeues,
    });
    this.log(`recovered dead worker ${id}: ${result.requeued} requeued, ${result.failed} failed`);
  }

  private installSignals(): void {
    process.on('SIGQUIT', () => this.shutdown('draining'));
    process.on('SIGTERM', () => this.shutdown('stopping'));
    process.on('SIGINT', () => this.shutdown('stopping'));
    process.on('SIGUSR1', () => {
      this.log('USR1: killing running jobs');
      for (const child of this.working()) child.kill('usr1');
    });
    process.on('SIGUSR2', () => {
      if (this.state !== 'running') return;
      this.state = 'paused';
      for (const child of this.children) child.send({ type: 'pause' });
      this.log('USR2: paused');
      this.updateTitle();
    });
    process.on('SIGCONT', () => {
      if (this.state !== 'paused') return;
      this.state = 'running';
      for (const child of this.children) child.send({ type: 'resume' });
      this.log('CONT: resumed');
      this.updateTitle();
    });
  }

  private shutdown(next: 'draining' | 'stopping'): void {
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
    if (this.children.size > 0 || this.recoveries.size > 0) return;
    this.state = 'stopped';
    if (this.stopTimer) clearTimeout(this.stopTimer);
    for (const timer of this.timers) clearInterval(timer);
    if (this.settings.pidFile) rmSync(this.settings.pidFile, { force: true });
    void (this.scheduler?.stop() ?? Promise.resolve()).then(() => quietly(this.redis)).finally(() => {
      this.log('stopped');
      this.exited();
      process.exit(0);
    });
  }

  /** Delayed jobs: every host runs a scheduler; one leads (lib/scheduler/scheduler.ts). */
  private startScheduler(): void {
    if (!this.settings.scheduler) return;
    this.scheduler = new DelayedScheduler({
      redis: this.redis,
      keys: this.keys,
      name: `${hostname()}:${process.pid}`,
      onLeadership: (leader) => this.log(leader ? 'scheduler: leading (promotes delayed jobs)' : 'scheduler: following'),
      onPromoted: (moved, failed) => {
        if (this.settings.verbose) this.log(`scheduler: ${moved} delayed job(s) queued${failed > 0 ? `, ${failed} invalid item(s) failed` : ''}`);
      },
      onError: (error) => this.log(`scheduler: ${error.message}`),
      recurring: new RecurringFirer({ redis: this.redis, keys: this.keys, onError: (error) => this.log(`scheduler: ${error.message}`) }),
    });
    this.scheduler.start();
  }

  private updateTitle(): void {
    if (this.state === 'paused') setTitle(titles.paused());
    else if (this.state === 'draining' || this.state === 'stopping') setTitle(titles.shuttingDown());
    else setTitle(titles.forked(this.working().map((c) => c.pid)));
  }

  private log(message: string): void {
    console.log(`[resque host ${process.pid}] ${message}`);
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
