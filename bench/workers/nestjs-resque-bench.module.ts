// The benchmark's application for nestjs-resque: one no-op @Job, reporting to the harness.
import { Module } from '@nestjs/common';
import { Job, ResqueModule, type ResqueJob } from '../../lib/index.js';
import type { JobPayload } from '../protocol.js';

/** Set by the worker entry before jobs run. */
export const benchHooks: { performed: (payload: JobPayload) => void } = { performed: () => undefined };

@Job('bench')
export class NoopJob implements ResqueJob<JobPayload> {
  perform(payload: JobPayload): void {
    benchHooks.performed(payload);
  }
}

@Module({
  imports: [ResqueModule.forRoot({ connection: process.env.BENCH_REDIS_URL, prefix: 'resque' })],
  providers: [NoopJob],
})
export class BenchModule {}
