/**
 * The worker host's /metrics: node:http on 127.0.0.1 (no framework: one route), prom-client loaded
 * only now. One scrape covers the host: its children's job counters (merged from their IPC batches)
 * and the Redis gauges read at scrape time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RedisClient } from '../redis/connection.js';
import type { ResqueKeys } from '../protocol/keys.js';
import { JobMetricsTotals } from './job-metrics.js';
import type { Prom } from './load-prom-client.js';
import { registerResqueMetrics } from './prometheus-metrics.js';
import { readRedisSnapshot } from './redis-snapshot.js';

export interface HostMetricsServer {
  readonly totals: JobMetricsTotals;
  readonly port: number;
  close(): Promise<void>;
}

/** `prom`: loaded by the host at its start (loadPromClient), so a missing prom-client stops it before any child boots. */
export async function startHostMetricsServer(prom: Prom, port: number, redis: RedisClient, keys: ResqueKeys): Promise<HostMetricsServer> {
  const registry = new prom.Registry();
  const totals = new JobMetricsTotals();
  // The host's connection waits out outages (commands queue until Redis is back): while it is not
  // connected a scrape does not read, or every scrape of an outage would pile commands up.
  const snapshot = () => (redis.status === 'ready' ? readRedisSnapshot(redis, keys) : Promise.reject(new Error(`Redis ${redis.status}`)));
  registerResqueMetrics(prom, registry, { snapshot, totals });
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${error.message}\n`),
    );
  });
  // Keep-alive sockets of a scraper must not hold the host's exit.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  return {
    totals,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
