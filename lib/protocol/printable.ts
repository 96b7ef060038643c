/**
 * Text from Redis (class names, queue names, error texts, payload pieces) is untrusted. Before it
 * reaches a log line, a process title or an error message it goes through `printable`, so a
 * producer cannot forge a log line with a newline, clear a terminal with an escape sequence or flip
 * the text's direction with a bidi override.
 */

/** Control, format, surrogate, private-use and unassigned code points, plus line and paragraph separators. */
const UNPRINTABLE = /[\p{C}\u2028\u2029]/u;
const UNPRINTABLE_ALL = /[\p{C}\u2028\u2029]/gu;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Default longest text kept in a log line; the rest is replaced by a count. */
export const PRINTABLE_MAX = 1000;

/**
 * `text` with every non-printable character written as an escape (`\n`, `\x1b`, `\u202e`,
 * `\u{e0001}`), and cut to `max` characters with a `…(+N chars)` marker. Printable text comes back
 * as is (one regex test), so calling it on every log line costs nothing noticeable.
 */
export function printable(text: unknown, max = PRINTABLE_MAX): string {
  let value = typeof text === 'string' ? text : String(text);
  let cut = '';
  if (value.length > max) {
    cut = `…(+${value.length - max} chars)`;
    value = value.slice(0, max);
    // Never end on half a surrogate pair: it would print as an escape of its own.
    if (/[\uD800-\uDBFF]$/.test(value)) value = value.slice(0, -1);
  }
  if (!UNPRINTABLE.test(value)) return value + cut;
  return value.replace(UNPRINTABLE_ALL, escape) + cut;
}

/**
 * `text` cut to `max` characters with a `…(+N chars)` marker, not escaped: for what a failure
 * record copies from a payload (JSON escapes it there), so a 1 MB class name is not stored twice.
 */
export function clip(text: string, max = 256): string {
  if (text.length <= max) return text;
  let kept = text.slice(0, max);
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return `${kept}…(+${text.length - kept.length} chars)`;
}

function escape(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.codePointAt(0)!;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\u{${code.toString(16)}}`;
}
