import { runWorker } from 'nestjs-resque/worker';

await runWorker({ module: async () => (await import('./app.module.js')).AppModule });
