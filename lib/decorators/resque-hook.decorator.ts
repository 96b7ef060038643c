import { SetMetadata } from '@nestjs/common';

export type ResqueHookName = 'beforePerform' | 'afterPerform' | 'onFailure' | 'beforeEnqueue' | 'afterEnqueue';

export const RESQUE_HOOK_METADATA = 'resque:hook';

/** Classes with at least one `@ResqueHook` method, so the explorer inspects only those providers. */
export const hookHostClasses = new Set<Function>();

/**
 * Makes a provider method a module-wide listener, php-resque's `Resque_Event::listen`:
 *
 * | hook | called with | veto |
 * |---|---|---|
 * | `beforePerform` | `(ctx: JobContext)` | throw DontPerformError: the job is skipped and counts as done |
 * | `afterPerform` | `(ctx, result)` | |
 * | `onFailure` | `(error, ctx)` | its own errors are logged, never thrown |
 * | `beforeEnqueue` | `(e: EnqueueContext)` | throw DontCreateError: nothing is written, enqueue gives null |
 * | `afterEnqueue` | `(e: EnqueueContext)` | its errors are logged: the job is already stored |
 *
 * @publicApi
 */
export function ResqueHook(hook: ResqueHookName): MethodDecorator {
  return (target, key, descriptor) => {
    hookHostClasses.add(target.constructor);
    const existing = (Reflect.getMetadata(RESQUE_HOOK_METADATA, descriptor.value as object) as ResqueHookName[] | undefined) ?? [];
    SetMetadata(RESQUE_HOOK_METADATA, [...existing, hook])(target, key, descriptor);
  };
}
