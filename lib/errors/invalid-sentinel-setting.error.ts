import { ResqueError } from './resque.error.js';

/**
 * A Sentinel setting (REDIS_SENTINELS, REDIS_SENTINEL_NAME, or the module's `sentinels`) we cannot
 * use. The message is one line; a value is shown only when it has the shape of host:port entries,
 * otherwise as its length, since a mistyped entry (`user:secret@host`) could carry a password.
 */
export class InvalidSentinelSettingError extends ResqueError {
  override name = 'InvalidSentinelSettingError';
  declare readonly setting: string;
  declare readonly problem: string;

  constructor(setting: string, shownValue: string, problem: string) {
    super(`${setting}=${shownValue} ${problem}`);
    for (const [key, value] of Object.entries({ setting, problem })) {
      Object.defineProperty(this, key, { value, enumerable: false });
    }
    this.stack = `${this.name}: ${this.message}`;
  }
}
