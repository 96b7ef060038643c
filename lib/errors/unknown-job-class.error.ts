import { clip } from '../protocol/printable.js';
import { ResqueError } from './resque.error.js';

/** A job names a Resque class that no `@Job` provider of this application handles. */
export class UnknownJobClassError extends ResqueError {
  override name = 'UnknownJobClassError';
  constructor(readonly className: string, readonly known: readonly string[]) {
    super(`No @Job provider handles class "${clip(className)}" (known: ${known.length > 0 ? known.join(', ') : 'none'})`);
  }
}
