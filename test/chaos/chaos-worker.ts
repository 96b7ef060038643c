import { runWorker } from '../../lib/worker/index.js';

await runWorker({ module: async () => (await import('./chaos.module.js')).ChaosModule });
