/**
 * A real worker host for end-to-end tests: `node dist/test/fixtures/worker.js` spawned with the
 * given environment, in its own process group (so the host and every child it forked can be
 * killed at once), with its output captured line by line.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../support/wait.js';

/** The compiled fixture entry (this file runs from dist/test/e2e/support/). */
export const WORKER_ENTRY = fileURLToPath(new URL('../../fixtures/worker.js', import.meta.url));

export interface HostExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Only what the host needs from the test runner's environment: no QUEUE, COUNT, NODE_TEST_CONTEXT... leak in. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export class HostProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  /** Resolves when the host process exits (its children may live on). */
  readonly exited: Promise<HostExit>;
  private exitInfo: HostExit | undefined;

  private constructor(private readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => this.stdout.push(line));
    createInterface({ input: proc.stderr! }).on('line', (line) => this.stderr.push(line));
  }

  /**
   * Spawns a host with `env` on top of a minimal environment (the fixture app's worker unless
   * `entry`); `wrapper` runs it under another command (e.g. `unshare --pid --fork`).
   */
  static start(env: Record<string, string>, entry = WORKER_ENTRY, wrapper: readonly string[] = []): HostProcess {
    const [command, ...args] = [...wrapper, process.execPath, entry];
    const proc = spawn(command, args, {
      env: { ...baseEnv(), ...env },
      detached: true, // its own process group: killGroup() reaches every child it forked
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new HostProcess(proc);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The exit code and signal, once exited. */
  get exit(): HostExit | undefined {
    return this.exitInfo;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** The pids of the host's live children (`ps --ppid`). */
  children(): number[] {
    return childPids(this.pid);
  }

  /** Everything the host and its children printed, for assertion messages. */
  output(): string {
    return [`--- host ${this.pid} stdout`, ...this.stdout, `--- stderr`, ...this.stderr].join('\n');
  }

  /** Waits for a stdout line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return waitFor(() => this.stdout.find((line) => pattern.test(line)), `host line ${pattern}\n${this.output()}`, timeoutMs, 20);
  }

  /** Waits until `count` children run (and returns their pids). */
  waitForChildren(count: number, timeoutMs = 15_000): Promise<number[]> {
    return waitFor(() => {
      const pids = this.children();
      return pids.length === count ? pids : undefined;
    }, `${count} children of host ${this.pid}\n${this.output()}`, timeoutMs, 50);
  }

  /** Waits for the host to exit (at once if it already has), failing after `timeoutMs`. */
  async waitForExit(timeoutMs = 15_000): Promise<HostExit> {
    if (this.exitInfo) return this.exitInfo;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`host ${this.pid} did not exit within ${timeoutMs} ms\n${this.output()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILLs the host's whole process group (host, children, orphans) and waits for the host. */
  async killGroup(): Promise<void> {
    killGroup(this.pid);
    await this.exited;
    await waitFor(() => !groupAlive(this.pid), `process group ${this.pid} to die`, 5_000, 20);
  }
}

function ps(args: string[]): string {
  try {
    return execFileSync('ps', args, { encoding: 'utf8' });
  } catch {
    return ''; // ps exits 1 when nothing matches
  }
}

export function childPids(parent: number): number[] {
  return ps(['--ppid', String(parent), '-o', 'pid='])
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** A process's title as `ps` shows it (its command line), or undefined when it is gone. */
export function titleOf(pid: number): string | undefined {
  const out = ps(['-o', 'args=', '-p', String(pid)]).trim();
  return out === '' ? undefined : out;
}

/** True while the process runs (a zombie waiting to be reaped is not running). */
export function isAlive(pid: number): boolean {
  const stat = ps(['-o', 'stat=', '-p', String(pid)]).trim();
  return stat !== '' && !stat.startsWith('Z');
}

/** The live (not zombie) processes of a process group. */
export function groupPids(pgid: number): number[] {
  return ps(['-e', '-o', 'pid=,pgid=,stat='])
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && stat !== undefined && !stat.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

/** True while any process of the group still runs (zombies waiting to be reaped do not count). */
export function groupAlive(pgid: number): boolean {
  return groupPids(pgid).length > 0;
}

export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Tracks every host a test file starts, so `after` can kill them all, whatever failed. */
export class Hosts {
  private readonly all: HostProcess[] = [];

  start(env: Record<string, string>, wrapper: readonly string[] = [], entry = WORKER_ENTRY): HostProcess {
    const host = HostProcess.start(env, entry, wrapper);
    this.all.push(host);
    return host;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.all.map((host) => host.killGroup()));
    this.all.length = 0;
  }
}
