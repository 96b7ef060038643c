/**
 * Resque class name → the provider that handles it, plus the module-wide hook listeners.
 * Filled once by JobExplorer at module init; read on every job, so lookups are one Map get
 * and the listener arrays are built once.
 */
import { Injectable } from '@nestjs/common';
import type { EnqueueContext } from '../client/enqueue-context.js';
import type { JobMetadata } from '../decorators/job-options.interface.js';
import type { ResqueJob } from '../decorators/resque-job.interface.js';
import { DuplicateJobClassError } from '../errors/duplicate-job-class.error.js';
import type { RetryOptions } from '../options/retry-options.js';
import { crashRetryPolicy } from '../scheduler/retry-policy.js';
import type { JobPolicy } from '../worker/ipc.js';
import type { JobContext } from '../worker/job-context.js';

export interface RegisteredJob {
  readonly className: string;
  readonly queue: string;
  readonly metadata: JobMetadata;
  readonly instance: ResqueJob<unknown>;
  /** The provider's class name, for messages. */
  readonly provider: string;
  /** The job class has none of the optional hook methods, so the runner can call perform directly. */
  readonly plain: boolean;
}

export interface HookListeners {
  readonly beforePerform: Array<(context: JobContext) => unknown>;
  readonly afterPerform: Array<(context: JobContext, result: unknown) => unknown>;
  readonly onFailure: Array<(error: unknown, context: JobContext) => unknown>;
  readonly beforeEnqueue: Array<(event: EnqueueContext) => unknown>;
  readonly afterEnqueue: Array<(event: EnqueueContext) => unknown>;
}

const JOB_HOOK_METHODS = ['beforePerform', 'setUp', 'tearDown', 'afterPerform', 'onFailure'] as const;

/** @publicApi */
@Injectable()
export class JobRegistry {
  private readonly jobs = new Map<string, RegisteredJob>();
  readonly listeners: HookListeners = { beforePerform: [], afterPerform: [], onFailure: [], beforeEnqueue: [], afterEnqueue: [] };
  /** Some module-wide beforePerform/afterPerform/onFailure listener exists. */
  hasPerformListeners = false;
  /** Some module-wide beforeEnqueue/afterEnqueue listener exists. */
  hasEnqueueListeners = false;

  register(metadata: JobMetadata, instance: ResqueJob<unknown>, provider: string): RegisteredJob {
    const existing = this.jobs.get(metadata.name);
    if (existing) throw new DuplicateJobClassError(metadata.name, existing.provider, provider);
    const job: RegisteredJob = {
      className: metadata.name,
      queue: metadata.queue,
      metadata,
      instance,
      provider,
      plain: JOB_HOOK_METHODS.every((method) => typeof instance[method] !== 'function'),
    };
    this.jobs.set(metadata.name, job);
    return job;
  }

  addListener<K extends keyof HookListeners>(hook: K, listener: HookListeners[K][number]): void {
    (this.listeners[hook] as Array<HookListeners[K][number]>).push(listener);
    this.hasPerformListeners =
      this.listeners.beforePerform.length + this.listeners.afterPerform.length + this.listeners.onFailure.length > 0;
    this.hasEnqueueListeners = this.listeners.beforeEnqueue.length + this.listeners.afterEnqueue.length > 0;
  }

  get(className: string): RegisteredJob | undefined {
    return this.jobs.get(className);
  }

  all(): RegisteredJob[] {
    return [...this.jobs.values()];
  }

  /** Registered Resque class names, sorted. */
  names(): string[] {
    return [...this.jobs.keys()].sort();
  }

  /**
   * What the worker host needs to judge a job whose process died (see JobPolicy in worker/ipc.ts);
   * `defaultRetry` is the module's `retry`, for classes without their own.
   */
  policies(defaultRetry?: RetryOptions): Record<string, JobPolicy> {
    const out: Record<string, JobPolicy> = {};
    for (const job of this.jobs.values()) {
      const { timeout, retryOnCrash } = job.metadata;
      const crashRetry = retryOnCrash ? crashRetryPolicy(job.metadata.retry ?? defaultRetry) : undefined;
      out[job.className] = { timeoutMs: timeout, retryOnCrash, ...(crashRetry ? { crashRetry } : {}) };
    }
    return out;
  }
}
