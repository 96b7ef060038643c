// `nestjs-resque/dashboard`: the operations dashboard, mounted in the application's HTTP server.
export { ResqueDashboardModule } from './resque-dashboard.module.js';
export type { ResqueDashboardOptions, ResqueDashboardExtras, DashboardGuard } from './dashboard-options.js';
export { DashboardNotSecuredError } from '../errors/dashboard-not-secured.error.js';
