import { ResqueError } from './resque.error.js';

/** enqueueAt/enqueueIn got a time that is not a finite Date or number of milliseconds. */
export class InvalidDelayError extends ResqueError {
  override name = 'InvalidDelayError';
  constructor(readonly value: unknown) {
    super(`a delayed job needs a valid Date or a finite number of milliseconds, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'an invalid Date';
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : `a ${typeof value}`;
}
