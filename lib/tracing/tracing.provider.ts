import type { FactoryProvider } from '@nestjs/common';
import type { ResqueModuleOptions } from '../options/resque-options.js';
import { MODULE_OPTIONS_TOKEN } from '../resque.module-definition.js';
import { RESQUE_TRACING } from '../resque.tokens.js';
import { ResqueTracing } from './resque-tracing.js';

/** ResqueTracing when `forRoot({ tracing: true })`, else null; @opentelemetry/api is loaded only then. */
export const resqueTracingProvider: FactoryProvider<ResqueTracing | null> = {
  provide: RESQUE_TRACING,
  useFactory: async (options: ResqueModuleOptions) => (options.tracing ? ResqueTracing.load() : null),
  inject: [MODULE_OPTIONS_TOKEN],
};
