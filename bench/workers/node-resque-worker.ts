// node-resque worker child.
// Options: { kind: 'worker', workers: K, timeout?: ms }  -> K plain Workers in this process
//          { kind: 'multi', min, max, timeout?: ms }      -> one MultiWorker (min..max task processors)
//          sleepMs?: ms                                   -> each job awaits that long
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { MultiWorker, Worker, type Job } from 'node-resque';
import { runWorkerHarness } from './harness.js';
import type { JobPayload } from '../protocol.js';

runWorkerHarness(async (cfg, hooks) => {
  const connection = { host: cfg.redis.host, port: cfg.redis.port, namespace: 'resque' };
  const timeout = Number(cfg.options.timeout ?? 5000);
  const sleepMs = Number(cfg.options.sleepMs ?? 0);
  const jobs: Record<string, Job<unknown>> = {
    Noop: {
      perform: async (payload: JobPayload) => {
        hooks.performed(payload);
        if (sleepMs > 0) await sleep(sleepMs);
      },
    },
  };

  if (cfg.options.kind === 'multi') {
    const mw = new MultiWorker(
      {
        connection,
        queues: [cfg.queue],
        timeout,
        minTaskProcessors: Number(cfg.options.min ?? 1),
        maxTaskProcessors: Number(cfg.options.max ?? 10),
      },
      jobs,
    );
    mw.on('success', () => hooks.completed());
    mw.on('failure', (_id, _q, _job, failure) => hooks.failed(failure));
    mw.on('error', (error) => hooks.failed(error));
    return {
      start() {
        mw.start();
      },
      async stop() {
        await mw.end();
      },
    };
  }

  const k = Number(cfg.options.workers ?? 1);
  const workers: Worker[] = [];
  for (let i = 0; i < k; i++) {
    const w = new Worker(
      { connection, queues: [cfg.queue], timeout, name: `${os.hostname()}:${process.pid}+${i + 1}` },
      jobs,
    );
    w.on('success', () => hooks.completed());
    w.on('failure', (_q, _job, failure) => hooks.failed(failure));
    w.on('error', (error) => hooks.failed(error));
    await w.connect();
    workers.push(w);
  }
  return {
    async start() {
      await Promise.all(workers.map((w) => w.start()));
    },
    async stop() {
      await Promise.all(workers.map((w) => w.end()));
    },
  };
});
