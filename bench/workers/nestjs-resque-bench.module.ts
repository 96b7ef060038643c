// The benchmark's application for nestjs-resque: one @Job, reporting to the harness. A no-op by
// default; with sleepMs it awaits that long (the "jobs that take time" workload: awaited I/O).
import { setTimeout as sleep } from 'node:timers/promises';
import { Module } from '@nestjs/common';
import { Job, ResqueModule, type ResqueJob } from '../../lib/index.js';
import type { JobPayload } from '../protocol.js';

/** Set by the worker entry before jobs run. */
export const benchHooks: { performed: (payload: JobPayload) => void; sleepMs: number } = { performed: () => undefined, sleepMs: 0 };

@Job('bench')
export class NoopJob implements ResqueJob<JobPayload> {
  perform(payload: JobPayload): void | Promise<unknown> {
    benchHooks.performed(payload);
    if (benchHooks.sleepMs > 0) return sleep(benchHooks.sleepMs);
  }
}

@Module({
  imports: [ResqueModule.forRoot({ connection: process.env.BENCH_REDIS_URL, prefix: 'resque' })],
  providers: [NoopJob],
})
export class BenchModule {}
