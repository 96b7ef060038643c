/**
 * Enqueue calls made in the same tick (a loop of un-awaited `enqueue`s, a `Promise.all` over
 * many) go to Redis as one script call per queue instead of one call each: the first call of a
 * tick is sent at once, so an awaited one-at-a-time enqueue waits for nothing; the calls after it
 * in that tick are collected and sent together when the tick ends (a microtask). Every job is
 * still SADD + RPUSH (+ status) in one atomic script, in call order; each call resolves with its
 * id when its script call is stored, or rejects with that call's error.
 */
import type { PreparedJob } from './resque-client.js';

interface Waiting {
  readonly jobs: PreparedJob[];
  readonly settle: Array<{ resolve: (id: string) => void; reject: (error: unknown) => void }>;
}

export class EnqueueBatcher {
  private tickOpen = false;
  private readonly waiting = new Map<string, Waiting>();
  private readonly endTick = (): void => this.flush();

  constructor(
    /** Sends one job now; resolves with its id. */
    private readonly sendOne: (queue: string, job: PreparedJob) => Promise<string>,
    /** Sends many jobs of one queue (chunked as it likes). */
    private readonly sendMany: (queue: string, jobs: readonly PreparedJob[]) => Promise<void>,
  ) {}

  enqueue(queue: string, job: PreparedJob): Promise<string> {
    if (!this.tickOpen) {
      this.tickOpen = true;
      queueMicrotask(this.endTick);
      return this.sendOne(queue, job);
    }
    let batch = this.waiting.get(queue);
    if (batch === undefined) {
      batch = { jobs: [], settle: [] };
      this.waiting.set(queue, batch);
    }
    const { jobs, settle } = batch;
    jobs.push(job);
    return new Promise<string>((resolve, reject) => {
      settle.push({ resolve, reject });
    });
  }

  private flush(): void {
    this.tickOpen = false;
    if (this.waiting.size === 0) return;
    for (const [queue, { jobs, settle }] of this.waiting) {
      if (jobs.length === 1) {
        this.sendOne(queue, jobs[0]).then(settle[0].resolve, settle[0].reject);
        continue;
      }
      this.sendMany(queue, jobs).then(
        () => {
          for (let i = 0; i < jobs.length; i++) settle[i].resolve(jobs[i].id);
        },
        (error: unknown) => {
          for (const { reject } of settle) reject(error);
        },
      );
    }
    this.waiting.clear();
  }
}
