import { clip } from '../protocol/printable.js';
import { ResqueError } from './resque.error.js';

/** A job with `unsafeIntegers: 'fail'` got an integer beyond Number's safe range; it did not run. */
export class UnsafeIntegerError extends ResqueError {
  override name = 'UnsafeIntegerError';
  constructor(readonly path: string, readonly value: bigint) {
    super(
      `The payload's integer at ${clip(path)} (${value}) is beyond Number's safe range (±2^53) and this job has unsafeIntegers: 'fail'; ` +
        "it would be rounded as a number (use the default 'bigint' to receive it exactly)",
    );
  }
}
