// `nest start worker` / `npm run start:worker`: QUEUE, COUNT, INTERVAL, BLOCKING... as in php-resque.
import { runWorker } from '../lib/worker/index.js';

await runWorker({ module: async () => (await import('./app.module.js')).AppModule });
