/**
 * Connection errors no reconnect can fix: TLS certificate verification (a wrong CA, an expired or
 * mismatched certificate) and TLS alerts from a server that wants a client certificate. ioredis
 * retries them for ever like an outage; callers that wait for the connection fail at once instead.
 */
const TLS_CODE = /CERT|ERR_TLS|ERR_SSL|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

export function isPermanentConnectionError(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && TLS_CODE.test(code);
}
