import { randomUUID } from 'node:crypto';

/** A prefix no other test uses, so tests on one server never see each other's keys. */
export function uniquePrefix(name = 't'): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}
