import { ResqueError } from './resque.error.js';

/** A worker setting (environment variable or option) that cannot be used. The message is one line. */
export class InvalidSettingError extends ResqueError {
  override name = 'InvalidSettingError';
  constructor(readonly setting: string, readonly value: string, readonly problem: string) {
    super(`${setting}=${JSON.stringify(value)} ${problem}`);
  }
}
