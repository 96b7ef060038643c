/** What the worker needs to know of a class for retries, uniqueness and run-time locks: its @Job options, or the module's default retry. */
import type { JobRegistry } from '../../discovery/job.registry.js';
import type { ResqueModuleOptions } from '../../options/resque-options.js';
import type { JobClassPolicy } from '../../scheduler/job-lifecycle.js';

export function jobPolicyOf(registry: JobRegistry, moduleOptions: ResqueModuleOptions): (className: string) => JobClassPolicy | undefined {
  return (className) => {
    const metadata = registry.get(className)?.metadata;
    const retry = metadata?.retry ?? moduleOptions.retry;
    if (!retry && !metadata?.unique && !metadata?.lock) return undefined;
    return { retry, unique: metadata?.unique, lock: metadata?.lock };
  };
}
