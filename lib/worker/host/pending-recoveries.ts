/**
 * Recoveries the host has started (of children that died, of dead local workers) and not seen end.
 * At shutdown the host waits for them only while they can run: with Redis unreachable they cannot,
 * and their jobs simply stay in flight for the next host on this machine, or for any host once the
 * heartbeats are stale.
 */

/** Once its children are gone at shutdown, how long the host still waits for recoveries (Redis up). */
const GRACE_MS = 3_000;

export class PendingRecoveries {
  private readonly pending = new Set<Promise<unknown>>();
  private grace: NodeJS.Timeout | undefined;
  private graceOver = false;

  /** `changed`: a recovery ended, or the grace ran out. */
  constructor(private readonly changed: () => void) {}

  get size(): number {
    return this.pending.size;
  }

  track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => {
      this.pending.delete(work);
      this.changed();
    });
  }

  /** True when the host need not wait any longer: nothing pending, Redis away, or the grace is over. */
  mayLeave(redisReachable: boolean): boolean {
    if (this.pending.size === 0 || !redisReachable || this.graceOver) return true;
    this.grace ??= setTimeout(() => {
      this.graceOver = true;
      this.changed();
    }, GRACE_MS);
    return false;
  }

  stop(): void {
    if (this.grace) clearTimeout(this.grace);
  }
}
