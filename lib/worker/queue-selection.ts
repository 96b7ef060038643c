/**
 * Which queues a worker's next exchange looks at. The exchange pops queues in priority order and
 * stops once it has its jobs; looking at empty queues is what costs (200 queues, one busy, halved
 * throughput when every exchange tried them all). So the worker keeps:
 *   - the priority list: QUEUE's names, or for `*` the names in `queues`, sorted, re-read about
 *     once a second (names that break the queue-name rule are skipped and reported once);
 *   - the queues the last exchanges found empty, skipped until the next full look;
 *   - the queue that gave the last job: queues after it are not passed while it keeps giving;
 *   - the rate limits (`rate-limits`, re-read with the list) and the queues whose window the last
 *     exchanges found full: those are left out until the window ends (the script said when), so a
 *     limited queue costs no exchanges; the wait for new work ends when the first window does;
 *   - the paused queues (`paused-queues`: CLI `pause <queue>`, QueueService.pauseQueue), re-read
 *     with the list and left out of it: a pause is honoured within ~1 s (running jobs finish).
 *     Ruby's global pause-all-workers is the exchange script's.
 * A full look (every queue, in order) happens about once a second, when a wait for new work
 * ends, when our producers wrote a wake-up meanwhile (the exchange returns the stream's last id),
 * and whenever a partial look comes back short: so a worker is "dry" only after a full look,
 * and `*`'s alphabetical priority holds for our producers' jobs to within one exchange.
 */
import { queueNameProblem } from '../protocol/queue-name.js';
import { decodeRateLimit, type RateLimit } from '../protocol/rate-limit.js';
import type { RateLimitsByQueue, ReservedJob } from '../protocol/scripts/exchange-jobs.js';

export interface QueueSelectionOptions {
  /** QUEUE in priority order, or ['*']. */
  readonly queues: readonly string[];
  /** Reads the `queues` set (for `*`). */
  readonly readAll: () => Promise<string[]>;
  /** Reads the `rate-limits` hash (queue -> stored limit); absent: no limits. */
  readonly readLimits?: () => Promise<Record<string, string>>;
  /** Reads the `paused-queues` set; absent: nothing is paused. */
  readonly readPaused?: () => Promise<string[]>;
  /** A name in `queues` that breaks the queue-name rule: told once per name. */
  readonly onInvalid?: (name: string, problem: string) => void;
  readonly clock?: () => number;
  /** How often the full list is looked at again (and `queues` re-read), ms. */
  readonly refreshMs?: number;
}

export class QueueSelection {
  /** The list a full look passes: the configured one without the paused queues. */
  private all: readonly string[];
  /** QUEUE's names, or the valid names of `queues` for `*`, in priority order. */
  private configured: readonly string[];
  private readonly wildcard: boolean;
  private readonly skipped = new Set<string>();
  private last: string | undefined;
  private refreshedAt = Number.NEGATIVE_INFINITY;
  private passed: readonly string[] = [];
  private partial = false;
  private wakeSeen: string | undefined;
  /** Something that decides the list changed since it was last picked. */
  private changed = true;
  private readonly reported = new Set<string>();
  private limitsByQueue: RateLimitsByQueue = new Map();
  /** Queue -> clock time its full rate-limit window ends. */
  private readonly limitedUntil = new Map<string, number>();
  private readonly clock: () => number;
  private readonly refreshMs: number;

  constructor(private readonly options: QueueSelectionOptions) {
    this.wildcard = options.queues.includes('*');
    this.configured = this.wildcard ? [] : options.queues;
    this.all = this.configured;
    this.clock = options.clock ?? Date.now;
    this.refreshMs = options.refreshMs ?? 1000;
  }

  /** True when some queues are left out: the exchange then returns the wake-up id to compare. */
  get watchingWake(): boolean {
    return this.partial;
  }

  /** Rate limits of the queues, as last read. */
  get limits(): RateLimitsByQueue {
    return this.limitsByQueue;
  }

  /** Clock time the first full rate-limit window ends, or undefined when no queue waits for one. */
  get nextWindow(): number | undefined {
    let first: number | undefined;
    for (const until of this.limitedUntil.values()) if (first === undefined || until < first) first = until;
    return first;
  }

  /** The queues for the next exchange that reserves: a list, or a promise when `queues` or the limits must be read first. */
  next(): readonly string[] | Promise<readonly string[]> {
    const now = this.clock();
    if (this.expireWindows(now)) this.changed = true;
    if (now - this.refreshedAt >= this.refreshMs) {
      this.refreshedAt = now;
      this.reset();
      const { readLimits, readPaused } = this.options;
      if (this.wildcard || readLimits || readPaused) {
        return Promise.all([this.wildcard ? this.options.readAll() : undefined, readLimits?.(), readPaused?.()]).then(
          ([names, limits, paused]) => {
            if (names) this.configured = this.valid(names);
            this.all = paused && paused.length > 0 ? withoutPaused(this.configured, new Set(paused)) : this.configured;
            if (limits) this.updateLimits(parseLimits(limits, this.limitsByQueue));
            return this.pickList();
          },
          (error: unknown) => {
            this.refreshedAt = Number.NEGATIVE_INFINITY; // read again at the next exchange
            throw error;
          },
        );
      }
    }
    return this.pickList();
  }

