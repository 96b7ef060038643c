// The real forked host (runWorker), as `nest start worker` runs it, with the bench application.
import { runWorker } from '../../lib/worker/index.js';

await runWorker({ module: async () => (await import('./host-bench.module.js')).HostBenchModule });
