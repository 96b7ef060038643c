import { Module } from '@nestjs/common';
import { ResqueDashboardModule } from '../lib/dashboard/index.js';
import { AppModule } from './app.module.js';
import { DashboardAuthGuard } from './dashboard-auth.guard.js';
import { UsersController } from './users.controller.js';

/**
 * The HTTP face of the sample; the worker boots AppModule alone, without controllers. The dashboard
 * is at /resque, behind basic auth (DASHBOARD_USER / DASHBOARD_PASSWORD; unset: closed).
 */
@Module({
  imports: [AppModule, ResqueDashboardModule.forRoot({ path: 'resque', guards: [DashboardAuthGuard] })],
  controllers: [UsersController],
})
export class HttpModule {}
