/** The mount point and whether guards were given (extras, known when the module is declared). */
export const DASHBOARD_MOUNT = Symbol('ResqueDashboardMount');
/** ResolvedDashboardOptions: the options with defaults, checked at boot. */
export const DASHBOARD_CONFIG = Symbol('ResqueDashboardConfig');

export interface DashboardMount {
  readonly path: string;
  readonly guarded: boolean;
}
