/**
 * What every end-to-end file needs: a private redis-server and a client for the file, and the
 * hosts it starts, killed (with their children) after each test and at the end.
 */
import { after, afterEach, before } from 'node:test';
import { Redis } from 'ioredis';
import { RedisServer, type RedisServerOptions } from '../../support/redis-server.js';
import { Hosts } from './host-process.js';

export interface HostTestEnvironment {
  readonly server: RedisServer;
  readonly redis: Redis;
  readonly hosts: Hosts;
}

/** Registers the file's before/after hooks; the fields are ready inside tests. */
export function useHostTestEnvironment(options: RedisServerOptions = {}): HostTestEnvironment {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  const hosts = new Hosts();
  before(async () => {
    server = await RedisServer.start(options);
    // Fault tests stop this server: the test's own commands wait for it instead of failing.
    redis = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    redis.on('error', () => undefined);
  }, { timeout: 30_000 });
  afterEach(async () => {
    await hosts.killAll();
    // A test that stopped the server (an outage) and failed before restarting it leaves it down.
    if (server && !server.running) await server.start();
  });
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
