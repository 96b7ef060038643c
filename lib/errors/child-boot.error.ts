import { ResqueError } from './resque.error.js';

/** The worker host's first child kept dying before it was ready (the application does not boot). */
export class ChildBootError extends ResqueError {
  override name = 'ChildBootError';
}
