/**
 * What the host forks as a child: the bundled entry behind a code-cache loader, or the entry as it
 * is (child-bundle.ts), with the exec arguments and memory settings children get. A bundle that
 * cannot boot is abandoned for the entry as it is; a launch file that disappeared (a build
 * deleted it) is said once, and nothing is forked until it is back.
 */
import { childExecArgv, childMemoryEnv } from './child-exec-argv.js';
import { prepareChildLaunch, type ChildLaunch } from './child-bundle.js';
import { missingLaunchFile, missingLaunchMessage } from './missing-launch-file.js';
import { WorkerChild } from './worker-child.js';
import type { ChildMessage } from '../ipc.js';

export class ChildLauncher {
  private readonly entry = process.argv[1]!;
  private readonly execArgv = childExecArgv(process.execArgv);
  private launch: ChildLaunch = { file: this.entry, env: {}, bundled: false, note: '' };
  private missingSaid = false;

  constructor(private readonly log: (message: string) => void) {}

  /** Builds or finds the bundle (child-bundle.ts). */
  async prepare(): Promise<void> {
    this.launch = await prepareChildLaunch(this.entry, this.execArgv);
  }

  get file(): string {
    return this.launch.file;
  }

  get bundled(): boolean {
    return this.launch.bundled;
  }

  /** For the host's start line. */
  get description(): string {
    return this.launch.bundled ? `bundled entry, ${this.launch.note}` : `unbundled: ${this.launch.note}`;
  }

  /** From now on, fork the entry as it is. */
  fallBackToUnbundled(note: string): void {
    this.launch = { file: this.entry, env: {}, bundled: false, note };
  }

  /** Says once that the launch file is gone (missing-launch-file.ts); true while it is. */
  missing(): boolean {
    const missing = missingLaunchFile(this.launch);
    if (missing !== undefined && !this.missingSaid) this.log(missingLaunchMessage(missing));
    this.missingSaid = missing !== undefined;
    return this.missingSaid;
  }

  fork(onMessage: (child: WorkerChild, message: ChildMessage) => void): WorkerChild {
    return WorkerChild.fork(this.launch.file, this.execArgv, onMessage, { ...childMemoryEnv(), ...this.launch.env });
  }
}
