/**
 * @opentelemetry/api is an optional peer: loaded only when `ResqueModule.forRoot({ tracing: true })`
 * asks for it, like prom-client for metrics. Missing, it is one clear line (MissingPeerError).
 */
import type * as OtelApi from '@opentelemetry/api';
import { MissingPeerError } from '../errors/missing-peer.error.js';

export type Otel = typeof OtelApi;

export async function loadOtel(why: string): Promise<Otel> {
  try {
    const loaded = (await import('@opentelemetry/api')) as Otel & { default?: Otel };
    return loaded.default ?? loaded;
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND') throw new MissingPeerError('@opentelemetry/api', why);
    throw error;
  }
}