  /** A queue whose limit was lifted or changed is looked at again (the script tells if it is still full). */
  private updateLimits(limits: RateLimitsByQueue): void {
    if (limits === this.limitsByQueue) return;
    for (const queue of this.limitedUntil.keys()) {
      const now = limits.get(queue);
      const before = this.limitsByQueue.get(queue);
      if (!now || now.max !== before?.max || now.duration !== before.duration) this.limitedUntil.delete(queue);
    }
    this.limitsByQueue = limits;
  }

  /** Forgets windows that have ended; true if any did. */
  private expireWindows(now: number): boolean {
    if (this.limitedUntil.size === 0) return false;
    let ended = false;
    for (const [queue, until] of this.limitedUntil) {
      if (until <= now) {
        this.limitedUntil.delete(queue);
        ended = true;
      }
    }
    return ended;
  }

  private pickList(): readonly string[] {
    if (!this.changed) return this.passed; // the hot path: same queues as last time
    this.changed = false;
    let list = this.pick();
    if (list.length === 0 && this.eligible() > 0) {
      this.reset();
      this.changed = false;
      list = this.pick();
    }
    this.partial = list.length < this.eligible();
    if (!sameList(list, this.passed)) this.passed = list;
    return this.passed;
  }

  /**
   * After an exchange over `passed`: the first `leadingEmpty` were empty, `jobs` came back for
   * `wanted`. Returns true when the queues are dry: a full look found fewer jobs than wanted.
   */
  settle(
    passed: readonly string[],
    leadingEmpty: number,
    jobs: readonly ReservedJob[],
    wanted: number,
    wakeId: string | undefined,
    limited: readonly { readonly queue: string; readonly ms: number }[] = [],
  ): boolean {
    // Partial as of the look: queues found full below were eligible when it was chosen.
    const partial = passed.length < this.eligible();
    if (limited.length > 0) {
      const now = this.clock();
      for (const full of limited) this.limitedUntil.set(full.queue, now + Math.max(1, full.ms));
      this.changed = true;
    }
    for (let i = 0; i < leadingEmpty && i < passed.length; i++) this.skipped.add(passed[i]);
    if (leadingEmpty > 0) this.changed = true;
    if (jobs.length > 0 && jobs[jobs.length - 1].queue !== this.last) {
      this.last = jobs[jobs.length - 1].queue;
      this.changed = true;
    }
    const wokeMeanwhile = wakeId !== undefined && this.wakeSeen !== undefined && wakeId !== this.wakeSeen;
    if (wakeId !== undefined) this.wakeSeen = wakeId;
    if (wokeMeanwhile || (partial && jobs.length < wanted)) {
      this.reset();
      return false;
    }
    return jobs.length < wanted;
  }

  /** The next look is a full one. */
  reset(): void {
    this.skipped.clear();
    this.last = undefined;
    this.changed = true;
  }

  /** How many queues a full look passes: all but those waiting for their rate-limit window. */
  private eligible(): number {
    if (this.limitedUntil.size === 0) return this.all.length;
    let count = 0;
    for (const name of this.all) if (!this.limitedUntil.has(name)) count++;
    return count;
  }

  private pick(): string[] {
    const list: string[] = [];
    for (const name of this.all) {
      if (this.skipped.has(name) || this.limitedUntil.has(name)) continue;
      list.push(name);
      if (name === this.last) break;
    }
    return list;
  }

  private valid(names: string[]): string[] {
    const good: string[] = [];
    for (const name of names) {
      const problem = queueNameProblem(name);
      if (problem === undefined) good.push(name);
      else if (!this.reported.has(name)) {
        this.reported.add(name);
        this.options.onInvalid?.(name, problem);
      }
    }
    // Resque's alphabetical order (code-unit order: byte order for ASCII names).
    return good.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/** The limits read from `rate-limits`; the previous map is kept when nothing changed (the exchange caches its KEYS by it). */
function parseLimits(stored: Record<string, string>, previous: RateLimitsByQueue): RateLimitsByQueue {
  const limits = new Map<string, RateLimit>();
  for (const [queue, value] of Object.entries(stored)) {
    const limit = decodeRateLimit(value);
    if (limit) limits.set(queue, limit);
  }
  if (limits.size === previous.size && [...limits].every(([q, l]) => previous.get(q)?.max === l.max && previous.get(q)?.duration === l.duration)) return previous;
  return limits;
}

function withoutPaused(queues: readonly string[], paused: ReadonlySet<string>): readonly string[] {
  return queues.filter((name) => !paused.has(name));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
