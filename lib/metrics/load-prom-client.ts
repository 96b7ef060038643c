/**
 * prom-client is an optional peer: loaded only when metrics are asked for (METRICS_PORT, or the
 * app's ResqueMetricsModule), so a host without it starts as before. Missing, it is one clear line.
 */
import type * as PromClient from 'prom-client';
import { MissingPeerError } from '../errors/missing-peer.error.js';

export type Prom = typeof PromClient;

export async function loadPromClient(why: string): Promise<Prom> {
  try {
    const loaded = (await import('prom-client')) as Prom & { default?: Prom };
    // A CommonJS package: its exports are the default export, and named ones where Node detects them.
    return loaded.default ?? loaded;
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new MissingPeerError('prom-client', why);
    }
    throw error;
  }
}
