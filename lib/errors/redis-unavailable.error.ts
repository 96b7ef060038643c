import { ResqueError } from './resque.error.js';

export interface RedisUnavailableOptions extends ErrorOptions {
  /** The connection fails for a reason no retry fixes (a TLS certificate it cannot verify): `cause` says which. */
  readonly refused?: boolean;
}

/**
 * Redis did not answer in time, or the client is closed, or the connection is refused for good
 * (a certificate error, which fails the call at once with its reason). `mayBeStored` is false
 * when nothing was sent, so the job is certainly not in Redis; true when a write was already sent
 * when time ran out, so it may or may not have been stored.
 */
export class RedisUnavailableError extends ResqueError {
  override name = 'RedisUnavailableError';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    readonly mayBeStored: boolean,
    readonly closed = false,
    options?: RedisUnavailableOptions,
  ) {
    const cause = options?.cause instanceof Error ? options.cause.message : undefined;
    const what = options?.refused
      ? `cannot connect: ${cause}`
      : closed
        ? 'found the connection closed'
        : `got no answer within ${timeoutMs} ms${cause ? ` (${cause})` : ''}`;
    super(`Redis unavailable: ${operation} ${what}` + (mayBeStored ? '; the write was sent, so it may have been stored' : '; nothing was written'), options);
  }
}
