/**
 * Redis URLs, parsed and validated here rather than by ioredis: its URL errors carry the whole
 * URL (password included) and a string it cannot read quietly becomes 127.0.0.1:6379. We accept
 * `redis://[user][:password]@host[:port][/db]` and `rediss://` (TLS), with ioredis' query options
 * (`?family=6`), and hand ioredis options, never the URL. Every error names its setting and shows
 * the URL through `redactUrl`.
 */
import type { RedisOptions } from 'ioredis';
import { InvalidRedisUrlError } from '../errors/invalid-redis-url.error.js';

const SCHEME = /^(rediss?):\/\//i;
const SPECIALS_HINT = 'percent-encode / ? # @ : in a password, e.g. / as %2F';

export function parseRedisUrl(url: string, setting: string): RedisOptions {
  const fail = (problem: string): never => {
    throw new InvalidRedisUrlError(setting, redactUrl(url), problem);
  };
  if (url.trim() === '') fail('is empty (unset it for the default redis://127.0.0.1:6379)');
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (!scheme) fail('must start with redis:// or rediss:// (TLS)');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`is not a valid URL (${SPECIALS_HINT}; a port is 1-65535)`);
  }
  if (parsed.hostname === '') fail(`has no host (${SPECIALS_HINT})`);
  const options: RedisOptions = { host: parsed.hostname.replace(/^\[|\]$/g, '') };
  if (parsed.port !== '') {
    const port = Number(parsed.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail('has a port outside 1-65535');
    options.port = port;
  }
  const path = parsed.pathname;
  if (path !== '' && path !== '/') {
    if (!/^\/\d{1,5}$/.test(path)) fail(`has a path that is not a db number (${SPECIALS_HINT})`);
    options.db = Number(path.slice(1));
  }
  try {
    if (parsed.username) options.username = decodeURIComponent(parsed.username);
    if (parsed.password) options.password = decodeURIComponent(parsed.password);
  } catch {
    fail('has a malformed %-escape in its user or password');
  }
  for (const [key, value] of parsed.searchParams) {
    if (key === 'db') fail('has db in its query; write it as the path (/1)');
    (options as Record<string, unknown>)[key] = key === 'family' ? Number(value) : value;
  }
  if (options.family !== undefined && ![0, 4, 6].includes(options.family)) fail('has a family other than 4 or 6');
  if (scheme === 'rediss') options.tls = {};
  return options;
}

/**
 * The URL for messages: everything between `://` and the last `@` becomes `***`, even in a
 * malformed URL; one without `@` is shown only when it has the shape of host, port and db, since a
 * typo such as `redis://user:secret` (no `@host`) would otherwise show the secret as a "port".
 */
export function redactUrl(url: string): string {
  const at = url.lastIndexOf('@');
  const schemeEnd = url.indexOf('://');
  if (at !== -1) {
    const head = schemeEnd !== -1 && schemeEnd < at ? url.slice(0, schemeEnd + 3) : '';
    return `${head}***${shorten(url.slice(at))}`;
  }
  if (/^rediss?:\/\/[A-Za-z0-9.\-[\]]*(:\d*)?(\/\d*)?(\?[\w=&]*)?$/i.test(url) || url === '') return url;
  return `${schemeEnd === -1 ? '' : url.slice(0, schemeEnd + 3)}<${url.length} characters hidden>`;
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
