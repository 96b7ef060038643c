import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ResqueHealthIndicator } from './resque-health.indicator.js';

/** `imports: [ResqueHealthModule]` (after ResqueModule) to inject ResqueHealthIndicator beside terminus' HealthCheckService. @publicApi */
@Module({ imports: [TerminusModule], providers: [ResqueHealthIndicator], exports: [ResqueHealthIndicator, TerminusModule] })
export class ResqueHealthModule {}
