import { printable } from '../protocol/printable.js';
import { ResqueError } from './resque.error.js';

/** Thrown by enqueue when job data would not survive a JSON round trip. Nothing is written. */
export class InvalidJobDataError extends ResqueError {
  override name = 'InvalidJobDataError';
  constructor(readonly path: string, readonly problem: string) {
    super(`Job data at ${printable(path, 200)}: ${printable(problem, 400)}`);
  }
}
