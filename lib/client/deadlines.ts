/**
 * Deadlines for many short operations with one timer: an operation still pending at its deadline
 * is expired. Every operation of one client has the same timeout, so entries arrive in deadline
 * order: they sit in a doubly linked list (finishing one unlinks it: no Set hashing, and its
 * garbage dies young), and the sweep every 25 ms walks from the oldest.
 */
export interface DeadlineEntry {
  readonly deadline: number;
  expire: (() => void) | undefined;
  prev: DeadlineEntry | undefined;
  next: DeadlineEntry | undefined;
}

export class Deadlines {
  private first: DeadlineEntry | undefined;
  private last: DeadlineEntry | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Calls `expire` once `deadline` (epoch ms) passes, unless `remove` came first. */
  add(deadline: number, expire: () => void): DeadlineEntry {
    // Kept in deadline order. Almost always the newest deadline is the latest (same timeout for
    // every call), so this walks nothing; a call that first waited for the connection has an
    // earlier one and goes back a few places.
    let prev = this.last;
    while (prev !== undefined && prev.deadline > deadline) prev = prev.prev;
    const next = prev === undefined ? this.first : prev.next;
    const entry: DeadlineEntry = { deadline, expire, prev, next };
    if (prev) prev.next = entry;
    else this.first = entry;
    if (next) next.prev = entry;
    else this.last = entry;
    this.timer ??= setInterval(() => this.sweep(), 25).unref();
    return entry;
  }

  /** True when the entry was still pending (false: it had expired, or was removed already). */
  remove(entry: DeadlineEntry): boolean {
    if (entry.expire === undefined) return false;
    entry.expire = undefined;
    if (entry.prev) entry.prev.next = entry.next;
    else this.first = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.last = entry.prev;
    entry.prev = entry.next = undefined;
    return true;
  }

  /** `work`'s outcome, or a rejection with `error()` if it is still pending at `deadline`. */
  within<T>(work: Promise<T>, deadline: number, error: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = this.add(deadline, () => reject(error()));
      work.then(
        (value) => {
          if (this.remove(entry)) resolve(value);
        },
        (reason: unknown) => {
          if (this.remove(entry)) reject(reason);
        },
      );
    });
  }

  private sweep(): void {
    const now = Date.now();
    // In deadline order: the first entry not yet due ends the walk.
    while (this.first && this.first.deadline <= now) {
      const entry = this.first;
      const expire = entry.expire!;
      this.remove(entry);
      expire();
    }
    if (!this.first) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
