// Public API. Nothing inside the library imports this file.
export { ResqueModule, ResqueQueueModule } from './resque.module.js';
export { RESQUE_MODULE_OPTIONS, RESQUE_REDIS, getQueueToken } from './resque.tokens.js';
export type { ResqueModuleOptions } from './options/resque-options.js';
export type { WorkerSettings } from './options/worker-settings.js';

export { Job, getJobMetadata } from './decorators/job.decorator.js';
export type { JobOptions, JobMetadata } from './decorators/job-options.interface.js';
export type { ResqueJob, JobClass, JobData } from './decorators/resque-job.interface.js';
export { InjectQueue } from './decorators/inject-queue.decorator.js';
export { ResqueHook, type ResqueHookName } from './decorators/resque-hook.decorator.js';
export type { JobContext } from './worker/job-context.js';
export {
  createInProcessWorker,
  type InProcessWorker,
  type InProcessWorkerOptions,
} from './worker/child/in-process-worker.js';
export type { FinishedJob } from './protocol/scripts/exchange-jobs.js';

export { JobRegistry, type RegisteredJob, type HookListeners } from './discovery/job.registry.js';
export { JobRunner } from './discovery/job-runner.service.js';

export { QueueService, type EnqueueOptions } from './client/queue.service.js';
export { QueueHandle } from './client/queue-handle.js';
export {
  ResqueClient,
  type ResqueClientOptions,
  type PreparedJob,
  type PeekedJob,
  type ResqueStats,
  type WorkerInfo,
} from './client/resque-client.js';
export type { FailedJob, WorkingOn } from './protocol/records.js';
export type { EnqueueContext } from './client/enqueue-context.js';
export { isValidQueueName, assertQueueName, MAX_QUEUE_NAME_LENGTH } from './protocol/queue-name.js';

export {
  ResqueEvents,
  type ResqueEvent,
  type ResqueEventType,
  type JobEnqueuedEvent,
  type JobStartedEvent,
  type JobCompletedEvent,
  type JobFailedEvent,
  type JobSkippedEvent,
  type EnqueueCancelledEvent,
} from './events/resque-events.js';
export { JobOutcomes } from './events/job-outcomes.service.js';
export type { WaitForOptions } from './events/outcome-subscriber.js';
export type { JobOutcome, JobCompletedOutcome, JobFailedOutcome, FailureSummary } from './protocol/job-outcome.js';
export { JobWaitTimeoutError } from './errors/job-wait-timeout.error.js';

export { ResqueError } from './errors/resque.error.js';
export { DontPerformError } from './errors/dont-perform.error.js';
export { DontCreateError } from './errors/dont-create.error.js';
export { DuplicateJobClassError } from './errors/duplicate-job-class.error.js';
export { UnknownJobClassError } from './errors/unknown-job-class.error.js';
export { ScopedJobProviderError } from './errors/scoped-job-provider.error.js';
export { NotAJobClassError } from './errors/not-a-job-class.error.js';
export { InvalidQueueNameError } from './errors/invalid-queue-name.error.js';
export { InvalidJobDataError } from './errors/invalid-job-data.error.js';
export { UnsafeIntegerError } from './errors/unsafe-integer.error.js';
export { InvalidSettingError } from './errors/invalid-setting.error.js';
export { RedisUnavailableError } from './errors/redis-unavailable.error.js';
export { NotReplicatedError } from './errors/not-replicated.error.js';
export { FailedJobNotFoundError } from './errors/failed-job-not-found.error.js';
export { InvalidFailureRecordError } from './errors/invalid-failure-record.error.js';
export { RedisUnreachableError } from './errors/redis-unreachable.error.js';
export { ChildBootError } from './errors/child-boot.error.js';
export { InvalidRedisUrlError } from './errors/invalid-redis-url.error.js';
export { UntaggedClusterPrefixError } from './errors/untagged-cluster-prefix.error.js';
export { InvalidSentinelSettingError } from './errors/invalid-sentinel-setting.error.js';

export { ResqueKeys } from './protocol/keys.js';
export { JobStatus, type JobStatusCode, type JobStatusRecord } from './protocol/status.js';
export type { FailureRecord } from './protocol/failure.js';
export type { JobPayload } from './protocol/payload.js';
export type { ResqueConnection, RedisClient } from './redis/connection.js';
export type { ClusterConnection, NodeAddress } from './redis/cluster-connection.js';
export { hashTagOf, DEFAULT_CLUSTER_PREFIX } from './redis/cluster-prefix.js';

export { DelayedJobs, type DelayedJob, type DelayedTimestamp } from './client/delayed-jobs.js';
export { DelayedScheduler, type SchedulerOptions, type PromotionResult } from './scheduler/scheduler.js';
export { dueSecond, type When } from './protocol/delayed-item.js';
export { InvalidDelayError } from './errors/invalid-delay.error.js';
export { RecurringSchedules, type ScheduleInfo } from './client/recurring-schedules.js';
export type { ScheduleDefinition } from './client/recurrence.js';
export { RateLimits } from './client/rate-limits.js';
export type { RateLimit } from './protocol/rate-limit.js';
export { InvalidRateLimitError } from './errors/invalid-rate-limit.error.js';
export { RecurringFirer, type RecurringFirerOptions } from './scheduler/recurring-firer.js';
export type { JobSchedule } from './decorators/job-options.interface.js';
export { InvalidScheduleError } from './errors/invalid-schedule.error.js';
export { UnrecoverableError } from './errors/unrecoverable.error.js';
export { retryDelay, isRetryable } from './scheduler/retry-policy.js';
export type { RetryOptions } from './options/retry-options.js';
export { listRetrying, type RetryingJob } from './client/retries.js';
export { JobRetries, attemptDigest, type RetryTicket } from './scheduler/job-retries.js';
export { JobLifecycle, type JobClassPolicy, type JobRun } from './scheduler/job-lifecycle.js';
export { JobLocks } from './scheduler/job-locks.js';
export { lockKeyOf } from './protocol/lock-key.js';
export type { UniqueOptions, RunLockOptions } from './options/lock-options.js';

// Operations. prom-client and @nestjs/terminus are optional peers, loaded only when these are used.
export { ResqueMetricsModule, ResqueMetrics } from './metrics/resque-metrics.module.js';
export { MissingPeerError } from './errors/missing-peer.error.js';
