/**
 * Process titles in Resque's form, so `ps aux | grep resque` shows what each process does and
 * PHP and Ruby pruners on the same host (which grep for `resque` / `resque-[0-9]`) see our
 * processes as alive. Titles are set only when the state changes, never per job.
 */
import { printable } from '../protocol/printable.js';
import { VERSION } from '../version.js';

/** Titles carry names from Redis (queues, class names): escaped, so `ps` shows no control characters. */
export function setTitle(text: string): void {
  process.title = `resque-${VERSION}: ${printable(text, 200)}`;
}

export const titles = {
  starting: () => 'Starting',
  waiting: (queues: readonly string[]) => `Waiting for ${queues.join(',')}`,
  processing: (queue: string, className: string) => `Processing ${queue} since ${Math.floor(Date.now() / 1000)} [${className}]`,
  paused: () => 'Paused',
  forked: (pids: readonly number[]) => `Forked ${pids.join(',')} at ${Math.floor(Date.now() / 1000)}`,
  shuttingDown: () => 'Shutting down',
};
