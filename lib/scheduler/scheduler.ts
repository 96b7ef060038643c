/**
 * The scheduler: moves due delayed jobs to their queues. Every worker host runs one; one of them
 * leads at a time (lock: keys.schedulerLock), and only the leader promotes.
 *
 * States:
 *   follower  tries to take the lock every `lockRetryMs`; promotes nothing
 *   leader    promotes every `tickMs` (promote.lua: up to `batch` items per call, again at once
 *             while calls come back full), and also at the start of the next due second when that
 *             comes sooner, so a job is queued a few ms after its second begins, not up to a tick
 *             later; renews the lock every lockTtl/3; loses it if renewal finds another holder
 *             (then follower)
 *   stopped   stop() ended the loop and gave the lock up if it was ours
 *
 * Promotion is atomic per call, so a leader killed mid-batch loses and duplicates nothing, and a
 * Ruby, PHP or node promoter beside us is safe. Due is judged on Redis's clock (hosts with skewed
 * clocks agree) unless `now` is injected (tests).
 */
import type { RedisClient } from '../redis/connection.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { promoteScript, schedulerLockScript } from '../protocol/scripts/lua.generated.js';
import { resqueTime } from '../protocol/time.js';
import { runScript } from '../redis/scripts.js';

export interface SchedulerOptions {
  readonly redis: RedisClient;
  readonly keys: ResqueKeys;
  /** Our name in the lock, `host:pid`. */
  readonly name: string;
  /** How often the leader looks for due jobs (default 100 ms): lateness is under 1 s + this. */
  readonly tickMs?: number;
  /** Lock lifetime without renewal (default 15 s): a dead leader is replaced within about this. */
  readonly lockTtlSeconds?: number;
  /** How often a follower tries to become leader (default 1000 ms). */
  readonly lockRetryMs?: number;
  /** Items per promotion call (default 500). */
  readonly batch?: number;
  /** The list our workers block on, pushed when jobs were promoted ('' for none). */
  readonly wakeKey?: string;
  /** Epoch ms; default: Redis's clock, read inside the script. */
  readonly now?: () => number;
  /** Recurring schedules, fired by the leader after each promotion. */
  readonly recurring?: { fireDue(): Promise<number> };
  /**
   * The dashboard's per-minute history (client/stat-history.ts): the leader samples the global
   * counters every `statsEveryMs` (default 10 s), so the chart has its points with no dashboard running.
   */
  readonly sampleStats?: () => Promise<unknown>;
  readonly statsEveryMs?: number;
  readonly onError?: (error: Error) => void;
  readonly onPromoted?: (moved: number, failed: number) => void;
  readonly onLeadership?: (leader: boolean) => void;
}

export interface PromotionResult {
  readonly moved: number;
  readonly failed: number;
  /** Earliest second still scheduled, or null. */
  readonly next: number | null;
}

export class DelayedScheduler {
  private state: 'follower' | 'leader' | 'stopped' = 'follower';
  private timer: NodeJS.Timeout | undefined;
  private lockCheckedAt = 0;
  private statsSampledAt = 0;
  private running: Promise<void> | undefined;
  private readonly tickMs: number;
  private readonly lockTtl: number;
  private readonly lockRetryMs: number;
  private readonly batch: number;

  constructor(private readonly options: SchedulerOptions) {
    this.tickMs = options.tickMs ?? 100;
    this.lockTtl = options.lockTtlSeconds ?? 15;
    this.lockRetryMs = options.lockRetryMs ?? 1000;
    this.batch = options.batch ?? 500;
  }

  get leader(): boolean {
    return this.state === 'leader';
  }

  start(): void {
    if (this.timer || this.state === 'stopped') return;
    this.schedule(0);
  }

  /** Ends the loop and releases the lock if ours; never throws. */
  async stop(): Promise<void> {
    const wasLeader = this.state === 'leader';
    this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    if (wasLeader) await this.lock('release').catch(() => undefined);
  }

  /** One step: keep or take the lock when due, then promote if leader. */
  async step(): Promise<PromotionResult | null> {
    const now = Date.now();
    const lockDue = this.state === 'leader' ? (this.lockTtl * 1000) / 3 : this.lockRetryMs;
    if (now - this.lockCheckedAt >= lockDue) {
      this.lockCheckedAt = now;
      const leader = (await this.lock('acquire')) === 1;
      if (this.state === 'stopped') return null;
      if (leader !== (this.state === 'leader')) {
        this.state = leader ? 'leader' : 'follower';
        this.options.onLeadership?.(leader);
      }
    }
    if (this.state !== 'leader') return null;
    let total: PromotionResult = { moved: 0, failed: 0, next: null };
    for (;;) {
      const result = await this.promote();
      total = { moved: total.moved + result.moved, failed: total.failed + result.failed, next: result.next };
      if (result.moved + result.failed < this.batch || this.state !== 'leader') break;
    }
    if (total.moved + total.failed > 0) this.options.onPromoted?.(total.moved, total.failed);
    if (this.options.recurring && this.state === 'leader') await this.options.recurring.fireDue();
    if (this.options.sampleStats && this.state === 'leader' && now - this.statsSampledAt >= (this.options.statsEveryMs ?? 10_000)) {
      this.statsSampledAt = now;
      await this.options.sampleStats().catch((error: Error) => this.options.onError?.(error));
    }
    return total;
  }

  /** One promotion call, leader or not (atomic, so safe from anywhere). */
  async promote(): Promise<PromotionResult> {
    const { redis, keys } = this.options;
    const now = this.options.now ? String(Math.floor(this.options.now() / 1000)) : '';
    const [moved, failed, next] = (await runScript(
      redis,
      promoteScript,
      [keys.delayedSchedule, keys.delayedIds, keys.queues, keys.failed],
      [now, this.batch, keys.delayedPrefix, keys.timestampsPrefix, keys.queuePrefix, JSON.stringify(resqueTime(new Date())), this.options.wakeKey ?? this.options.keys.wake],
    )) as [number, number, number];
    return { moved, failed, next: next < 0 ? null : next };
  }

  private lock(mode: 'acquire' | 'release'): Promise<number> {
    const { redis, keys, name } = this.options;
    return runScript(redis, schedulerLockScript, [keys.schedulerLock], [name, mode, this.lockTtl]) as Promise<number>;
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      let next: number | null = null;
      this.running = this.step().then(
        (result) => {
          next = result?.next ?? null;
        },
        (error: Error) => this.options.onError?.(error),
      );
      void this.running.finally(() => {
        if (this.state !== 'stopped') this.schedule(this.delayUntilNext(next));
      });
    }, delay);
    this.timer.unref?.();
  }

  /**
   * The wait before the next step: the tick, or less when the earliest scheduled second starts
   * sooner (+2 ms, so this host's clock is past it; with a clock behind Redis's the job is found a
   * tick later at worst).
   */
  private delayUntilNext(next: number | null): number {
    if (next === null || this.state !== 'leader' || this.options.now) return this.tickMs;
    const untilDue = next * 1000 - Date.now() + 2;
    // Due by our clock yet not promoted: Redis's clock is behind ours; wait a tick rather than spin.
    return untilDue >= this.tickMs || untilDue <= 0 ? this.tickMs : untilDue;
  }
}
