/** Every injection token of the library. */
export { MODULE_OPTIONS_TOKEN as RESQUE_MODULE_OPTIONS } from './resque.module-definition.js';

/** `ResqueTracing` when `forRoot({ tracing: true })`, else null (lib/tracing). */
export const RESQUE_TRACING = Symbol('ResqueTracing');

/** The module's Redis connection: an `OwnedRedis` (client + whether we must close it). */
export const RESQUE_REDIS = Symbol('ResqueRedis');

/**
 * The token of the `QueueHandle` that `@InjectQueue(name)` injects. A symbol (the same one for a
 * name, in any copy of the library) whose description names the fix, because Nest prints it when
 * nothing provides the token: "... the argument Symbol(ResqueQueue:mail; ...) at index [0] ...".
 */
export function getQueueToken(name: string): symbol {
  return Symbol.for(`ResqueQueue:${name} (provide it: ResqueModule.forRoot() once and @InjectQueue('${name}'), or ResqueModule.registerQueue('${name}') in this module's imports)`);
}
