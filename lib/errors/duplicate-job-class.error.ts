import { ResqueError } from './resque.error.js';

/** Two `@Job` providers claim one Resque class name; a worker could not tell which to run. */
export class DuplicateJobClassError extends ResqueError {
  override name = 'DuplicateJobClassError';
  constructor(readonly className: string, readonly first: string, readonly second: string) {
    super(`Resque class "${className}" is claimed by both ${first} and ${second}; give one of them @Job({ name })`);
  }
}
