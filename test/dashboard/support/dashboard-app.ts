/**
 * An HTTP application with ResqueModule and ResqueDashboardModule on a private Redis and a unique
 * prefix, listening on a free loopback port, on Express or Fastify. `close()` ends it all.
 */
import 'reflect-metadata';
import type { INestApplication, Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { QueueService, ResqueKeys, ResqueModule } from '../../../lib/index.js';
import { ResqueDashboardModule, type ResqueDashboardExtras, type ResqueDashboardOptions } from '../../../lib/dashboard/index.js';
import type { RedisServer } from '../../support/redis-server.js';
import { uniquePrefix } from '../../support/unique.js';

export interface DashboardApp {
  readonly app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The dashboard's URL. */
  readonly url: string;
  readonly prefix: string;
  readonly keys: ResqueKeys;
  readonly queues: QueueService;
  close(): Promise<void>;
}

export interface DashboardAppOptions {
  readonly adapter?: 'express' | 'fastify';
  readonly prefix?: string;
  readonly dashboard?: ResqueDashboardOptions & ResqueDashboardExtras;
  readonly providers?: Provider[];
  /** Queues an in-process worker of this app would take. */
  readonly queues?: string[];
  readonly globalPrefix?: string;
}

export async function startDashboardApp(server: RedisServer, options: DashboardAppOptions = {}): Promise<DashboardApp> {
  const prefix = options.prefix ?? uniquePrefix('dash');
  const dashboard = options.dashboard ?? { public: true };
  const moduleRef = await Test.createTestingModule({
    imports: [
      ResqueModule.forRoot({ connection: server.url, prefix, worker: { queues: options.queues ?? ['dash'], interval: 0.05, blocking: false } }),
      ResqueDashboardModule.forRoot(dashboard),
    ],
    providers: options.providers ?? [],
  }).compile();
  const app = options.adapter === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: ['error'] }) : moduleRef.createNestApplication({ logger: ['error'] });
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const origin = `http://127.0.0.1:${address.port}`;
  const path = (dashboard.path ?? 'resque').replace(/^\/+|\/+$/g, '');
  const mount = [options.globalPrefix, path].filter(Boolean).join('/');
  return {
    app,
    origin,
    url: `${origin}/${mount}`,
    prefix,
    keys: new ResqueKeys(prefix),
    queues: app.get(QueueService),
    close: () => app.close(),
  };
}
