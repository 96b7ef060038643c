/**
 * The host's signal handlers, installed before anything else happens (before the first child
 * boots, before Redis is reached): a QUIT or TERM that arrives during start-up must drain the host
 * like any other, not kill it with the default action (exit by signal).
 */
export interface HostSignalHandlers {
  /** QUIT: finish running jobs, then exit 0. */
  readonly drain: () => void;
  /** TERM/INT: finish within SHUTDOWN_TIMEOUT, then kill. */
  readonly stop: () => void;
  /** USR1: kill the running jobs' children. */
  readonly killJobs: () => void;
  /** USR2 / CONT. */
  readonly pause: () => void;
  readonly resume: () => void;
}

const SIGNALS = ['SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGCONT'] as const;

type HostSignal = (typeof SIGNALS)[number];

/** Signals that arrived before the host's handlers, in order. */
const early: HostSignal[] = [];
const recorders = new Map<HostSignal, () => void>();

/**
 * Called by runWorker before it loads the host: from then on a signal is kept and handled once the
 * host installs its handlers, instead of killing the process (QUIT's default action is exit 131).
 */
export function holdSignalsUntilHostStarts(): void {
  for (const signal of SIGNALS) {
    if (recorders.has(signal)) continue;
    const record = () => early.push(signal);
    recorders.set(signal, record);
    process.on(signal, record);
  }
}

export function installHostSignals(handlers: HostSignalHandlers): () => void {
  const table: Record<HostSignal, () => void> = {
    SIGQUIT: handlers.drain,
    SIGTERM: handlers.stop,
    SIGINT: handlers.stop,
    SIGUSR1: handlers.killJobs,
    SIGUSR2: handlers.pause,
    SIGCONT: handlers.resume,
  };
  for (const signal of SIGNALS) process.on(signal, table[signal]);
  for (const [signal, record] of recorders) process.off(signal, record);
  recorders.clear();
  for (const signal of early.splice(0)) table[signal]();
  return () => {
    for (const signal of SIGNALS) process.off(signal, table[signal]);
  };
}
