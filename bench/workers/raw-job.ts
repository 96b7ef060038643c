// The raw floor's list and record, shared by its adapter (producer) and worker.
import { randomBytes } from 'node:crypto';
import type { JobPayload } from '../protocol.js';

export const rawQueueKey = (queue: string) => `raw:queue:${queue}`;

/** The same bytes a Resque producer writes: class, args, a 32-hex id. */
export function rawJob(payload: JobPayload): string {
  return JSON.stringify({ class: 'NoopJob', args: [payload], id: randomBytes(16).toString('hex') });
}
