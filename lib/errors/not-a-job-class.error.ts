import { ResqueError } from './resque.error.js';

/** `enqueue(JobClass, data)` was given a class without `@Job`. */
export class NotAJobClassError extends ResqueError {
  override name = 'NotAJobClassError';
  constructor(readonly target: string) {
    super(`${target} has no @Job decorator, so it has no queue or Resque class name`);
  }
}
