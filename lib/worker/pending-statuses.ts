/**
 * php-resque's `Resque::enqueue(..., true)` RPUSHes the payload first and creates
 * `job:<id>:status` right after, with an unconditional SET of status 1. A worker that takes the job
 * in between finds no key, so its final status would be skipped, or overwritten by that SET. Such
 * jobs (an id, no key, taken from the tail of their queue: exchange.lua's '?') have their final
 * status kept here for a short grace period and re-applied, as SET XX would, if the key appears:
 * checked a few times, each check one batched call that piggybacks nothing on the hot path.
 */
import type { PendingStatus } from '../protocol/scripts/exchange-jobs.js';

/** When each pending status is checked again, ms after its job was acknowledged. */
export const RECHECK_AFTER_MS: readonly number[] = [50, 250, 1_000, 3_000];

interface Entry extends PendingStatus {
  readonly since: number;
  step: number;
}

export class PendingStatuses {
  private entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;

  constructor(
    /** Re-applies these where their key exists now; resolves with the keys written. */
    private readonly recheck: (due: readonly PendingStatus[]) => Promise<readonly string[]>,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  add(statuses: readonly PendingStatus[]): void {
    if (this.closed || statuses.length === 0) return;
    const now = this.clock();
    for (const status of statuses) this.entries.set(status.key, { ...status, since: now, step: 0 });
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.entries.clear();
  }

  private schedule(): void {
    if (this.closed || this.running || this.timer || this.entries.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.entries.values()) next = Math.min(next, entry.since + RECHECK_AFTER_MS[entry.step]);
    this.timer = setTimeout(() => void this.run(), Math.max(0, next - this.clock()));
    this.timer.unref?.();
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    const now = this.clock();
    const due = [...this.entries.values()].filter((entry) => entry.since + RECHECK_AFTER_MS[entry.step] <= now);
    this.running = true;
    try {
      const written = new Set(await this.recheck(due.map(({ key, code }) => ({ key, code }))));
      for (const entry of due) {
        entry.step++;
        if (written.has(entry.key) || entry.step >= RECHECK_AFTER_MS.length) this.entries.delete(entry.key);
      }
    } catch {
      // Redis unreachable: these checks are retried at their next step (or dropped after the last).
      for (const entry of due) if (++entry.step >= RECHECK_AFTER_MS.length) this.entries.delete(entry.key);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
