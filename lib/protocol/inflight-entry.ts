/**
 * A worker's in-flight entry (`inflight:<worker id>`, token -> entry): which queue a job came from
 * and its exact bytes. Queue names are untrusted (any producer can `SADD queues`), so the name is
 * length-prefixed: "\n" <byte length of the name> "\n" <name> <raw payload>. Entries written before
 * this encoding ("<name>\n<raw>") never start with "\n" and still read as they were written.
 * exchange.lua writes entries; exchange.lua and recover.lua read them the same way in Lua.
 */
import { Buffer } from 'node:buffer';

export interface InflightEntry {
  readonly queue: string;
  readonly raw: string;
}

export function encodeInflightEntry(queue: string, raw: string): string {
  return `\n${Buffer.byteLength(queue)}\n${queue}${raw}`;
}

export function decodeInflightEntry(entry: string): InflightEntry {
  if (!entry.startsWith('\n')) {
    const cut = entry.indexOf('\n');
    return cut < 0 ? { queue: '', raw: entry } : { queue: entry.slice(0, cut), raw: entry.slice(cut + 1) };
  }
  const cut = entry.indexOf('\n', 1);
  const length = Number(entry.slice(1, cut));
  // The length counts bytes; the name is cut on bytes so a multibyte name is split where Lua splits it.
  const rest = Buffer.from(entry.slice(cut + 1));
  return { queue: rest.subarray(0, length).toString(), raw: rest.subarray(length).toString() };
}
