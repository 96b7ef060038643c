import { ResqueError } from './resque.error.js';

/**
 * A `@Job` provider or `@ResqueHook` host is request-scoped or transient (or depends on such a
 * provider). Jobs and hooks run outside any request, on one long-lived instance.
 */
export class ScopedJobProviderError extends ResqueError {
  override name = 'ScopedJobProviderError';
  constructor(readonly provider: string, readonly role: '@Job provider' | '@ResqueHook provider' = '@Job provider') {
    super(`${role} ${provider} is request-scoped or transient (or depends on such a provider); it must be a singleton`);
  }
}
