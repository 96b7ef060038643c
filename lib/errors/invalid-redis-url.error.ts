import { ResqueError } from './resque.error.js';

/**
 * A Redis URL we cannot use. The message is one line, names the setting it came from, and shows
 * the URL with its credentials replaced by `***`. Nest's exception handler prints an error with
 * util.inspect (stack and own fields), so the stack is that one line and the fields, still on the
 * instance, are not enumerable: a configuration mistake is one line, not a trace.
 */
export class InvalidRedisUrlError extends ResqueError {
  override name = 'InvalidRedisUrlError';
  declare readonly setting: string;
  declare readonly redactedUrl: string;
  declare readonly problem: string;

  constructor(setting: string, redactedUrl: string, problem: string) {
    super(`${setting}=${JSON.stringify(redactedUrl)} ${problem}`);
    for (const [key, value] of Object.entries({ setting, redactedUrl, problem })) {
      Object.defineProperty(this, key, { value, enumerable: false });
    }
    this.stack = `${this.name}: ${this.message}`;
  }
}
