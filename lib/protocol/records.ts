/**
 * Readers for records other Resques write: failure records (`failed`) and "working on" records
 * (`worker:<id>`). They edit records as text, so bytes we do not touch stay as the writer wrote
 * them (PHP's `\/`, integers beyond 2^53, `[]` vs `{}`).
 */
import { parseExact } from './exact-json.js';
import { toJobJson } from './job-json.js';
import type { FailureRecord } from './failure.js';

/** A failure record as listed: `record` is null when the stored text is not a JSON object. */
export interface FailedJob {
  readonly index: number;
  readonly raw: string;
  readonly record: FailureRecord | null;
}

/** What a worker is running now (`worker:<id>`), in any Resque's shape. */
export interface WorkingOn {
  readonly queue: string;
  /** As the worker wrote it: ISO-8601 (Ruby, ours), `date('c')` or strftime (PHP), JS Date#toString (node). */
  readonly run_at: string;
  readonly payload: unknown;
  /** `host:pid` of the process running it: node-resque and ours write it, Ruby and PHP do not. */
  readonly worker?: string;
}

export function parseFailureRecord(raw: string): FailureRecord | null {
  const parsed = parseObject(raw);
  return parsed === null ? null : (parsed as unknown as FailureRecord);
}

export function parseWorkingOn(raw: string | null): WorkingOn | null {
  const parsed = raw === null ? null : parseObject(raw);
  if (parsed === null) return null;
  return {
    queue: typeof parsed.queue === 'string' ? parsed.queue : '',
    run_at: typeof parsed.run_at === 'string' ? parsed.run_at : String(parsed.run_at ?? ''),
    payload: parsed.payload,
    ...(typeof parsed.worker === 'string' ? { worker: parsed.worker } : {}),
  };
}

/** The failure record's queue and its payload's exact bytes, or a one-line reason it has none. */
export function retryTarget(raw: string): { queue: string; payload: string } | { problem: string } {
  const record = parseObject(raw);
  if (record === null) return { problem: 'the record is not a JSON object' };
  if (typeof record.queue !== 'string' || record.queue === '') return { problem: 'the record has no queue' };
  const payload = record.payload;
  if (typeof payload !== 'object' || payload === null || typeof (payload as { class?: unknown }).class !== 'string') {
    return { problem: 'the record holds no job payload with a class' };
  }
  const span = topLevelValueSpan(raw, 'payload');
  return { queue: record.queue, payload: span ? raw.slice(span[0], span[1]) : toJobJson(payload) };
}

/** Ruby's `Failure.requeue` mark: sets `retried_at`, editing only that field's text. */
export function withRetriedAt(raw: string, retriedAt: string): string {
  const value = JSON.stringify(retriedAt);
  const span = topLevelValueSpan(raw, 'retried_at');
  if (span) return raw.slice(0, span[0]) + value + raw.slice(span[1]);
  const close = raw.lastIndexOf('}');
  const empty = /^\{\s*$/.test(raw.slice(0, close));
  return `${raw.slice(0, close)}${empty ? '' : ','}"retried_at":${value}${raw.slice(close)}`;
}

function parseObject(raw: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = parseExact(raw).value; // PHP's 64-bit ids stay exact (bigint)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * [start, end) of the text of `key`'s value in a JSON object's top level, or undefined.
 * Assumes `json` is valid JSON (callers parse it first).
 */
export function topLevelValueSpan(json: string, key: string): [number, number] | undefined {
  let i = skipSpace(json, 0);
  if (json[i] !== '{') return undefined;
  i = skipSpace(json, i + 1);
  while (i < json.length && json[i] !== '}') {
    const keyEnd = stringEnd(json, i);
    const name = JSON.parse(json.slice(i, keyEnd)) as string;
    i = skipSpace(json, skipSpace(json, keyEnd) + 1); // past ':'
    const valueEnd = valueEndAt(json, i);
    if (name === key) return [i, valueEnd];
    i = skipSpace(json, valueEnd);
    if (json[i] === ',') i = skipSpace(json, i + 1);
  }
  return undefined;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

/** `s[i]` is an opening quote; returns the index after the closing one. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  return s.length;
}

function valueEndAt(s: string, i: number): number {
  const first = s[i];
  if (first === '"') return stringEnd(s, i);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const c = s[j];
      if (c === '"') j = stringEnd(s, j) - 1;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return s.length;
  }
  let j = i;
  while (j < s.length && !',}] \n\r\t'.includes(s[j])) j++;
  return j;
}
