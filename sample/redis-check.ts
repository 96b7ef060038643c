/**
 * One PING before anything else, so an unreachable Redis is one line and exit 1, as the worker
 * host does it, instead of an app that starts and fails every enqueue (or a demo that waits and
 * retries). The reason is the socket's (ECONNREFUSED...): the command itself only says it gave up.
 */
import { describe, isCluster, type RedisClient } from '../lib/redis/connection.js';

export async function assertRedisReachable(client: RedisClient, setting: string, timeoutMs = 5_000): Promise<void> {
  let cause: Error | undefined;
  const onError = (error: Error) => {
    cause ??= error;
  };
  client.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } catch (error) {
    throw new Error(`cannot reach Redis at ${where(client)} (${setting}): ${(cause ?? (error as Error)).message}`);
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}

/** host:port (or the socket path), or a cluster's seed nodes. */
function where(client: RedisClient): string {
  if (isCluster(client)) return describe(client);
  const { host, port, path } = client.options;
  return path ?? `${host}:${port}`;
}
