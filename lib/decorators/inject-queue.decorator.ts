import { Inject } from '@nestjs/common';
import { getQueueToken } from '../resque.tokens.js';

/** Queue names seen by `@InjectQueue`; `ResqueModule.forRoot` provides a handle for each, read when Nest scans the module. */
export const injectedQueueNames = new Set<string>();

/**
 * Injects the `QueueHandle` of one queue. No registration call is needed: `ResqueModule.forRoot`
 * provides every name used here (`ResqueModule.registerQueue` is the explicit fallback).
 *
 * @publicApi
 */
export function InjectQueue(name: string): PropertyDecorator & ParameterDecorator {
  injectedQueueNames.add(name);
  return Inject(getQueueToken(name));
}
