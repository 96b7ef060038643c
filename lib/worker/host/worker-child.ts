/**
 * One forked child as the host sees it.
 *
 *   booting -> spare (ready; in fork-per-job mode also connected and registered, held) -> working
 *   booting -> working (started as soon as it is ready)
 *   working -> finishing (its job quota is acknowledged; it is cleaning up) -> gone
 *   any     -> gone (exit; a registered child's exit other than code 0 is a crash)
 *
 * `timed` holds the jobs that have a deadline; `timedOut` those the host killed the child for.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { JobPolicy, ReadyMessage, HostMessage, ChildMessage } from '../ipc.js';
import { CHILD_ENV, TITLE_ROOM } from '../ipc.js';

export type ChildState = 'booting' | 'spare' | 'working' | 'finishing' | 'gone';
/** Why the host killed a child, which decides the fate of its jobs. */
export type KillReason = 'timeout' | 'usr1' | 'shutdown' | undefined;

export interface TimedJob {
  readonly className: string;
  readonly queue: string;
  readonly deadline: number;
}

export class WorkerChild {
  state: ChildState = 'booting';
  workerId: string | undefined;
  ready: ReadyMessage | undefined;
  /** Sent `start` with hold: it waits for `go`. */
  held = false;
  killReason: KillReason;
  readonly timed = new Map<string, TimedJob>();
  readonly timedOut = new Set<string>();
  readonly forkedAt = Date.now();

  private constructor(readonly process: ChildProcess) {}

  static fork(
    entry: string,
    execArgv: readonly string[],
    onMessage: (child: WorkerChild, message: ChildMessage) => void,
    env: Readonly<Record<string, string>> = {},
  ): WorkerChild {
    const proc = fork(entry, [...process.argv.slice(2), TITLE_ROOM], {
      env: { ...process.env, ...env, [CHILD_ENV]: '1' },
      execArgv: [...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const child = new WorkerChild(proc);
    proc.on('message', (message: ChildMessage) => onMessage(child, message));
    // An IPC write to a child that just died raises EPIPE here; its exit event handles the rest.
    proc.on('error', () => undefined);
    return child;
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get alive(): boolean {
    return this.state !== 'gone' && this.process.exitCode === null && this.process.signalCode === null;
  }

  send(message: HostMessage): void {
    if (this.process.connected) this.process.send(message, (error) => error && undefined);
  }

  kill(reason: KillReason): void {
    this.killReason ??= reason;
    if (this.alive) this.process.kill('SIGKILL');
  }

  /** Kills the child when one of its jobs is past its deadline (the job then fails as JobTimeoutError). */
  enforceDeadlines(now: number): void {
    for (const [token, job] of this.timed) {
      if (job.deadline <= now && !this.timedOut.has(token)) {
        this.timedOut.add(token);
        this.kill('timeout');
      }
    }
  }

  policy(className: string): JobPolicy | undefined {
    return this.ready?.jobs[className];
  }
}
