import type { RetryOptions } from './retry-options.js';
import type { RateLimit } from '../protocol/rate-limit.js';
import type { ResqueConnection } from '../redis/connection.js';
import type { WorkerSettings } from './worker-settings.js';

/** Options of `ResqueModule.forRoot()` / `forRootAsync()`. */
export interface ResqueModuleOptions {
  /** A URL (`redis://`, `rediss://`), ioredis options, or an existing ioredis client. Default: REDIS_URL or redis://127.0.0.1:6379. */
  readonly connection?: ResqueConnection;
  /** Key namespace; `resque` (the default) gives `resque:queue:<name>`, like every Resque. */
  readonly prefix?: string;
  /** Milliseconds an enqueue may wait for an unreachable Redis before it fails (default 5000). */
  readonly enqueueTimeout?: number;
  /**
   * Replicas that must have each enqueued job before `enqueue` resolves (Redis WAIT, within
   * enqueueTimeout); fewer is a NotReplicatedError (the job may still be stored). Replication is
   * asynchronous: without this, a job the primary acknowledged just before it died can be missing
   * on the replica Sentinel promotes. 1 covers a crashed primary (Sentinel promotes the most
   * up-to-date replica); all replicas also cover a manual SENTINEL FAILOVER. Default 0.
   */
  readonly waitForReplicas?: number;
  /** Retries for every job class without its own `@Job({ retry })` (default: none). */
  readonly retry?: RetryOptions;
  /**
   * Per-queue rate limits, `{ 'api-calls': { max: 10, duration: 1000 } }`: written to Redis at boot,
   * enforced by every worker on it (QueueService.rateLimits changes them at run time).
   */
  readonly rateLimits?: Readonly<Record<string, RateLimit>>;
  /**
   * OpenTelemetry spans for enqueue and perform, the trace context carried in the payload (needs
   * `@opentelemetry/api`, an optional peer, and your SDK's tracer provider). Default false.
   */
  readonly tracing?: boolean;
  /** Worker settings, so forRootAsync + ConfigService can set them; the environment still wins. */
  readonly worker?: Partial<WorkerSettings>;
}
