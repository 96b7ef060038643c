import type { JobContext } from '../worker/job-context.js';

/**
 * What a `@Job` class implements. `perform` gets php-resque's `$this->args` (the payload's
 * `args[0]`) and the job's context. The optional methods are this class's own hooks:
 *
 * 1. `beforePerform(ctx)`: after module-wide `beforePerform` listeners; may throw DontPerformError.
 * 2. `setUp(ctx)`: php-resque's setUp; may throw DontPerformError.
 * 3. `perform(data, ctx)`.
 * 4. `tearDown(ctx)`: only after `perform` succeeded.
 * 5. `afterPerform(ctx, result)`: only after success; module-wide listeners run after it.
 *
 * On any error (but DontPerformError) `onFailure(error, ctx)` runs, then the job fails.
 *
 * @publicApi
 */
export interface ResqueJob<T = unknown> {
  perform(data: T, context: JobContext): unknown;
  beforePerform?(context: JobContext): unknown;
  setUp?(context: JobContext): unknown;
  tearDown?(context: JobContext): unknown;
  afterPerform?(context: JobContext, result: unknown): unknown;
  onFailure?(error: unknown, context: JobContext): unknown;
}

/** A `@Job` class (its constructor's parameters are Nest's business). */
export type JobClass<T = unknown> = abstract new (...args: never[]) => ResqueJob<T>;

/** The data type a job class's `perform` takes (method parameters are bivariant, so any job fits `JobClass`). */
export type JobData<J extends JobClass> = Parameters<InstanceType<J>['perform']>[0];
