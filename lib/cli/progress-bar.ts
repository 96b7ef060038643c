/**
 * A one-line progress bar for bulk operations, on stderr and only on a TTY (the caller decides:
 * never with --json, never when stderr is a file or a pipe). Redrawn at most every 100 ms.
 */
export interface ProgressBar {
  update(done: number, total: number): void;
  /** The last state, then a newline. */
  end(): void;
}

const WIDTH = 30;
const EVERY_MS = 100;

export function progressBar(write: (text: string) => void, label: string, now: () => number = Date.now): ProgressBar {
  let last = Number.NEGATIVE_INFINITY;
  let state: [number, number] | undefined;
  const draw = () => {
    if (!state) return;
    const [done, total] = state;
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * WIDTH);
    write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${Math.floor(ratio * 100)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`);
  };
  return {
    update(done, total) {
      state = [done, total];
      const t = now();
      if (t - last < EVERY_MS) return;
      last = t;
      draw();
    },
    end() {
      if (!state) return;
      draw();
      write('\n');
    },
  };
}

/** No bar: for --json and for output that is not a terminal. */
export const NO_PROGRESS: ProgressBar = { update: () => undefined, end: () => undefined };
