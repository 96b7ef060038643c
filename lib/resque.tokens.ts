/** Every injection token of the library. Queue handles are strings so they read well in DI errors. */
export { MODULE_OPTIONS_TOKEN as RESQUE_MODULE_OPTIONS } from './resque.module-definition.js';

/** The module's Redis connection: an `OwnedRedis` (client + whether we must close it). */
export const RESQUE_REDIS = Symbol('ResqueRedis');

/** The token of the `QueueHandle` that `@InjectQueue(name)` injects. */
export function getQueueToken(name: string): string {
  return `ResqueQueue:${name}`;
}
