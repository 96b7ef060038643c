import { Module, type DynamicModule } from '@nestjs/common';
import { DashboardNotSecuredError } from '../errors/dashboard-not-secured.error.js';
import { BulkTasks } from './bulk-tasks.js';
import { DashboardData } from './dashboard-data.js';
import type { ResolvedDashboardOptions, ResqueDashboardOptions } from './dashboard-options.js';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE } from './dashboard.module-definition.js';
import { DASHBOARD_CONFIG, DASHBOARD_MOUNT, type DashboardMount } from './dashboard.tokens.js';
import { HistorySampler } from './history-sampler.js';

/**
 * `ResqueDashboardModule.forRoot({ path: 'resque', guards: [AdminGuard] })` beside ResqueModule in
 * an HTTP app (Express or Fastify). Refuses to boot without a guard unless `readOnly` or `public`
 * is said explicitly (DashboardNotSecuredError).
 * @publicApi
 */
@Module({
  providers: [
    {
      provide: DASHBOARD_CONFIG,
      inject: [MODULE_OPTIONS_TOKEN, DASHBOARD_MOUNT],
      useFactory: (options: ResqueDashboardOptions, mount: DashboardMount): ResolvedDashboardOptions => {
        if (!secured(mount.guarded, options)) throw new DashboardNotSecuredError(mount.path);
        return {
          path: mount.path,
          guarded: mount.guarded,
          readOnly: options.readOnly === true,
          refreshMs: Math.max(0, (options.refreshSeconds ?? 5) * 1000),
          history: options.history ?? true,
          csrfSecret: options.csrfSecret,
          pageSize: Math.min(500, Math.max(1, options.pageSize ?? 25)),
          searchLimit: Math.max(1000, options.searchLimit ?? 10_000),
          title: options.title ?? 'Resque',
        };
      },
    },
    DashboardData,
    BulkTasks,
    HistorySampler,
  ],
})
export class ResqueDashboardModule extends ConfigurableModuleClass {
  /** Options known now are checked now: an unsecured dashboard fails where it is declared. (forRootAsync checks at boot.) */
  static override forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    if (!secured((options.guards?.length ?? 0) > 0, options)) throw new DashboardNotSecuredError((options.path ?? 'resque').replace(/^\/+|\/+$/g, ''));
    return super.forRoot(options);
  }
}

function secured(guarded: boolean, options: ResqueDashboardOptions): boolean {
  return guarded || options.readOnly === true || options.public === true;
}
