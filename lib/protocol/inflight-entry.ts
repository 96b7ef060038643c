/**
 * A worker's in-flight entry (`inflight:<worker id>`, token -> entry): which queue a job came from
 * and its exact bytes. Queue names are untrusted (any producer can `SADD queues`), so the name is
 * length-prefixed: "\n" <byte length of the name> "\n" <name> <raw payload>. Entries written before
 * this encoding ("<name>\n<raw>") never start with "\n" and still read as they were written.
 * exchange.lua writes entries; exchange.lua and recover.lua read them the same way in Lua.
 */
import { Buffer } from 'node:buffer';
import type { RedisClient } from '../redis/connection.js';

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

/** The exact payload bytes of an entry read as a Buffer (the same layout as decodeInflightEntry reads). */
export function inflightPayloadBytes(entry: Buffer): Buffer {
  if (entry[0] !== 0x0a) {
    const cut = entry.indexOf(0x0a);
    return cut < 0 ? entry : entry.subarray(cut + 1);
  }
  const cut = entry.indexOf(0x0a, 1);
  const length = Number(entry.subarray(1, cut).toString('latin1'));
  return entry.subarray(cut + 1 + length);
}

/** The exact bytes of one in-flight job (`inflight:<worker id>` field `token`), or null once it is gone. */
export async function readInflightPayload(redis: RedisClient, inflightKey: string, token: string): Promise<Buffer | null> {
  const entry = await redis.hgetBuffer(inflightKey, token);
  return entry === null ? null : inflightPayloadBytes(entry);
}
