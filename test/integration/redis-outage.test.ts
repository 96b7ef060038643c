import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { QueueService, RESQUE_REDIS, RedisUnavailableError, ResqueClient, ResqueKeys, type ResqueKeys as Keys } from '../../lib/index.js';
import type { OwnedRedis } from '../../lib/redis/connection.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';
import { uniquePrefix } from '../support/unique.js';

const TIMEOUT_MS = 300;

let server: RedisServer;
let app: TestingModule;
let keys: Keys;

before(async () => {
  server = await RedisServer.start();
  ({ app, keys } = await bootResque(server, [], { enqueueTimeout: TIMEOUT_MS }));
});
after(async () => {
  await app.close();
  await server.destroy();
});

test('enqueue fails fast with RedisUnavailableError while Redis is down, stores nothing, and works after it is back', async () => {
  const queues = app.get(QueueService);
  const client = app.get<OwnedRedis>(RESQUE_REDIS).client;
  assert.ok(await queues.enqueue('outage', 'Job', { n: 0 }));

  const closed = once(client, 'close');
  await server.stop();
  await closed;
  for (let n = 1; n <= 3; n++) {
    const startedAt = Date.now();
    await assert.rejects(queues.enqueue('outage', 'Job', { n }), (error: unknown) => {
      assert.ok(error instanceof RedisUnavailableError, String(error));
      assert.equal(error.mayBeStored, false);
      assert.equal(error.timeoutMs, TIMEOUT_MS);
      return true;
    });
    const took = Date.now() - startedAt;
    assert.ok(took >= TIMEOUT_MS - 20 && took < TIMEOUT_MS + 500, `failed after ${took} ms`);
  }
  await assert.rejects(queues.size('outage'), RedisUnavailableError);

  await server.start(); // the data was not persisted: the first job is gone with the server
  await once(client, 'ready');
  const id = await queues.enqueue('outage', 'Job', { n: 4 });
  assert.ok(id);
  const check = new Redis(server.url);
  try {
    const stored = await check.lrange(keys.queue('outage'), 0, -1);
    assert.equal(stored.length, 1, 'none of the refused jobs was stored later');
    assert.deepEqual(JSON.parse(stored[0]).args, [{ n: 4 }]);
  } finally {
    check.disconnect();
  }
});

test('an enqueue issued during the outage waits for the reconnect when it comes within the timeout', async () => {
  const redis = new Redis(server.url, { retryStrategy: () => 50 });
  redis.on('error', () => undefined);
  const client = new ResqueClient({ redis, keys: new ResqueKeys(uniquePrefix()), enqueueTimeoutMs: 3000 });
  try {
    await client.enqueue('q', 'Job', 1);
    const closed = once(redis, 'close');
    await server.stop();
    await closed;
    const pending = client.enqueue('q', 'Job', 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.start();
    assert.match(await pending, /^[0-9a-f]{32}$/);
    assert.equal(await client.size('q'), 1);
  } finally {
    redis.disconnect();
  }
});

test('a closed client fails at once', async () => {
  const redis = new Redis(server.url);
  const client = new ResqueClient({ redis, keys: new ResqueKeys(uniquePrefix()), enqueueTimeoutMs: 5000 });
  await client.enqueue('q', 'Job', 1);
  const ended = once(redis, 'end');
  await redis.quit();
  await ended;
  const startedAt = Date.now();
  await assert.rejects(client.enqueue('q', 'Job', 2), (error: unknown) => {
    assert.ok(error instanceof RedisUnavailableError && error.closed && !error.mayBeStored);
    assert.equal(error.message, 'Redis unavailable: enqueue found the connection closed; nothing was written');
    return true;
  });
  assert.ok(Date.now() - startedAt < 100);
});

test('a connected Redis that does not answer: enqueue fails at its deadline saying the job may be stored, alone and in a batch', async () => {
  const redis = new Redis(server.url);
  const admin = new Redis(server.url);
  const client = new ResqueClient({ redis, keys: new ResqueKeys(uniquePrefix()), enqueueTimeoutMs: 300 });
  try {
    await client.enqueue('q', 'Job', 0);
    await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    const startedAt = Date.now();
    const results = await Promise.allSettled([client.enqueue('q', 'Job', 1), client.enqueue('q', 'Job', 2), client.enqueue('q', 'Job', 3)]);
    const waited = Date.now() - startedAt;
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      const error = (result as PromiseRejectedResult).reason as RedisUnavailableError;
      assert.ok(error instanceof RedisUnavailableError, String(error));
      assert.equal(error.mayBeStored, true);
    }
    assert.ok(waited >= 250 && waited < 1400, `failed after ${waited} ms, before Redis answered`);
  } finally {
    await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
    redis.disconnect();
    admin.disconnect();
  }
});
