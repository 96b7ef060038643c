/**
 * Per-queue rate limits, managed at run time (`ResqueModule.forRoot({ rateLimits })` writes its
 * through the same `set` at boot). Stored in `rate-limits`; workers pick a change up within about
 * a second and enforce it inside the reservation script (see lib/protocol/rate-limit.ts).
 */
import { InvalidRateLimitError } from '../errors/invalid-rate-limit.error.js';
import { queueNameProblem } from '../protocol/queue-name.js';
import { decodeRateLimit, encodeRateLimit, rateLimitProblem, type RateLimit } from '../protocol/rate-limit.js';
import type { ResqueClient } from './resque-client.js';

/** @publicApi */
export class RateLimits {
  constructor(private readonly client: ResqueClient) {}

  /** Limits `queue` to `max` reserved jobs per `duration` ms, on every worker. */
  set(queue: string, limit: RateLimit): Promise<void> {
    const problem = queueNameProblem(queue) ?? rateLimitProblem(limit);
    if (problem !== undefined) return Promise.reject(new InvalidRateLimitError(String(queue), problem));
    return this.client.call('setRateLimit', true, async () => {
      await this.client.redis.hset(this.client.keys.rateLimits, queue, encodeRateLimit(limit));
    });
  }

  /** Lifts the limit of `queue`; true if it had one. A limit from `forRoot` comes back at the next boot. */
  remove(queue: string): Promise<boolean> {
    return this.client.call('removeRateLimit', true, async () => (await this.client.redis.hdel(this.client.keys.rateLimits, queue)) === 1);
  }

  /** Every limit, by queue name (stored values that are not limits are left out). */
  list(): Promise<Record<string, RateLimit>> {
    return this.client.call('rateLimits', false, async () => {
      const stored = await this.client.redis.hgetall(this.client.keys.rateLimits);
      const out: Record<string, RateLimit> = {};
      for (const queue of Object.keys(stored).sort()) {
        const limit = decodeRateLimit(stored[queue]);
        if (limit) out[queue] = limit;
      }
      return out;
    });
  }
}
