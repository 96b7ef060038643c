/**
 * The <key> of node-resque's lock keys (`lock:<class>:<queue>:<key>`, `workerslock:...`): JSON of
 * the args by default, as node-resque builds it, or what the job class's `key(data)` returns.
 * Enqueue (args = [data]) and the worker (decoded args) compute the same text.
 */
export function lockKeyOf(options: { key?: (data: unknown) => string }, args: readonly unknown[]): string {
  if (options.key) return String(options.key(args[0]));
  return JSON.stringify(args, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
}

