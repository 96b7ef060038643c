import type { CanActivate, Type } from '@nestjs/common';

/** A guard class (instantiated by Nest in the dashboard's module) or an instance. */
export type DashboardGuard = CanActivate | Type<CanActivate>;

/**
 * How the dashboard is mounted and who may use it; `path` and `guards` are fixed when the module is
 * declared (they become the controller's route and guards), the rest may come from forRootAsync.
 * @publicApi
 */
export interface ResqueDashboardExtras {
  /** Where it is mounted in the HTTP app, under any global prefix (default `resque`: `/resque`). */
  readonly path?: string;
  /** Every request (pages, assets, actions) must pass all of them; a guard refusing gives 403, or its own exception (401...). */
  readonly guards?: readonly DashboardGuard[];
}

/** @publicApi */
export interface ResqueDashboardOptions {
  /** Pages only: every action (retry, remove...) is refused with 403. With no guard, anyone may look. */
  readonly readOnly?: boolean;
  /** Serve with no guard, actions included (still CSRF-protected). Say it explicitly, or pass guards. */
  readonly public?: boolean;
  /** Live refresh interval of the pages in seconds (default 5; 0 turns live refresh off). */
  readonly refreshSeconds?: number;
  /** Sample the global stat counters once a minute into the shared history the chart reads (default true). */
  readonly history?: boolean;
  /** Secret the CSRF tokens are derived from; give the same one to every instance behind one load balancer (default: random per process). */
  readonly csrfSecret?: string;
  /** Rows per page (default 25). */
  readonly pageSize?: number;
  /** Most failure records one filtered search request reads before it stops and offers to go on (default 10,000). */
  readonly searchLimit?: number;
  /** Shown in the header (default "Resque"). */
  readonly title?: string;
}

export interface ResolvedDashboardOptions {
  readonly path: string;
  readonly guarded: boolean;
  readonly readOnly: boolean;
  readonly refreshMs: number;
  readonly history: boolean;
  readonly csrfSecret?: string;
  readonly pageSize: number;
  readonly searchLimit: number;
  readonly title: string;
}
