import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { createQueueProviders } from './client/queue-handle.providers.js';
import { QueueService } from './client/queue.service.js';
import { injectedQueueNames } from './decorators/inject-queue.decorator.js';
import { JobRunner } from './discovery/job-runner.service.js';
import { JobExplorer } from './discovery/job.explorer.js';
import { JobRegistry } from './discovery/job.registry.js';
import { JobOutcomes } from './events/job-outcomes.service.js';
import { ResqueEvents } from './events/resque-events.js';
import { resqueRedisProvider } from './redis/redis-client.provider.js';
import { resqueTracingProvider } from './tracing/tracing.provider.js';
import { ASYNC_OPTIONS_TYPE, ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE } from './resque.module-definition.js';
import { RESQUE_REDIS, RESQUE_TRACING } from './resque.tokens.js';
import { ScheduleRegistrar } from './scheduler/schedule-registrar.js';
import { RateLimitRegistrar } from './client/rate-limit-registrar.js';

/** Queue handles for `ResqueModule.registerQueue`, outside ResqueModule so its providers are not duplicated. */
@Module({})
export class ResqueQueueModule {}

/**
 * `ResqueModule.forRoot({ connection, prefix, worker })` (or `forRootAsync`) once, global by default.
 * Every queue named in an `@InjectQueue` gets its handle; `registerQueue` is the explicit fallback.
 *
 * @publicApi
 */
@Module({
  imports: [DiscoveryModule],
  providers: [resqueRedisProvider, resqueTracingProvider, QueueService, JobExplorer, JobRegistry, JobRunner, ResqueEvents, JobOutcomes, ScheduleRegistrar, RateLimitRegistrar],
  exports: [MODULE_OPTIONS_TOKEN, RESQUE_REDIS, RESQUE_TRACING, QueueService, ResqueEvents, JobOutcomes, JobRegistry, JobRunner],
})
export class ResqueModule extends ConfigurableModuleClass {
  static override forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    return withQueueHandles(super.forRoot(options));
  }

  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return withQueueHandles(super.forRootAsync(options));
  }

  static registerQueue(...names: string[]): DynamicModule {
    const providers = createQueueProviders(names);
    return { module: ResqueQueueModule, providers, exports: providers.map((p) => p.provide) };
  }
}

/**
 * The handles of every `@InjectQueue` name, read when Nest scans the module rather than when
 * forRoot runs: a decorator in a file evaluated after this call (a feature module that imports
 * the shared module first) still gets its handle.
 */
function withQueueHandles(definition: DynamicModule): DynamicModule {
  const handles = () => createQueueProviders(injectedQueueNames);
  return Object.defineProperties({ ...definition }, {
    providers: { enumerable: true, get: () => [...(definition.providers ?? []), ...handles()] },
    exports: { enumerable: true, get: () => [...(definition.exports ?? []), ...handles().map((p) => p.provide)] },
  });
}
