/**
 * The worker loop: reserve jobs, perform them, acknowledge them. It knows nothing of Nest or of
 * processes; its Redis work and the job itself are passed in, so it can be tested alone.
 *
 * States:
 *   running   takes jobs while fewer than `concurrency` run (and `maxJobs` is not reached)
 *   paused    (pause()) takes nothing; running jobs finish and are acknowledged; resume() goes back
 *   draining  (stop()) takes nothing more; waits for running jobs, flushes acknowledgements
 *   stopped   run() has resolved; nothing of this worker is in flight
 *
 * INTERVAL 0 is php-resque's drain-and-exit: the loop never waits for new work; once an exchange
 * finds the queues empty and no job runs, run() resolves with `drained` set (a job finishing
 * looks at the queues again, so jobs that running jobs enqueue are taken too).
 *
 * One round trip per wake-up: finished jobs are acknowledged and new ones reserved in the same
 * exchange, so at concurrency 1 a job costs one round trip, and under load several jobs share it.
 * If Redis is unreachable, the exchange is retried with backoff; acknowledgements are kept and
 * re-sent (finishing is idempotent: a job is counted only while still in flight).
 *
 * Prefetch (PREFETCH jobs beyond `concurrency`, while jobs are short): the next jobs are reserved
 * while the current ones run, and refilled when half are gone, so the round trip overlaps the jobs.
 * Each start is recorded in Redis before the job runs (`markStarted`), so a crash gives the
 * reserved-only jobs back to their queues instead of failing them. A prefetched job waits at most
 * PREFETCH_HOLD_MS for a slot: when no slot frees in that time (a long job), the waiting jobs go
 * back, and the loop reserves only for free slots until a job again finishes within SHORT_JOB_MS.
 *
 * Waiting is separate from acknowledging. Once an exchange finds fewer jobs than it asked for, the
 * free slots wait for new work (`waitForJobs`: blocking on its own connection, or sleeping) in the
 * background, while the loop itself sleeps until something happens: a job finishes (its
 * acknowledgement goes out at once, in an exchange that reserves nothing), the wait ends (queues are
 * tried again), or pause/resume/stop. So a finished job never waits for the wait, and free slots
 * beside running jobs cost nothing while the queues are empty.
 */
import type { FinishedJob, ReservedJob } from '../protocol/scripts/exchange-jobs.js';

export interface Exchanged {
  readonly jobs: ReservedJob[];
  readonly dry: boolean;
}

export interface WorkerOperations {
  /**
   * Acknowledges `done` and reserves up to `max` jobs (max may be 0), atomically per step, in one
   * round trip. `dry`: the queues were all looked at and held fewer than `max` jobs.
   */
  exchange(done: readonly FinishedJob[], max: number): Promise<Exchanged>;
  /** Resolves when a job may be waiting or after `seconds`; `abort` ends the wait early. */
  waitForJobs(seconds: number, abort: AbortSignal): Promise<void>;
  /** Puts back jobs this worker holds in flight but does not know about (reply lost to a disconnect). */
  reconcile(known: ReadonlySet<string>): Promise<void>;
  /** True once after the connection came back: replies may have been lost, so reconcile. */
  takeReconnected(): boolean;
  /**
   * With prefetch: records that the job starts, before it runs. undefined: recorded (on its way to
   * Redis ahead of anything a crash can cause); a promise: the job runs once it resolves, and is
   * left to `reconcile` (never run) if it rejects.
   */
  markStarted?(token: string): Promise<unknown> | undefined;
  /**
   * True once the operations were closed (their connection is gone for good): a failed exchange is
   * then not retried, the loop ends with what it still held left in flight for recovery.
   */
  readonly closed?: boolean;
}

/** Runs one job to an acknowledgement. It never rejects: failures become a 'fail' FinishedJob. */
export type Perform = (job: ReservedJob) => Promise<FinishedJob>;

export interface WorkerLoopOptions {
  readonly concurrency: number;
  /** Stop after this many jobs; 0 = never. */
  readonly maxJobs: number;
  /** Seconds to wait when no job is queued. */
  readonly interval: number;
  /**
   * Jobs reserved beyond `concurrency` while jobs are short, started the moment a slot frees (no
   * round trip between two jobs). They are in flight in Redis: stop/pause, a long job (see above)
   * and a crash give them back to the front of their queues.
   */
  readonly prefetch?: number;
  /** PREFETCH_HOLD_MS unless given (tests). */
  readonly prefetchHoldMs?: number;
  /** Called when an exchange with Redis fails; the loop retries by itself. */
  readonly onError?: (error: Error) => void;
  /** Called when the loop goes idle (true) or busy (false), for process titles. */
  readonly onIdle?: (idle: boolean) => void;
  /** Called after jobs were acknowledged in Redis. */
  readonly onFinished?: (jobs: readonly FinishedJob[]) => void;
}

