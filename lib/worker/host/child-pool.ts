/**
 * The host's children and their count: forks until COUNT children work (plus the warm spares of
 * fork-per-job mode), places each child that becomes ready (working, spare, or not needed), and
 * backs off when children keep dying before they are ready. The host decides when the pool may
 * grow (`active`) and what a placed child is sent (`start`); what a child's exit means for its
 * jobs is the host's too (worker-host.ts).
 */
import type { WorkerSettings } from '../../options/worker-settings.js';
import type { ChildMessage } from '../ipc.js';
import type { ChildLauncher } from './child-launcher.js';
import type { WorkerChild } from './worker-child.js';

export interface ChildPoolOptions {
  readonly launcher: ChildLauncher;
  /** True while the host runs or is paused: the pool forks and places children only then. */
  readonly active: () => boolean;
  readonly paused: () => boolean;
  readonly onMessage: (child: WorkerChild, message: ChildMessage) => void;
  readonly onExit: (child: WorkerChild, code: number | null, signal: NodeJS.Signals | null) => void;
  /** The working set changed (process titles). */
  readonly onChange: () => void;
}

export class ChildPool {
  readonly children = new Set<WorkerChild>();
  /** Children that died before they were ready, since the last that was: the next forks back off. */
  bootFailures = 0;
  private fillTimer: NodeJS.Timeout | undefined;
  private settings: WorkerSettings | undefined;
  private start: ((child: WorkerChild, hold: boolean) => void) | undefined;

  constructor(private readonly options: ChildPoolOptions) {}

  /** Once the host runs: its settings, and how a placed child is started. */
  run(settings: WorkerSettings, start: (child: WorkerChild, hold: boolean) => void): void {
    this.settings = settings;
    this.start = start;
  }

  fork(): WorkerChild {
    const child = this.options.launcher.fork(this.options.onMessage);
    this.children.add(child);
    child.process.once('exit', (code, signal) => this.options.onExit(child, code, signal));
    return child;
  }

  /** Forgets an exited child. */
  remove(child: WorkerChild): void {
    child.state = 'gone';
    this.children.delete(child);
  }

  /** A ready child either starts working, stays as a warm spare, or is not needed (closing: drained or killed). */
  place(child: WorkerChild): void {
    const settings = this.settings;
    if (!this.options.active() || !settings || !this.start) {
      if (child.held) child.send({ type: 'drain' });
      else child.kill(undefined);
      return;
    }
    if (this.working().length < settings.count) {
      child.state = 'working';
      if (child.held) child.send({ type: 'go' });
      else this.start(child, false);
      if (this.options.paused()) child.send({ type: 'pause' });
      this.options.onChange();
      this.fill();
    } else if (settings.forkPerJob && this.spares().length <= settings.spares) {
      // A warm spare: connected and registered now, so taking a job later costs a round trip.
      if (!child.held) this.start(child, true);
    } else {
      child.kill(undefined);
    }
  }

  /** Spares first (they are ready), then new children for what is still missing. */
  replenish(): void {
    for (const spare of [...this.children]) if (spare.state === 'spare') this.place(spare);
    this.fill();
  }

  working(): WorkerChild[] {
    return [...this.children].filter((c) => c.state === 'working');
  }

  spares(): WorkerChild[] {
    return [...this.children].filter((c) => c.state === 'spare' || c.state === 'booting');
  }

  /** The worker ids of the live children, now. */
  workerIds(): string[] {
    return [...this.children].map((c) => c.workerId).filter((id): id is string => id !== undefined);
  }

  /** Forks children until COUNT work (plus the warm spares in fork-per-job mode). */
  fill(): void {
    const settings = this.settings;
    if (!settings || !this.options.active() || this.fillTimer) return;
    const spareTarget = settings.forkPerJob ? settings.spares : 0;
    const missing = () => settings.count + spareTarget - this.working().length - this.spares().length;
    if (missing() <= 0) return;
    const delay = this.bootFailures === 0 ? 0 : Math.min(30_000, 100 * 2 ** this.bootFailures);
    const run = () => {
      this.fillTimer = undefined;
      if (!this.options.active()) return;
      if (this.options.launcher.missing()) {
        this.fillTimer = setTimeout(run, 1_000);
        return;
      }
      for (let i = missing(); i > 0; i--) this.fork();
    };
    if (delay === 0) run();
    else this.fillTimer = setTimeout(run, delay);
  }

  /** No more forks (the host drains or stops). */
  stopFilling(): void {
    if (this.fillTimer) clearTimeout(this.fillTimer);
  }
}
