/**
 * The one rule for queue names, applied at enqueue, to `@Job` queues, to QUEUE, and to names read
 * from the `queues` set in `*` mode (a name breaking it is skipped there and reported once).
 *
 * A valid name is 1 to 128 characters (code points) with none of:
 * - `,` (QUEUE lists and worker ids `host:pid:q1,q2` split on it),
 * - `:` (node-resque takes a worker id's queues after its last colon; `queue:a:b` also reads like
 *   another key to tools that scan keys),
 * - `*` (Ruby's and our wildcard),
 * - whitespace, control, format (bidi overrides), surrogate, private-use or unassigned code
 *   points, and U+FFFD (what a Redis client shows for bytes that are not UTF-8).
 * Every Resque (PHP, Ruby, node-resque, resque-web) reads such a name back unchanged.
 */
import { InvalidQueueNameError } from '../errors/invalid-queue-name.error.js';

export const MAX_QUEUE_NAME_LENGTH = 128;

const FORBIDDEN = /[\p{C}\p{Z}\s:,*\uFFFD]/u;

/** Why `name` is not a valid queue name, or undefined when it is. */
export function queueNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `it is a ${name === null ? 'null' : typeof name}, not a string`;
  if (name === '') return 'it is empty';
  // length counts UTF-16 units, at least the code points: only long names need the exact count.
  if (name.length > MAX_QUEUE_NAME_LENGTH && [...name].length > MAX_QUEUE_NAME_LENGTH) {
    return `it is longer than ${MAX_QUEUE_NAME_LENGTH} characters`;
  }
  const bad = FORBIDDEN.exec(name);
  if (bad) return `it contains ${describe(bad[0])}`;
  return undefined;
}

export function isValidQueueName(name: unknown): name is string {
  return queueNameProblem(name) === undefined;
}

/** The last name that passed: enqueue checks the same few names over and over. */
let lastValid = '';

/** Throws InvalidQueueNameError (with the reason) unless `name` follows the rule. */
export function assertQueueName(name: unknown): asserts name is string {
  if (name === lastValid && name !== '') return;
  const problem = queueNameProblem(name);
  if (problem !== undefined) throw new InvalidQueueNameError(name, problem);
  lastValid = name as string;
}

function describe(char: string): string {
  if (char === ',' || char === ':' || char === '*') return `"${char}"`;
  if (char === ' ') return 'a space';
  const code = char.codePointAt(0)!;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} (whitespace, a control or an unprintable character)`;
}
