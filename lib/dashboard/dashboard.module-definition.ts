import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import { dashboardController } from './dashboard.controller.js';
import type { DashboardGuard, ResqueDashboardOptions } from './dashboard-options.js';
import { DASHBOARD_MOUNT, type DashboardMount } from './dashboard.tokens.js';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<ResqueDashboardOptions>({ moduleName: 'ResqueDashboard' })
    .setClassMethodName('forRoot')
    .setExtras({ path: 'resque', guards: [] as readonly DashboardGuard[] }, (definition, extras) => {
      const path = extras.path.replace(/^\/+|\/+$/g, '');
      const mount: Provider = { provide: DASHBOARD_MOUNT, useValue: { path, guarded: extras.guards.length > 0 } satisfies DashboardMount };
      return {
        ...definition,
        controllers: [dashboardController(path, extras.guards)],
        providers: [...(definition.providers ?? []), mount],
      };
    })
    .build();
