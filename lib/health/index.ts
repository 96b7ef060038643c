// `nestjs-resque/health`: apart from the main entry because it imports @nestjs/terminus (an optional peer).
export { ResqueHealthModule } from './resque-health.module.js';
export { ResqueHealthIndicator, type HealthCheckTimeout } from './resque-health.indicator.js';
export type { WorkersCheckOptions, LatencyCheckOptions } from './resque-health-checks.js';