const MAX_BACKOFF_MS = 5_000;
/** Longest a prefetched job waits for a slot before it goes back to its queue. */
export const PREFETCH_HOLD_MS = 100;
/** Jobs are reserved ahead only while the last one finished within this time. */
export const SHORT_JOB_MS = 10;

export class WorkerLoop {
  private state: 'running' | 'paused' | 'draining' | 'stopped' = 'running';
  private readonly active = new Set<string>();
  /** Reserved (in flight in Redis) but not started: the prefetch. */
  private ready: ReservedJob[] = [];
  private done: FinishedJob[] = [];
  private started = 0;
  /** False once an exchange found fewer jobs than it asked for, until the wait for new work ends. */
  private mayHaveJobs = true;
  private waiting: AbortController | undefined;
  private wake: (() => void) | undefined;
  private failures = 0;
  private drainedOut = false;
  /** The last job finished within SHORT_JOB_MS: prefetch is worth it (unknown at first: no). */
  private shortJobs = false;
  private lastStartAt = 0;
  private holdTimer: NodeJS.Timeout | undefined;
  private holdExpired = false;
  /** Tokens of finished jobs whose acknowledgement went out ahead of a start (see start()), until Redis confirms it. */
  private readonly acking = new Set<string>();

  constructor(
    private readonly ops: WorkerOperations,
    private readonly perform: Perform,
    private readonly options: WorkerLoopOptions,
  ) {}

  get running(): number {
    return this.active.size;
  }

  /** True once run() ended because the queues were empty with INTERVAL 0 (drain-and-exit). */
  get drained(): boolean {
    return this.drainedOut;
  }

  private get drainMode(): boolean {
    return this.options.interval === 0;
  }

