/**
 * The observing side of events across processes: job outcomes our workers publish (PUBLISH_EVENTS=1,
 * see outcome-publisher.ts), in any process on the same Redis and prefix. No Nest here; JobOutcomes
 * is its injectable face.
 *
 * One subscriber connection, opened on first use (`outcomes$` subscribed or `waitFor` called) and
 * kept until close(). waitFor has no race: it subscribes first, then reads the job's record; the worker
 * writes that record and publishes in one script, so the job's outcome is either already recorded or
 * arrives as a message. After a reconnect (messages may have been missed) every pending waitFor reads
 * its record again.
 */
import type { RedisClient } from '../redis/connection.js';
import { Observable, Subject } from 'rxjs';
import { JobWaitTimeoutError } from '../errors/job-wait-timeout.error.js';
import { decodeOutcome, decodeOutcomes, type JobOutcome } from '../protocol/job-outcome.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { findOutcome } from '../protocol/scripts/publish-outcomes.js';
import { quietly, workerConnection } from '../redis/connection.js';

export interface WaitForOptions {
  /** Milliseconds before waitFor rejects with JobWaitTimeoutError (default 30000). */
  readonly timeout?: number;
  /** Ends the wait early; waitFor then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

interface Waiter {
  readonly resolve: (outcome: JobOutcome) => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class OutcomeSubscriber {
  private readonly subject = new Subject<JobOutcome>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private connection: RedisClient | undefined;
  private subscribed: Promise<void> | undefined;
  private closed = false;

  /** Outcomes of jobs finished by any worker publishing events, from the moment of subscription. */
  readonly outcomes$: Observable<JobOutcome> = new Observable<JobOutcome>((subscriber) => {
    const subscription = this.subject.subscribe(subscriber);
    this.subscribe().catch((error: Error) => subscriber.error(error));
    return subscription;
  });

  /**
   * `reader` answers the record reads (the application's connection); the subscriber is its duplicate.
   * `resultTtlSeconds`: the workers' EVENT_RESULT_TTL, how far back records are looked for.
   */
  constructor(private readonly reader: RedisClient, private readonly keys: ResqueKeys, private readonly resultTtlSeconds: number) {}

  /**
   * Resolves with the job's outcome (completed or failed) once a worker acknowledged it, also when that
   * happened before this call (within EVENT_RESULT_TTL). Rejects with JobWaitTimeoutError after `timeout`.
   */
  waitFor(id: string, options: WaitForOptions = {}): Promise<JobOutcome> {
    const timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
    return new Promise<JobOutcome>((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) return reject(signal.reason);
      let waiters = this.waiters.get(id);
      if (!waiters) this.waiters.set(id, (waiters = new Set()));
      const end = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        waiters.delete(waiter);
        if (waiters.size === 0 && this.waiters.get(id) === waiters) this.waiters.delete(id);
      };
      const waiter: Waiter = {
        resolve: (outcome) => {
          end();
          resolve(outcome);
        },
      };
      const onAbort = () => {
        end();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        end();
        reject(new JobWaitTimeoutError(id, timeoutMs));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
      if (this.closed) {
        end();
        return reject(new Error('JobOutcomes is closed (its module was destroyed)'));
      }
      // Subscribed first, then the record: no outcome falls between the two.
      this.subscribe().then(
        () => this.check(id),
        () => undefined, // the subscriber retries by itself; the timeout ends the wait
      );
    });
  }

  /** Resolves once outcomes reach this process (subscribing now if nothing did yet). */
  ready(): Promise<void> {
    return this.subscribe();
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    this.subject.complete();
    if (connection) await quietly(connection);
  }

  private subscribe(): Promise<void> {
    if (this.subscribed) return this.subscribed;
    if (this.closed) return Promise.reject(new Error('the outcome subscriber is closed'));
    const connection = workerConnection(this.reader, () => undefined);
    this.connection = connection;
    connection.on('message', (channel: string, message: string) => {
      if (channel === this.keys.events) this.deliver(decodeOutcomes(message));
    });
    let first = true;
    connection.on('ready', () => {
      if (first) return void (first = false);
      // Reconnected: outcomes published meanwhile are only in the records. Subscribed again first
      // (ioredis does too, but its SUBSCRIBE might reach Redis after our reads on the other connection).
      connection.subscribe(this.keys.events).then(
        () => {
          for (const id of this.waiters.keys()) void this.check(id);
        },
        () => undefined,
      );
    });
    this.subscribed = connection.subscribe(this.keys.events).then(() => undefined);
    return this.subscribed;
  }

  private async check(id: string): Promise<void> {
    if (!this.waiters.has(id)) return;
    const stored = await findOutcome(this.reader, this.keys, id, this.resultTtlSeconds).catch(() => null);
    const outcome = stored === null ? undefined : decodeOutcome(stored);
    if (outcome && outcome.id === id) this.settle(outcome);
  }

  private deliver(outcomes: readonly JobOutcome[]): void {
    for (const outcome of outcomes) {
      this.settle(outcome);
      this.subject.next(outcome);
    }
  }

  private settle(outcome: JobOutcome): void {
    if (outcome.id === undefined) return;
    const waiters = this.waiters.get(outcome.id);
    if (!waiters) return;
    for (const waiter of [...waiters]) waiter.resolve(outcome);
  }
}
