/**
 * The one-line bootstrap of a worker entry file:
 *
 *   await runWorker({ module: async () => (await import('./app.module.js')).AppModule });
 *
 * Run as `nest start worker`, the file becomes the host: it forks itself as children. A child
 * (marked by an environment variable) boots the Nest module and runs jobs. The host never loads
 * Nest or the application, so it stays small and starts at once.
 */
import type { ConnectOptions } from '../redis/connection.js';
import type { WorkerSettings } from '../options/worker-settings.js';
import type { AppModuleLoader } from './child/run-child.js';
import { holdSignalsUntilHostStarts } from './host/host-signals.js';
import { CHILD_ENV } from './ipc.js';

export interface RunWorkerOptions {
  /** Loads the application module whose @Job providers run the jobs (imported in children only). */
  readonly module: AppModuleLoader;
  /** Settings under the environment's (QUEUE, COUNT...): environment > these > ResqueModule's `worker`. */
  readonly settings?: Partial<WorkerSettings>;
  /** The host's Redis; by default REDIS_URL, else the connection the application module configured. */
  readonly redis?: string | ConnectOptions;
}

export async function runWorker(options: RunWorkerOptions): Promise<void> {
  if (process.env[CHILD_ENV] === '1') {
    const { runChild } = await import('./child/run-child.js');
    return runChild(options.module);
  }
  // Before anything is loaded: a QUIT or TERM from now on is handled by the host once it runs.
  holdSignalsUntilHostStarts();
  const { runHost } = await import('./host/run-host.js');
  return runHost(options);
}
