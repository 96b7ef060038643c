/**
 * Failure records for browsing: a page of them, or a filtered search that scans the list in
 * chunks. Each entry carries the sha1 of its stored bytes, so an action on it later can check it
 * still addresses the same record (act-on-failed.lua). A search never reads more than `scanLimit`
 * records per call and says where it stopped, so one request stays bounded however long the list.
 */
import { createHash } from 'node:crypto';
import type { FailedJob } from '../protocol/records.js';
import { parseFailureRecord } from '../protocol/records.js';
import type { ResqueClient } from './resque-client.js';

export interface FailedEntry extends FailedJob {
  /** sha1 (hex) of the record's bytes as stored. */
  readonly digest: string;
}

/** Every given field must match: queue, class and exception exactly, text anywhere in the record (any case). */
export interface FailedFilter {
  readonly queue?: string;
  readonly className?: string;
  readonly exception?: string;
  readonly text?: string;
}

export interface FailedSearch {
  readonly matches: FailedEntry[];
  /** Where to search on from, or null when the end of the list was reached. */
  readonly next: number | null;
  readonly scanned: number;
  /** The list's length when the search started. */
  readonly total: number;
}

const CHUNK = 1000;

export function digestOf(bytes: Buffer | string): string {
  return createHash('sha1').update(bytes).digest('hex');
}

export function isEmptyFilter(filter: FailedFilter): boolean {
  return !filter.queue && !filter.className && !filter.exception && !filter.text;
}

/** `count` records from index `start`, with their digests. */
export function failedEntries(client: ResqueClient, start: number, count: number): Promise<FailedEntry[]> {
  const { redis, keys } = client;
  return client.call('failed', false, async () => {
    const stored = await redis.lrangeBuffer(keys.failed, start, start + count - 1);
    return stored.map((bytes, i) => entryOf(start + i, bytes));
  });
}

/** Up to `limit` records matching `filter` from index `from` on, reading at most `scanLimit` records. */
export async function searchFailed(
  client: ResqueClient,
  filter: FailedFilter,
  from: number,
  options: { readonly limit?: number; readonly scanLimit?: number } = {},
): Promise<FailedSearch> {
  const limit = options.limit ?? 25;
  const scanLimit = options.scanLimit ?? 10_000;
  const { redis, keys } = client;
  const total = await client.call('failedCount', false, () => redis.llen(keys.failed));
  const matches: FailedEntry[] = [];
  const match = matcher(filter);
  let cursor = Math.max(0, from);
  let scanned = 0;
  while (cursor < total && scanned < scanLimit) {
    const count = Math.min(CHUNK, scanLimit - scanned);
    const stored = await client.call('failed', false, () => redis.lrangeBuffer(keys.failed, cursor, cursor + count - 1));
    if (stored.length === 0) break;
    for (let i = 0; i < stored.length; i++) {
      const raw = stored[i]!.toString('utf8');
      if (!match(raw)) continue;
      matches.push({ ...entryOf(cursor + i, stored[i]!), raw });
      if (matches.length === limit) return { matches, next: cursor + i + 1 < total ? cursor + i + 1 : null, scanned: scanned + i + 1, total };
    }
    cursor += stored.length;
    scanned += stored.length;
  }
  return { matches, next: cursor < total ? cursor : null, scanned, total };
}

/**
 * A predicate over a record's raw text. Quick tests on the text first (a field's value must appear in
 * it as JSON; skipped for values PHP may write escaped: `/`, non-ASCII), then the fields
 * (JSON.parse: only strings are compared), so a search mostly parses the records that match.
 */
export function matcher(filter: FailedFilter): (raw: string) => boolean {
  const text = filter.text ? new RegExp(filter.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i') : undefined;
  const fields = Boolean(filter.queue || filter.className || filter.exception);
  const needles = [filter.queue, filter.className, filter.exception].filter((v): v is string => typeof v === 'string' && /^[\x20-\x7e]+$/.test(v) && !/[/\\"]/.test(v)).map((v) => `"${v}"`);
  return (raw) => {
    if (text && !text.test(raw)) return false;
    if (!fields) return true;
    for (const needle of needles) if (!raw.includes(needle)) return false;
    let record: { queue?: unknown; exception?: unknown; payload?: { class?: unknown } | null };
    try {
      record = JSON.parse(raw) as typeof record;
    } catch {
      return false;
    }
    if (typeof record !== 'object' || record === null) return false;
    if (filter.queue && record.queue !== filter.queue) return false;
    if (filter.exception && record.exception !== filter.exception) return false;
    if (filter.className) {
      const payload = record.payload;
      if (typeof payload !== 'object' || payload === null || payload.class !== filter.className) return false;
    }
    return true;
  };
}

function entryOf(index: number, bytes: Buffer): FailedEntry {
  const raw = bytes.toString('utf8');
  return { index, raw, record: parseFailureRecord(raw), digest: digestOf(bytes) };
}
