/**
 * Collects at init: every `@Job` provider into JobRegistry (found through DiscoveryService by
 * the decorator's key, nothing else is scanned) and every `@ResqueHook` method as a module-wide
 * listener (only providers whose class the decorator recorded are inspected).
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { getJobMetadata, Job } from '../decorators/job.decorator.js';
import type { ResqueJob } from '../decorators/resque-job.interface.js';
import { hookHostClasses, RESQUE_HOOK_METADATA, type ResqueHookName } from '../decorators/resque-hook.decorator.js';
import { ScopedJobProviderError } from '../errors/scoped-job-provider.error.js';
import { JobRegistry, type HookListeners } from './job.registry.js';

/** DiscoveryService's wrapper type, named through its public API rather than core's internals. */
type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];

@Injectable()
export class JobExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: JobRegistry,
  ) {}

  onModuleInit(): void {
    this.exploreHooks();
    this.exploreJobs();
  }

  private exploreJobs(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: Job.KEY })) {
      const cls = classOf(wrapper);
      const metadata = cls && getJobMetadata(cls);
      if (!cls || !metadata) continue;
      if (!isSingleton(wrapper)) throw new ScopedJobProviderError(cls.name);
      this.registry.register(metadata, wrapper.instance as ResqueJob<unknown>, cls.name);
    }
  }

  private exploreHooks(): void {
    if (hookHostClasses.size === 0) return;
    for (const wrapper of this.discovery.getProviders()) {
      const cls = classOf(wrapper);
      if (!cls || !hookHostClasses.has(cls)) continue;
      if (!isSingleton(wrapper)) throw new ScopedJobProviderError(cls.name, '@ResqueHook provider');
      const instance = wrapper.instance as Record<string, (...args: never[]) => unknown>;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const hooks = Reflect.getMetadata(RESQUE_HOOK_METADATA, instance[method]) as ResqueHookName[] | undefined;
        for (const hook of hooks ?? []) {
          this.registry.addListener(hook, instance[method].bind(instance) as HookListeners[typeof hook][number]);
        }
      }
    }
  }
}

/** The provider's class: its metatype for class providers, its instance's constructor for factories and values. */
function classOf(wrapper: InstanceWrapper): Function | undefined {
  if (wrapper.metatype && !wrapper.inject) return wrapper.metatype as Function;
  const instance: unknown = wrapper.instance;
  return typeof instance === 'object' && instance !== null ? instance.constructor : undefined;
}

function isSingleton(wrapper: InstanceWrapper): boolean {
  return !wrapper.isTransient && wrapper.isDependencyTreeStatic() && wrapper.instance != null;
}
