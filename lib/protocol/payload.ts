/**
 * Resque job payloads: encoding what we enqueue (php-resque's shape) and decoding
 * what any producer wrote (Ruby, php-resque, node-resque).
 *
 * Out: `{"class":"UserJob","args":[<data>],"id":"<32 hex>","queue_time":<float>}`, the exact
 * field order of php-resque since 2014, so a PHP worker reads our jobs and updates their status.
 * In: any object with a string `class` and an array `args` (missing args is `[]`, as in Ruby);
 * unknown fields are ignored.
 */
import { randomBytes } from 'node:crypto';
import { parseExact, type BigIntField } from './exact-json.js';

/** A payload as decoded from a queue. `args` stays the raw array; `data` is php-resque's `args[0]`. */
export interface JobPayload {
  readonly className: string;
  readonly args: readonly unknown[];
  readonly id?: string;
  /** resque/php-resque's status-key prefix (`job:<prefix>_<id>:status`). */
  readonly statusPrefix?: string;
  readonly queueTime?: number;
  /** Integers outside Number's safe range, delivered exactly as bigint (path from the payload, e.g. `args[0].id`); absent when none. */
  readonly bigints?: readonly BigIntField[];
  /** The enqueue's OpenTelemetry carrier (`otel`: string fields only), when it was traced. */
  readonly trace?: Readonly<Record<string, string>>;
}

export type DecodeResult =
  | { readonly ok: true; readonly payload: JobPayload }
  /** `json` tells whether the raw text is valid JSON, and so may sit verbatim inside a failure record. */
  | {
      readonly ok: false;
      readonly reason: string;
      readonly json: boolean;
      /** The text holds U+FFFD: valid text if the stored bytes are valid UTF-8 (ask again with `bytesAreUtf8`). */
      readonly checkBytes?: true;
    };

/** Ids drawn per call to randomBytes: one 4 KB draw serves 256 ids. */
const IDS_PER_DRAW = 256;
let randomPool = Buffer.alloc(0);
let poolOffset = 0;

/** php-resque's job id: 32 lowercase hex characters (128 random bits). */
export function newJobId(): string {
  if (poolOffset >= randomPool.length) {
    randomPool = randomBytes(16 * IDS_PER_DRAW);
    poolOffset = 0;
  }
  const id = randomPool.toString('hex', poolOffset, poolOffset + 16);
  poolOffset += 16;
  return id;
}

/** php-resque writes `microtime(true)`: seconds as a float with microseconds. */
export function queueTimeNow(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1e6;
}

/**
 * Encodes one job the way php-resque does. `dataJson` is the already-validated JSON of
 * the data (see `toJobJson` in job-json.ts), so bulk enqueue validates and stringifies each item once.
 */
export function encodePayload(className: string, dataJson: string, id: string, queueTime: number, traceJson?: string): string {
  if (className !== lastClassName) {
    lastClassName = className;
    lastClassJson = JSON.stringify(className);
  }
  // A traced enqueue's carrier goes before "id": exchange.lua finds a top-level id as the last one
  // with no bracket after it.
  const trace = traceJson === undefined ? '' : `,"otel":${traceJson}`;
  return `{"class":${lastClassJson},"args":[${dataJson}]${trace},"id":"${id}","queue_time":${queueTime}}`;
}

/** Enqueues repeat the same class name: its JSON is kept from the last call. */
let lastClassName = '';
let lastClassJson = '""';

/**
 * Decodes a popped payload; never throws. `reason` explains what is wrong in one sentence.
 *
 * ioredis decodes replies as UTF-8 and turns invalid bytes into U+FFFD, so text holding U+FFFD is
 * ambiguous: a real U+FFFD (valid, must run) or bytes that were not UTF-8 (must fail, not run on
 * altered arguments). Such text is refused with `checkBytes` until the caller has looked at the
 * stored bytes (`isUtf8` of node:buffer) and passes `bytesAreUtf8`. Text without U+FFFD is exact.
 */
export function decodePayload(raw: string, bytesAreUtf8 = false): DecodeResult {
  if (!bytesAreUtf8 && raw.includes('\uFFFD')) {
    return { ok: false, reason: 'payload is not valid UTF-8', json: false, checkBytes: true };
  }
  let parsed: unknown;
  let bigints: readonly BigIntField[];
  try {
    ({ value: parsed, bigints } = parseExact(raw));
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, reason: 'payload nests too deep to read', json: true };
    return { ok: false, reason: `payload is not valid JSON (${(error as Error).message})`, json: false };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'payload is not a JSON object', json: true };
  }
  const fields = parsed as Record<string, unknown>;
  if (typeof fields.class !== 'string' || fields.class === '') {
    return { ok: false, reason: 'payload has no "class" string', json: true };
  }
  const args = fields.args ?? [];
  if (!Array.isArray(args)) return { ok: false, reason: 'payload "args" is not an array', json: true };
  return {
    ok: true,
    payload: {
      className: fields.class,
      args,
      id: typeof fields.id === 'string' && fields.id !== '' ? fields.id : undefined,
      statusPrefix: typeof fields.prefix === 'string' && fields.prefix !== '' ? fields.prefix : undefined,
      queueTime: typeof fields.queue_time === 'number' || typeof fields.queue_time === 'bigint' ? Number(fields.queue_time) : undefined,
      ...(bigints.length > 0 ? { bigints } : {}),
      ...(fields.otel !== undefined ? traceOf(fields.otel) : {}),
    },
  };
}

/** The `otel` carrier, if it is an object of strings (anything else is ignored). */
function traceOf(value: unknown): { trace?: Readonly<Record<string, string>> } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 || entries.some(([, v]) => typeof v !== 'string')) return {};
  return { trace: Object.fromEntries(entries) as Record<string, string> };
}

/** Job data to JSON text: see job-json.ts. */
export { toJobJson, MAX_DATA_DEPTH } from './job-json.js';
