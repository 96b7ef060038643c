/**
 * Node flags and memory settings for worker children: the host's own flags minus debugger ones,
 * plus, unless the user chose them:
 *   --max-semi-space-size=4  V8's default (16 MB semi-spaces) lets a busy child's RSS climb ~20 MB
 *                            for garbage a short-lived job never needed; 4 MB costs about 3% of
 *                            throughput in the benchmark.
 *   --v8-pool-size=1         one V8 background thread instead of four: fewer thread stacks and
 *                            malloc arenas (~4 MB of peak RSS); a child's work is on its main thread.
 *   MALLOC_ARENA_MAX=2       glibc keeps one arena per thread that ever allocated (V8's compiler and
 *                            GC threads do); two are plenty (~3 MB). Ignored by other allocators.
 * Together a sample child at concurrency 1 peaks near 86 MB instead of 93 (bench/memory.ts).
 */
const SEMI_SPACE = '--max-semi-space-size';
const POOL_SIZE = '--v8-pool-size';

export function childExecArgv(hostExecArgv: readonly string[], nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const flags = hostExecArgv.filter((arg) => !arg.startsWith('--inspect'));
  const chose = (flag: string) => flags.some((arg) => arg.startsWith(flag)) || nodeOptions.includes(flag);
  if (!chose(SEMI_SPACE)) flags.push(`${SEMI_SPACE}=4`);
  if (!chose(POOL_SIZE)) flags.push(`${POOL_SIZE}=1`);
  return flags;
}

/** Environment added to a child's (the host's environment wins). */
export function childMemoryEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return env.MALLOC_ARENA_MAX === undefined ? { MALLOC_ARENA_MAX: '2' } : {};
}
