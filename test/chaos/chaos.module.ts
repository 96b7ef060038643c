/**
 * The chaos suite's application: two job classes on queue `chaos`, one put back after a crash
 * (retryOnCrash) and one failed after a crash, both recording each completion in Redis through
 * their own connection, which waits out Redis restarts instead of failing.
 */
import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Job, ResqueModule, type ResqueJob } from '../../lib/index.js';

export interface ChaosData {
  readonly n: number;
  /** Milliseconds of pretend work, so kills often land while jobs are in flight. */
  readonly ms: number;
}

@Injectable()
export class ChaosLedger implements OnApplicationShutdown {
  private readonly redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  private readonly prefix = process.env.PREFIX!;

  constructor() {
    this.redis.on('error', () => undefined); // Redis restarts are expected; writes wait and retry
  }

  /**
   * One field per execution (`<n>:<execution id>`), written with HSET: a write that ioredis resends
   * after a lost connection lands on the same field, so the ledger never counts a resend as a run.
   */
  completed(n: number, execution: string): Promise<number> {
    return this.redis.hset(`${this.prefix}:chaos:completed`, `${n}:${execution}`, '1');
  }

  /** A delayed job's run: field n (HSETNX keeps the first run's time), and a count of runs per n. */
  async ran(n: number, execution: string): Promise<void> {
    await this.redis.hsetnx(`${this.prefix}:chaos:first-run`, String(n), String(Date.now()));
    await this.redis.hset(`${this.prefix}:chaos:completed`, `${n}:${execution}`, String(Date.now()));
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

async function run(ledger: ChaosLedger, data: ChaosData): Promise<void> {
  if (data.ms > 0) await new Promise((resolve) => setTimeout(resolve, data.ms));
  await ledger.completed(data.n, randomUUID());
}

@Job({ queue: 'chaos', retryOnCrash: true })
export class ChaosRetryJob implements ResqueJob<ChaosData> {
  constructor(private readonly ledger: ChaosLedger) {}
  perform(data: ChaosData): Promise<void> {
    return run(this.ledger, data);
  }
}

@Job({ queue: 'chaos' })
export class ChaosJob implements ResqueJob<ChaosData> {
  constructor(private readonly ledger: ChaosLedger) {}
  perform(data: ChaosData): Promise<void> {
    return run(this.ledger, data);
  }
}

/** A delayed job (the scheduler chaos test): records when it ran, to check none ran early. */
@Job({ queue: 'chaos' })
export class ChaosDelayedJob implements ResqueJob<{ n: number; due: number }> {
  constructor(private readonly ledger: ChaosLedger) {}
  perform(data: { n: number; due: number }): Promise<void> {
    return this.ledger.ran(data.n, randomUUID());
  }
}

@Module({
  imports: [ResqueModule.forRoot({ connection: process.env.REDIS_URL, prefix: process.env.PREFIX })],
  providers: [ChaosLedger, ChaosJob, ChaosRetryJob, ChaosDelayedJob],
})
export class ChaosModule {}
