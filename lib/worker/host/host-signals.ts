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

export function installHostSignals(handlers: HostSignalHandlers): () => void {
  const table: Record<(typeof SIGNALS)[number], () => void> = {
    SIGQUIT: handlers.drain,
    SIGTERM: handlers.stop,
    SIGINT: handlers.stop,
    SIGUSR1: handlers.killJobs,
    SIGUSR2: handlers.pause,
    SIGCONT: handlers.resume,
  };
  for (const signal of SIGNALS) process.on(signal, table[signal]);
  return () => {
    for (const signal of SIGNALS) process.off(signal, table[signal]);
  };
}
