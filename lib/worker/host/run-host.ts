/** The host's entry (runWorker outside a child): our own errors at start are one line and exit 1. */
import { ResqueError } from '../../errors/resque.error.js';
import { printable } from '../../protocol/printable.js';
import type { RunWorkerOptions } from '../run-worker.js';
import { WorkerHost } from './worker-host.js';

export async function runHost(options: RunWorkerOptions): Promise<void> {
  try {
    const host = new WorkerHost(options);
    await host.start();
  } catch (error) {
    // Our own errors (a bad setting, an unreachable Redis, a child that cannot boot) are one line.
    if (error instanceof ResqueError) {
      console.error(`resque: ${printable(error.message)}`);
      process.exit(1);
    }
    throw error;
  }
}
