/**
 * The least-privilege Redis ACL the README documents, in one place: the test creates a user with
 * exactly these commands and runs enqueue, a worker host, failures, crash requeues and BLOCKING
 * with it. A change that needs another command fails that test and must update the README's set.
 */
export const ACL_COMMANDS = {
  /** Enqueue, reserve, acknowledge, fail, statuses, workers, heartbeats, stats, the wake-up stream, the failed-list cap, late acknowledgements, the dashboard's per-class metrics (HINCRBY + EXPIRE). */
  core: '+evalsha +eval +ping +multi +exec +sadd +srem +smembers +rpush +lpop +llen +lrange +lindex +lset +lrem +ltrim +get +set +del +exists +hget +hset +hdel +hsetnx +hlen +hgetall +hincrby +expire +zadd +zrem +zrange +zrangebyscore +zscore +sismember +time +incr +incrby +decr +xadd +xrevrange',
  /** The idle wait (blocking, the default): XREAD BLOCK on the wake-up stream, ended by CLIENT UNBLOCK. */
  blocking: '+xread +client|id +client|unblock',
  /** The host's scheduler: its leader lock's renewal and the dashboard history it samples (delayed jobs and schedules use the core set). */
  scheduler: '+expire +zremrangebyscore',
  /** retryOnCrash jobs put back after their process died. */
  crashRequeues: '+hincrby +lpush +expire',
  /** Per-queue rate limits (the window counter's expiry). */
  rateLimits: '+pexpire +pttl',
  /** A db other than 0. */
  select: '+select',
} as const;

/** `ACL SETUSER` arguments: on, password, keys under `prefix:` only, no channels, nothing but `commands`. */
export function aclUser(password: string, prefix: string, commands: readonly string[]): string[] {
  return ['on', `>${password}`, `~${prefix}:*`, 'resetchannels', '-@all', ...commands.flatMap((set) => set.split(' '))];
}
