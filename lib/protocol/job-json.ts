/**
 * Job data to JSON text, reading each value once: what is checked is what is written, so a getter
 * or a Proxy trap that answers differently on a second read cannot slip a value past the check
 * (JSON.stringify after a separate check would read everything twice).
 *
 * Refused, with InvalidJobDataError naming the path, and nothing written:
 * - values JSON would change or drop: functions, symbols, NaN and ±Infinity, `undefined` as the
 *   data or in an array (and array holes), class instances (Date, Map, Buffer, RegExp...), cycles;
 * - properties JSON would drop silently: symbol keys, non-enumerable own properties, named
 *   properties on arrays;
 * - values that cannot be read: a throwing getter, a revoked Proxy, a throwing Proxy trap;
 * - nesting deeper than MAX_DATA_DEPTH objects and arrays.
 * Accepted as JSON has it: plain and null-prototype objects, arrays, strings, finite numbers,
 * booleans, null, and bigint (written as its exact digits); an object property whose value is undefined is left out (it reads back as
 * undefined too).
 */
import { InvalidJobDataError } from '../errors/invalid-job-data.error.js';

/** The deepest nesting of objects and arrays job data may have (the data itself is level 1). */
export const MAX_DATA_DEPTH = 1000;

type Key = string | number | symbol;

/** Thrown inside the walk; each frame on the way up adds its key, so the hot path builds no paths. */
class Refusal {
  readonly keys: Key[] = [];
  constructor(readonly problem: string) {}
}

/** JSON text of `data`, or an InvalidJobDataError naming the first value that would not come back the same. */
export function toJobJson(data: unknown): string {
  if (data === undefined) throw new InvalidJobDataError('$', 'undefined cannot be sent as job data; pass null or an object');
  let copy: unknown;
  const bigintsBefore = bigintsSeen;
  try {
    copy = snapshot(data, []);
  } catch (error) {
    const refusal = asRefusal(error);
    throw new InvalidJobDataError(formatPath(refusal.keys.reverse()), refusal.problem);
  }
  // JSON.stringify of our own copy: plain data without getters, proxies or toJSON, so it writes
  // exactly what was checked, at native speed.
  let json: string;
  try {
    json = JSON.stringify(copy);
  } catch (error) {
    // Only size can fail here (the copy is plain data): past V8's longest string.
    throw new InvalidJobDataError('$', `the data is too large to write as JSON (${(error as Error).message})`);
  }
  return bigintsSeen === bigintsBefore ? json : json.replace(BIGINT_PLACEHOLDER, '$1');
}

/**
 * A bigint is written as its exact digits, so a PHP or Ruby worker reads the same integer.
 * JSON.stringify cannot write one, so the copy holds a placeholder string that no user string
 * can equal (a NUL and a per-process random tag, which JSON writes as `\u0000<tag>:`), replaced
 * by the digits afterwards.
 */
const BIGINT_TAG = `${Math.random().toString(36).slice(2, 10)}${Date.now().toString(36)}`;
const BIGINT_PLACEHOLDER = new RegExp(`"\\\\u0000${BIGINT_TAG}:(-?\\d+)"`, 'g');
let bigintsSeen = 0;

function bigintPlaceholder(value: bigint): string {
  bigintsSeen++;
  return `\u0000${BIGINT_TAG}:${value.toString()}`;
}

/**
 * A checked copy of `value` made of plain objects, arrays and primitives, reading each value of
 * the original once. Walking and copying, then one native JSON.stringify, is faster than
 * building the text in JavaScript.
 */
function snapshot(value: unknown, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      throw new Refusal(`${value} is not a finite number`);
    case 'object':
      if (value === null) return null;
      return snapshotContainer(value, ancestors);
    case 'bigint':
      return bigintPlaceholder(value);
    case 'undefined':
      throw new Refusal('undefined (or a hole) in an array becomes null');
    default:
      throw new Refusal(`a ${typeof value} cannot be sent through JSON`);
  }
}

