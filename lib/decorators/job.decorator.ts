import { applyDecorators, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { assertQueueName } from '../protocol/queue-name.js';
import { checkSchedule } from '../client/recurrence.js';
import { InvalidSettingError } from '../errors/invalid-setting.error.js';
import { retryOptionsProblem, type RetryOptions } from '../options/retry-options.js';
import type { JobMetadata, JobOptions, JobSchedule } from './job-options.interface.js';

const JobMetadataDecorator = DiscoveryService.createDecorator<JobMetadata>();

/**
 * Marks a provider as the handler of one Resque class. The class must implement `ResqueJob`.
 * The Resque class name is `options.name`, or the class's name read now, so a bundler that
 * renames classes later cannot change the name on the wire.
 *
 * @example `@Job('mail')` or `@Job({ queue: 'mail', name: 'App\\Jobs\\SendMail', timeout: 30_000 })`
 * @publicApi
 */
export const Job = Object.assign(
  (queueOrOptions: string | JobOptions): ClassDecorator =>
    (target) => {
      const options: JobOptions = typeof queueOrOptions === 'string' ? { queue: queueOrOptions } : queueOrOptions;
      assertQueueName(options.queue);
      const metadata: JobMetadata = {
        queue: options.queue,
        name: options.name ?? target.name,
        timeout: options.timeout ?? 0,
        retryOnCrash: options.retryOnCrash ?? false,
        schedules: schedulesOf(options, options.name ?? target.name),
        ...(options.retry ? { retry: checkedRetry(options.retry, options.name ?? target.name) } : {}),
        ...(options.unique ? { unique: options.unique } : {}),
        ...(options.lock ? { lock: options.lock } : {}),
        ...(options.unsafeIntegers === 'fail' ? { unsafeIntegers: 'fail' as const } : {}),
      };
      applyDecorators(JobMetadataDecorator(metadata), Injectable())(target);
    },
  { KEY: JobMetadataDecorator.KEY },
);

/** The `@Job` metadata of a class, or undefined when it has none. */
export function getJobMetadata(target: Function): JobMetadata | undefined {
  return Reflect.getMetadata(Job.KEY, target) as JobMetadata | undefined;
}

/** The schedules of `@Job({ schedule })`, named and checked now, so a bad cron fails at load. */
function schedulesOf(options: JobOptions, className: string): JobMetadata['schedules'] {
  if (options.schedule === undefined) return [];
  const list: readonly JobSchedule[] = Array.isArray(options.schedule) ? options.schedule : [options.schedule as JobSchedule];
  return list.map((schedule) => {
    const name = schedule.name ?? className;
    checkSchedule(name, { ...schedule, queue: options.queue, className });
    return { ...schedule, name };
  });
}

function checkedRetry(retry: RetryOptions, className: string): RetryOptions {
  const problem = retryOptionsProblem(retry);
  if (problem) throw new InvalidSettingError(`@Job(${className}).retry`, JSON.stringify(retry.attempts), problem);
  return retry;
}
