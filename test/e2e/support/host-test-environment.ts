/**
 * What every end-to-end file needs: a private redis-server and a client for the file, and the
 * hosts it starts, killed (with their children) after each test and at the end.
 */
import { after, afterEach, before } from 'node:test';
import { Redis } from 'ioredis';
import { RedisServer } from '../../support/redis-server.js';
import { Hosts } from './host-process.js';

export interface HostTestEnvironment {
  readonly server: RedisServer;
  readonly redis: Redis;
  readonly hosts: Hosts;
}

/** Registers the file's before/after hooks; the fields are ready inside tests. */
export function useHostTestEnvironment(): HostTestEnvironment {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  const hosts = new Hosts();
  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
  });
  afterEach(() => hosts.killAll());
  after(async () => {
    await hosts.killAll();
    redis?.disconnect();
    await server?.destroy();
  });
  return {
    get server() {
      return server!;
    },
    get redis() {
      return redis!;
    },
    hosts,
  };
}
