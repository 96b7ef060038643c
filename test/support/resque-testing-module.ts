/** Boots a Nest testing module with ResqueModule on a private Redis and a unique key prefix. */
import 'reflect-metadata';
import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { ResqueKeys, ResqueModule, type ResqueModuleOptions } from '../../lib/index.js';
import type { RedisServer } from './redis-server.js';
import { uniquePrefix } from './unique.js';

export interface ResqueTestApp {
  readonly app: TestingModule;
  readonly keys: ResqueKeys;
}

export async function bootResque(
  server: RedisServer,
  providers: Provider[],
  options: Partial<ResqueModuleOptions> = {},
): Promise<ResqueTestApp> {
  const prefix = options.prefix ?? uniquePrefix('resque');
  const app = await Test.createTestingModule({
    imports: [ResqueModule.forRoot({ connection: server.url, ...options, prefix })],
    providers,
  }).compile();
  await app.init();
  return { app, keys: new ResqueKeys(prefix) };
}
