import { ResqueError } from './resque.error.js';

/**
 * A key prefix without a hash tag used on a Redis Cluster: its keys would spread over many slots,
 * and every script, MULTI and pipeline touching two of them would fail with CROSSSLOT. One line,
 * naming the setting and the fix.
 */
export class UntaggedClusterPrefixError extends ResqueError {
  override name = 'UntaggedClusterPrefixError';

  constructor(readonly setting: string, readonly prefix: string) {
    super(
      `${setting}=${JSON.stringify(prefix)} has no hash tag: on a Redis Cluster every key of one namespace must hash to one slot; ` +
        `use a prefix with a tag, e.g. ${JSON.stringify(`{${prefix.replace(/[{}]/g, '') || 'resque'}}`)} (other Resques then use that namespace too)`,
    );
    this.stack = `${this.name}: ${this.message}`;
  }
}