  /** Stops taking jobs; run() resolves once running jobs are acknowledged. */
  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'draining';
    this.interrupt();
  }

  pause(): void {
    if (this.state === 'running') this.state = 'paused';
    this.interrupt();
  }

  resume(): void {
    if (this.state === 'paused') {
      this.state = 'running';
      this.mayHaveJobs = true;
    }
    this.interrupt();
  }

  async run(): Promise<void> {
    let idle = false;
    const setIdle = (value: boolean) => {
      if (value !== idle) {
        idle = value;
        this.options.onIdle?.(value);
      }
    };
    setIdle(true);
    while (this.state !== 'stopped') {
      const taking = this.state === 'running' && !this.quotaReached();
      if (taking) this.startReady();
      if ((!taking || this.holdExpired) && this.ready.length > 0) this.giveBack();
      this.holdExpired = false;
      if (this.ready.length > 0 && this.active.size >= this.options.concurrency) this.armHold();
      if (this.active.size > 0) setIdle(false);
      // Never below 0: with prefetch turned off by a long job, the jobs still reserved exceed the slots.
      const free = taking ? Math.max(0, this.room()) : 0;
      const wanted = this.mayHaveJobs ? free : 0;
      if (!taking || free <= 0) this.stopWaiting();
      // With prefetch, refill once half the reserve is gone: the round trip overlaps the jobs left.
      const reserving = wanted > 0 && this.ready.length <= this.lowWater();
      if (!reserving && this.done.length === 0) {
        const settled = this.active.size === 0 && this.acking.size === 0;
        if (settled && (this.state === 'draining' || this.quotaReached())) break;
        if (settled && taking && this.drainMode) {
          this.drainedOut = true;
          break;
        }
        if (this.active.size === 0) setIdle(true);
        if (free > 0 && !this.drainMode) this.startWaiting();
        await this.nextWake();
        continue;
      }
      const done = this.done;
      this.done = [];
      let jobs: ReservedJob[];
      try {
        // Known = running, reserved ahead (prefetch), and finished but not yet acknowledged: all still
        // in flight in Redis. Only what none of these holds was lost with a reply.
        if (this.ops.takeReconnected()) {
          await this.ops.reconcile(new Set([...this.active, ...this.ready.map((job) => job.token), ...done.map((job) => job.token), ...this.acking]));
          this.mayHaveJobs = true; // wake-ups may have been missed while disconnected
        }
        const reply = await this.ops.exchange(done, wanted);
        jobs = reply.jobs;
        if (reply.dry) this.mayHaveJobs = false;
        this.failures = 0;
        const finished = done.filter((job) => job.outcome !== 'return');
        if (finished.length > 0) this.options.onFinished?.(finished);
      } catch (error) {
        this.done = done.concat(this.done);
        if (this.ops.closed) break; // nothing will ever reach Redis again: retrying would run forever
        await this.backoff(error as Error);
        continue;
      }
      this.ready.push(...jobs);
    }
    this.stopWaiting();
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.state = 'stopped';
  }

  private quotaReached(): boolean {
    return this.options.maxJobs > 0 && this.started >= this.options.maxJobs;
  }

  /** Jobs the next exchange may reserve: free slots plus the prefetch, within the job quota. */
  private room(): number {
    const held = this.active.size + this.ready.length;
    let room = this.options.concurrency + this.prefetch() - held;
    if (this.options.maxJobs > 0) room = Math.min(room, this.options.maxJobs - this.started - this.ready.length);
    return room;
  }

  private prefetch(): number {
    return this.shortJobs ? (this.options.prefetch ?? 0) : 0;
  }

  private lowWater(): number {
    return Math.floor(this.prefetch() / 2);
  }

  /** Reserved jobs start as slots free up: the next job starts while its predecessor's acknowledgement is on the wire. */
  private startReady(): void {
    while (this.ready.length > 0 && this.active.size < this.options.concurrency && !this.quotaReached()) {
      this.start(this.ready.shift()!);
    }
  }

  /** Paused, stopping or at the quota: reserved jobs that never started go back to the front of their queues, in order. */
  private giveBack(): void {
    for (const job of this.ready.reverse()) this.done.push({ token: job.token, outcome: 'return', statusKey: job.statusKey });
    this.ready = [];
  }

  private start(job: ReservedJob): void {
    this.started++;
    this.active.add(job.token);
    const startedAt = performance.now();
    this.lastStartAt = startedAt;
    // With prefetch, a job can start while the jobs before it are finished but not acknowledged:
    // their acknowledgement goes out first, on the same connection, so a crash of this job can
    // never fail a job that completed (recovery would see it in flight at or below the mark).
    if (this.options.prefetch && this.done.length > 0) this.acknowledgeNow();
    const marking = this.options.prefetch ? this.ops.markStarted?.(job.token) : undefined;
    const performed = marking === undefined ? this.perform(job) : marking.then(() => this.perform(job), (error: Error) => this.forget(job, error));
    void performed.then((finished) => {
      if (finished === undefined) return;
      this.shortJobs = performance.now() - startedAt < SHORT_JOB_MS;
      this.active.delete(job.token);
      this.done.push(finished);
      if (this.drainMode) this.mayHaveJobs = true;
      this.startReady(); // at once, not after the acknowledgement's round trip
      this.interrupt();
    });
  }

  /** Sends the finished jobs' acknowledgement at once, beside the loop's own exchange (none reserved); on failure they wait for the next exchange. */
  private acknowledgeNow(): void {
    const batch = this.done;
    this.done = [];
    for (const job of batch) this.acking.add(job.token);
    this.ops.exchange(batch, 0).then(
      () => {
        const finished = batch.filter((job) => job.outcome !== 'return');
        if (finished.length > 0) this.options.onFinished?.(finished);
      },
      (error: Error) => {
        this.done = batch.concat(this.done);
        this.options.onError?.(error);
      },
    ).finally(() => {
      for (const job of batch) this.acking.delete(job.token);
      this.interrupt();
    });
  }

  /** Its start could not be recorded (Redis unreachable): never run, it stays in flight for `reconcile` to put back. */
  private forget(job: ReservedJob, error: Error): undefined {
    this.active.delete(job.token);
    this.options.onError?.(error);
    this.interrupt();
    return undefined;
  }

  /** Prefetched jobs wait for a slot; if none has freed within PREFETCH_HOLD_MS, they go back. */
  private armHold(): void {
    if (this.holdTimer) return;
    const hold = this.options.prefetchHoldMs ?? PREFETCH_HOLD_MS;
    const left = hold - (performance.now() - this.lastStartAt);
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      if (this.ready.length === 0 || this.active.size < this.options.concurrency) return;
      if (performance.now() - this.lastStartAt < hold) return this.armHold();
      this.shortJobs = false;
      this.holdExpired = true;
      this.interrupt();
    }, Math.max(1, left));
    this.holdTimer.unref(); // the loop's connections and jobs keep a process alive, not this timer
  }

  /** Waits for a job to finish, the wait for new work to end, or pause/resume/stop. */
  private nextWake(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** Starts waiting for new jobs in the background (blocking on Redis or sleeping, as the operations decide). */
  private startWaiting(): void {
    if (this.waiting) return;
    const abort = new AbortController();
    this.waiting = abort;
    const ended = () => {
      if (this.waiting !== abort) return;
      this.waiting = undefined;
      this.mayHaveJobs = true;
      this.interrupt();
    };
    this.ops.waitForJobs(this.options.interval, abort.signal).then(ended, (error: Error) => {
      if (abort.signal.aborted) return;
      // A wait that failed (Redis unreachable) ends after a pause, never in a tight loop.
      this.options.onError?.(error);
      setTimeout(ended, Math.min(MAX_BACKOFF_MS, Math.max(100, this.options.interval * 1000)));
    });
  }

  private stopWaiting(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.abort();
  }

  private interrupt(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async backoff(error: Error): Promise<void> {
    this.failures++;
    this.options.onError?.(error);
    const delay = Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(this.failures, 10));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
