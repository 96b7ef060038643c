/**
 * The worker side of events across processes (PUBLISH_EVENTS=1): once an exchange acknowledged
 * jobs, their outcomes are gathered for at most GATHER_MS and sent in one script call
 * (publish-outcomes.lua) on the worker's own connection, never awaited by the loop. So an observer
 * that hears `job.completed` finds the job counted and its status final, a few ms after the fact,
 * and a busy worker pays one call per ~GATHER_MS, not one per job (see bench/RESULTS.md).
 *
 * Best effort: a publish that fails (Redis unreachable) is reported and dropped; waitFor then
 * times out for those jobs. A retried attempt (outcome 'delayed') is not an outcome: nothing is sent.
 * A job whose process died is failed, and published, by the host that recovers it (recover-jobs.ts).
 * No Nest here: the child's worker assembly uses it.
 */
import type { RedisClient } from '../redis/connection.js';
import { encodeOutcome, failureSummaryOf } from '../protocol/job-outcome.js';
import type { ResqueKeys } from '../protocol/keys.js';
import type { FinishedJob, ReservedJob } from '../protocol/scripts/exchange-jobs.js';
import { publishOutcomes, type EncodedOutcome } from '../protocol/scripts/publish-outcomes.js';

/** Longest an acknowledged outcome waits for company before it is published. */
export const GATHER_MS = 5;
/** A batch this big goes out at once. */
const MAX_BATCH = 500;

interface Started {
  readonly className: string;
  readonly id: string | undefined;
  readonly at: number;
}

export class OutcomePublisher {
  private readonly running = new Map<string, Started>();
  private readonly finished = new Map<string, EncodedOutcome>();
  private batch: EncodedOutcome[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private failing = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ResqueKeys,
    private readonly workerId: string,
    private readonly resultTtlSeconds: number,
    /** Told once per run of failed publishes (until one succeeds again). */
    private readonly onError: (error: Error) => void,
  ) {}

  /** A job started running (its payload decoded). */
  started(job: ReservedJob, className: string, id: string | undefined): void {
    this.running.set(job.token, { className, id, at: performance.now() });
  }

  /** A job ended with `finished`; it is published once acknowledged. */
  ended(job: ReservedJob, finished: FinishedJob): void {
    const start = this.running.get(job.token);
    this.running.delete(job.token);
    if (finished.outcome !== 'ok' && finished.outcome !== 'fail') return;
    const base = {
      queue: job.queue,
      // A payload that did not decode never named a class we could trust, nor an id.
      className: start?.className ?? '',
      id: start?.id,
      workerId: this.workerId,
      durationMs: start ? performance.now() - start.at : 0,
    };
    const record = encodeOutcome(
      finished.outcome === 'ok' ? { type: 'job.completed', ...base } : { type: 'job.failed', ...base, error: failureSummaryOf(finished.record) },
    );
    this.finished.set(job.token, { id: start?.id, record });
  }

  /** The exchange acknowledged `jobs` in Redis: their outcomes go out with the next batch. */
  acknowledged(jobs: readonly FinishedJob[]): void {
    for (const job of jobs) {
      const outcome = this.finished.get(job.token);
      if (outcome === undefined) continue;
      this.finished.delete(job.token);
      this.batch.push(outcome);
    }
    if (this.batch.length >= MAX_BATCH) this.send();
    else if (this.batch.length > 0 && !this.timer) this.timer = setTimeout(() => this.send(), GATHER_MS);
  }

  /** Sends what is gathered and waits for every publish in flight (before the connection closes). */
  async flush(): Promise<void> {
    this.send();
    await Promise.all(this.inFlight);
  }

  private send(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    const sent = publishOutcomes(this.redis, this.keys, batch, this.resultTtlSeconds).then(
      () => {
        this.failing = false;
      },
      (error: Error) => {
        if (!this.failing) this.onError(error);
        this.failing = true;
      },
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }
}
