/**
 * Redis Sentinel from the environment: REDIS_SENTINELS (comma-separated `host:port`, IPv6 as
 * `[::1]:26379`) with REDIS_SENTINEL_NAME (the primary's group name in the sentinels' config).
 * The data nodes' credentials, db and TLS come from REDIS_URL as usual (its host:port is not used:
 * the sentinels say where the primary is); the sentinels' own from REDIS_SENTINEL_USERNAME and
 * REDIS_SENTINEL_PASSWORD. Errors never show a value that could hold a secret.
 */
import type { RedisOptions } from 'ioredis';
import { InvalidSentinelSettingError } from '../errors/invalid-sentinel-setting.error.js';

export interface SentinelAddress {
  readonly host: string;
  readonly port: number;
}

/** Sentinel's default port, when an entry has none. */
export const SENTINEL_PORT = 26379;

const SAFE_LIST = /^[A-Za-z0-9.\-:[\], ]*$/;

export function parseSentinels(value: string, setting = 'REDIS_SENTINELS'): SentinelAddress[] {
  const shown = SAFE_LIST.test(value) && value.length <= 500 ? JSON.stringify(value) : `<${value.length} characters hidden>`;
  const fail = (problem: string): never => {
    throw new InvalidSentinelSettingError(setting, shown, problem);
  };
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) fail('needs at least one host:port');
  return entries.map((entry, index) => {
    const where = `entry ${index + 1}`;
    if (entry.includes('@') || entry.includes('/')) fail(`${where} must be host:port (credentials go in REDIS_URL and REDIS_SENTINEL_PASSWORD)`);
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(entry);
    if (!match) fail(`${where} must be host:port (IPv6 as [::1]:26379)`);
    const port = match![3] === undefined ? SENTINEL_PORT : Number(match![3]);
    if (port < 1 || port > 65535) fail(`${where} has a port outside 1-65535`);
    return { host: match![1] ?? match![2]!, port };
  });
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The Sentinel part of ioredis options from REDIS_SENTINELS and its companions, or undefined when
 * REDIS_SENTINELS is unset. `base` (REDIS_URL's options) gives the data nodes' credentials, db, TLS.
 */
export function sentinelOptionsFromEnv(env: Env, base: RedisOptions = {}): RedisOptions | undefined {
  const list = env.REDIS_SENTINELS;
  if (list === undefined) return undefined;
  const sentinels = parseSentinels(list);
  const name = env.REDIS_SENTINEL_NAME;
  if (name === undefined || name.trim() === '') {
    throw new InvalidSentinelSettingError('REDIS_SENTINEL_NAME', JSON.stringify(name ?? ''), "must name the primary's group (the sentinels' `sentinel monitor <name> ...`) when REDIS_SENTINELS is set");
  }
  const { host: _host, port: _port, path: _path, ...credentials } = base;
  const options: RedisOptions = { ...credentials, sentinels, name };
  if (env.REDIS_SENTINEL_USERNAME) options.sentinelUsername = env.REDIS_SENTINEL_USERNAME;
  if (env.REDIS_SENTINEL_PASSWORD) options.sentinelPassword = env.REDIS_SENTINEL_PASSWORD;
  // A rediss:// REDIS_URL: the sentinels speak TLS too.
  if (options.tls) options.enableTLSForSentinelMode = true;
  return options;
}

/** Sentinel addresses for log lines and messages: never a password. */
export function describeSentinels(options: Pick<RedisOptions, 'sentinels' | 'name' | 'db'>): string {
  const list = (options.sentinels ?? []).map((s) => (s.host?.includes(':') ? `[${s.host}]:${s.port ?? SENTINEL_PORT}` : `${s.host ?? '127.0.0.1'}:${s.port ?? SENTINEL_PORT}`));
  return `sentinel group ${JSON.stringify(options.name ?? '')} via ${list.join(',')}/${options.db ?? 0}`;
}
