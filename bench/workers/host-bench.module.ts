// The application the real forked host runs in bench/host-modes.ts: one job that records, when its
// payload carries a send time, how long it waited before perform started.
import { Inject, Module } from '@nestjs/common';
import { Job, RESQUE_REDIS, ResqueModule, type ResqueJob } from '../../lib/index.js';
import type { OwnedRedis } from '../../lib/redis/connection.js';
import { now, type JobPayload } from '../protocol.js';

/** Fork-per-job runs count runs per userId, to check each job ran exactly once. */
const CHECK_RUNS = process.env.BENCH_CHECK_RUNS === '1';

@Job('bench')
export class TimedJob implements ResqueJob<JobPayload> {
  constructor(@Inject(RESQUE_REDIS) private readonly redis: OwnedRedis) {}

  async perform(payload: JobPayload): Promise<void> {
    if (CHECK_RUNS) await this.redis.client.hincrby('bench:runs', String(payload.userId), 1);
    if (typeof payload.t === 'number') await this.redis.client.rpush('bench:waits', String(now() - payload.t));
  }
}

@Module({
  imports: [ResqueModule.forRoot({ connection: process.env.REDIS_URL, prefix: 'resque' })],
  providers: [TimedJob],
})
export class HostBenchModule {}
