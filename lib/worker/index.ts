// The worker entry's API (`nestjs-resque/worker`). Importing it loads no Nest code: the host stays small.
export { runWorker, type RunWorkerOptions } from './run-worker.js';
export type { WorkerSettings } from '../options/worker-settings.js';
export { DEFAULT_WORKER_SETTINGS } from '../options/worker-settings.js';