function snapshotContainer(value: object, ancestors: object[]): unknown {
  if (ancestors.includes(value)) throw new Refusal('the value contains a cycle');
  if (ancestors.length >= MAX_DATA_DEPTH) throw new Refusal(`objects and arrays nest deeper than ${MAX_DATA_DEPTH} levels`);
  if (Array.isArray(value)) return snapshotArray(value, ancestors);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (value as { constructor?: { name?: unknown } }).constructor?.name;
    throw new Refusal(`a ${typeof kind === 'string' && kind !== '' ? kind : 'object'} does not survive JSON; convert it to plain data first`);
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // Names + symbols counts the same own keys as Reflect.ownKeys, measured 3-5x faster on plain objects.
  if (Object.getOwnPropertyNames(record).length + Object.getOwnPropertySymbols(record).length !== keys.length) {
    throw hiddenProperty(record, Reflect.ownKeys(record));
  }
  ancestors.push(value);
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    try {
      const item = record[key];
      if (item === undefined) continue;
      // `copy.__proto__ = x` would set the prototype; JSON.parse makes it an own property.
      if (key === '__proto__') Object.defineProperty(copy, key, { value: snapshot(item, ancestors), enumerable: true, writable: true, configurable: true });
      else copy[key] = snapshot(item, ancestors);
    } catch (error) {
      throw at(error, key);
    }
  }
  ancestors.pop();
  return copy;
}

function snapshotArray(list: unknown[], ancestors: object[]): unknown[] {
  const length = list.length;
  const own = Reflect.ownKeys(list);
  // Indices plus "length": anything more is a named or symbol property JSON would drop (holes make it fewer).
  if (own.length > length + 1) throw hiddenProperty(list, own);
  ancestors.push(list);
  const copy = new Array<unknown>(length);
  for (let i = 0; i < length; i++) {
    try {
      copy[i] = snapshot(list[i], ancestors);
    } catch (error) {
      throw at(error, i);
    }
  }
  ancestors.pop();
  return copy;
}

/** The first own property JSON.stringify would leave out: a symbol key, a non-enumerable one, a name on an array. */
function hiddenProperty(value: object, own: readonly Key[]): Refusal {
  const isArray = Array.isArray(value);
  for (const key of own) {
    if (typeof key === 'symbol') return at(new Refusal('a symbol key is dropped by JSON'), key);
    if (isArray) {
      if (key !== 'length' && !isIndex(String(key))) return at(new Refusal('a named property of an array is dropped by JSON'), key);
    } else if (!Object.prototype.propertyIsEnumerable.call(value, key)) {
      return at(new Refusal('a non-enumerable property is dropped by JSON'), key);
    }
  }
  return new Refusal('it has own properties JSON would drop');
}

function isIndex(key: string): boolean {
  return /^(0|[1-9]\d*)$/.test(key);
}

/** Adds `key` to a refusal on its way up; any other error (a getter or trap threw) becomes one here. */
function at(error: unknown, key: Key): Refusal {
  const refusal = asRefusal(error);
  refusal.keys.push(key);
  return refusal;
}

function asRefusal(error: unknown): Refusal {
  if (error instanceof Refusal) return error;
  if (error instanceof RangeError && /call stack/i.test(String(error.message))) {
    return new Refusal(`objects and arrays nest too deep to walk`);
  }
  return new Refusal(`reading it threw ${describeThrown(error)}`);
}

function describeThrown(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return String(error);
  } catch {
    return 'a value that cannot be described';
  }
}

function formatPath(keys: readonly Key[]): string {
  let path = '$';
  for (const key of keys) {
    if (typeof key === 'number') path += `[${key}]`;
    else if (typeof key === 'symbol') path += `[${String(key)}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) path += `.${key}`;
    else path += `[${JSON.stringify(key)}]`;
  }
  return path;
}
