/**
 * A per-minute history of Resque's global counters (`stat:processed`, `stat:failed`), kept in Redis
 * (`stat-history`, see keys.ts) so every host reads the same chart. Any process may sample: the
 * first sample of a minute wins (sample-stats.lua), so a dashboard in each app instance and PHP,
 * Ruby or node workers incrementing the counters all give one point a minute. Bounded: a day.
 */
import { sampleStatsScript } from '../protocol/scripts/lua.generated.js';
import { runScript } from '../redis/scripts.js';
import type { ResqueClient } from './resque-client.js';

/** Samples kept: a day of minutes. */
export const HISTORY_MINUTES = 1440;

/** The counters as they stood at the start of one minute. */
export interface StatSample {
  /** Epoch minutes. */
  readonly minute: number;
  readonly processed: number;
  readonly failed: number;
}

/** Jobs processed and failed during one minute; null where no sample brackets the minute (or the counters were reset). */
export interface MinuteCounts {
  readonly minute: number;
  readonly processed: number | null;
  readonly failed: number | null;
}

export function epochMinute(ms: number): number {
  return Math.floor(ms / 60_000);
}

/** Writes this minute's sample unless one exists; true when this call wrote it. */
export async function sampleStats(client: ResqueClient, nowMs = Date.now(), keep = HISTORY_MINUTES): Promise<boolean> {
  const { redis, keys } = client;
  return client.call('sampleStats', true, async () =>
    Number(await runScript(redis, sampleStatsScript, [keys.statHistory, keys.statProcessed(), keys.statFailed()], [epochMinute(nowMs), keep])) === 1,
  );
}

/** Samples from `fromMinute` on, oldest first. Members that are not ours are skipped. */
export async function readStatHistory(client: ResqueClient, fromMinute: number): Promise<StatSample[]> {
  const { redis, keys } = client;
  const members = await client.call('statHistory', false, () => redis.zrangebyscore(keys.statHistory, fromMinute, '+inf'));
  const samples: StatSample[] = [];
  for (const member of members) {
    const match = /^(\d+):(\d+):(\d+)$/.exec(member);
    if (match) samples.push({ minute: Number(match[1]), processed: Number(match[2]), failed: Number(match[3]) });
  }
  return samples;
}

/**
 * Counts per minute for the `minutes` minutes ending with `nowMinute` (the current, unfinished
 * minute counted up to `current`, the counters now). A minute with no sample at its start or end
 * (no process sampled then) or whose counters went down (a reset) is null.
 */
export function countsPerMinute(samples: readonly StatSample[], nowMinute: number, minutes: number, current: { processed: number; failed: number }): MinuteCounts[] {
  const at = new Map<number, { processed: number; failed: number }>();
  for (const sample of samples) at.set(sample.minute, sample);
  at.set(nowMinute + 1, current);
  const out: MinuteCounts[] = [];
  for (let minute = nowMinute - minutes + 1; minute <= nowMinute; minute++) {
    const start = at.get(minute);
    const end = at.get(minute + 1);
    const delta = (field: 'processed' | 'failed') => (start && end && end[field] >= start[field] ? end[field] - start[field] : null);
    out.push({ minute, processed: delta('processed'), failed: delta('failed') });
  }
  return out;
}

/**
 * Samples every `everyMs` (default 10 s, so each minute is sampled within seconds of its start);
 * writes at most once a minute per Redis whatever the number of samplers. Errors are reported to
 * `onError` and the sampler keeps going (Redis may be away for a while).
 */
export class StatSampler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly client: ResqueClient,
    private readonly options: { readonly everyMs?: number; readonly now?: () => number; readonly onError?: (error: unknown) => void } = {},
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      if (this.running) return;
      this.running = sampleStats(this.client, (this.options.now ?? Date.now)())
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.options.everyMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
