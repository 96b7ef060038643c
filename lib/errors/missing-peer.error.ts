import { ResqueError } from './resque.error.js';

/** An optional peer dependency that a feature needs is not installed. The message is one line. */
export class MissingPeerError extends ResqueError {
  override name = 'MissingPeerError';
  constructor(readonly packageName: string, readonly feature: string) {
    super(`${feature} needs the package ${packageName}, which is not installed: npm install ${packageName}`);
  }
}
