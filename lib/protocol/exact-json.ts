/**
 * JSON.parse that never rounds an integer: PHP and Ruby producers write 64-bit integers
 * (PHP_INT_MAX, snowflake ids) that JSON.parse would silently turn into the nearest double.
 *
 * Fast path: JSON.parse, unless the text has a number token of 16 or more digits (a digit run right
 * after `:`, `,`, `[`, whitespace or `-`; 15 digits are always below 2^53). Then the text is parsed
 * again by a small exact parser: an integer token (no fraction, no exponent) outside
 * Number.MAX_SAFE_INTEGER becomes a bigint; everything else is what JSON.parse gives (a whole float
 * such as `1.0` is the number 1, a float with many digits is the nearest double).
 */

/** A number token of 16+ digits (an id string's hex digits follow a letter or a quote: not matched). */
const LONG_NUMBER = /[:,[\s-]\d{16}/;

/** Paths (`args[0].user.id`) of the integers that came back as bigint, for an opt-out's error. */
export interface ExactParse {
  readonly value: unknown;
  readonly bigints: readonly BigIntField[];
}

export interface BigIntField {
  readonly path: string;
  readonly value: bigint;
}

const NONE: readonly BigIntField[] = [];

/** Parses `text` as JSON (throws SyntaxError as JSON.parse does), integers exact. */
export function parseExact(text: string): ExactParse {
  const value: unknown = JSON.parse(text); // validates: the exact parser below may assume valid JSON
  if (!LONG_NUMBER.test(text)) return { value, bigints: NONE };
  const parser = new ExactParser(text);
  return { value: parser.parse(), bigints: parser.bigints };
}

class ExactParser {
  readonly bigints: BigIntField[] = [];
  private at = 0;
  private readonly path: Array<string | number> = [];

  constructor(private readonly text: string) {}

  parse(): unknown {
    return this.value();
  }

  private value(): unknown {
    this.space();
    const c = this.text.charCodeAt(this.at);
    if (c === 0x7b /* { */) return this.object();
    if (c === 0x5b /* [ */) return this.array();
    if (c === 0x22 /* " */) return this.string();
    if (c === 0x74 /* t */) return this.literal(4, true);
    if (c === 0x66 /* f */) return this.literal(5, false);
    if (c === 0x6e /* n */) return this.literal(4, null);
    return this.number();
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.at++;
    this.space();
    if (this.text.charCodeAt(this.at) === 0x7d /* } */) {
      this.at++;
      return out;
    }
    for (;;) {
      this.space();
      const key = this.string();
      this.space();
      this.at++; // ':'
      this.path.push(key);
      const item = this.value();
      this.path.pop();
      // JSON.parse makes "__proto__" an own property; an assignment would set the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      else out[key] = item;
      this.space();
      if (this.text.charCodeAt(this.at++) === 0x7d /* } */) return out;
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.at++;
    this.space();
    if (this.text.charCodeAt(this.at) === 0x5d /* ] */) {
      this.at++;
      return out;
    }
    for (;;) {
      this.path.push(out.length);
      out.push(this.value());
      this.path.pop();
      this.space();
      if (this.text.charCodeAt(this.at++) === 0x5d /* ] */) return out;
    }
  }

  private string(): string {
    const start = this.at;
    let i = start + 1;
    for (;;) {
      const c = this.text.charCodeAt(i);
      if (c === 0x5c /* \ */) i += 2;
      else if (c === 0x22 /* " */) break;
      else i++;
    }
    this.at = i + 1;
    const raw = this.text.slice(start, this.at);
    return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  private literal(length: number, value: boolean | null): boolean | null {
    this.at += length;
    return value;
  }

  private number(): number | bigint {
    const start = this.at;
    let i = start;
    let integer = true;
    for (; i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      if (c >= 0x30 && c <= 0x39) continue;
      if (c === 0x2d /* - */ && i === start) continue;
      if (c === 0x2e /* . */ || c === 0x65 /* e */ || c === 0x45 /* E */ || c === 0x2b /* + */ || c === 0x2d /* - */) {
        integer = false;
        continue;
      }
      break;
    }
    this.at = i;
    const token = this.text.slice(start, i);
    const n = Number(token);
    if (!integer || Number.isSafeInteger(n)) return n;
    const exact = BigInt(token);
    this.bigints.push({ path: formatPath(this.path), value: exact });
    return exact;
  }

  private space(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.at++;
      else return;
    }
  }
}

function formatPath(keys: ReadonlyArray<string | number>): string {
  let path = '';
  for (const key of keys) {
    if (typeof key === 'number') path += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) path += path === '' ? key : `.${key}`;
    else path += `[${JSON.stringify(key)}]`;
  }
  return path;
}
