/**
 * An entry of the wake-up stream (keys.ts `wake`), as enqueue.lua writes it: field `q` = the queue
 * that got work ('' for any). For writers outside Lua (resuming a paused queue wakes its idle workers).
 */
export function wakeEntryArgs(queue: string): string[] {
  return ['MAXLEN', '~', '100', '*', 'q', queue];
}
