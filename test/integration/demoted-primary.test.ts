/**
 * A primary demoted to a replica while our clients are connected to it (what a Sentinel failover
 * or an operator's REPLICAOF does): a write gets READONLY, a blocked XREAD (an idle worker's wait
 * for wake-ups) gets UNBLOCKED. Our connections reconnect and send the command again, so the
 * caller never sees either error. Here the same server is made primary again after the reconnect
 * (on Sentinel the reconnect reaches the promoted replica instead).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { connect, workerConnection, type OwnedRedis } from '../../lib/redis/connection.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

let a: RedisServer;
let b: RedisServer;
let admin: Redis;
const owned: OwnedRedis[] = [];
const clients: Redis[] = [];

before(async () => {
  [a, b] = await Promise.all([RedisServer.start(), RedisServer.start()]);
  admin = new Redis(a.url, { maxRetriesPerRequest: 1 });
});
after(async () => {
  for (const client of clients) client.disconnect();
  for (const o of owned) o.client.disconnect();
  admin?.disconnect();
  await Promise.all([a?.destroy(), b?.destroy()]);
});

/** A worker's connection, as the worker loop makes it from the application's client. */
async function workerClient(): Promise<Redis> {
  const app = connect(a.url);
  owned.push(app);
  const client = workerConnection(app.client, () => undefined);
  assert.ok(client instanceof Redis);
  clients.push(client);
  await client.ping();
  return client;
}

async function demote(): Promise<void> {
  await admin.call('REPLICAOF', '127.0.0.1', String(b.port));
  await waitFor(async () => ((await admin.call('ROLE')) as unknown[])[0] === 'slave', 'A is a replica');
}

async function promoteOnReconnect(client: Redis): Promise<void> {
  await once(client, 'reconnecting');
  await admin.call('REPLICAOF', 'NO', 'ONE');
}

test('a write that meets READONLY reconnects and is sent again: the caller gets its reply', { timeout: 20_000 }, async () => {
  const client = await workerClient();
  await demote();
  const promoted = promoteOnReconnect(client);
  assert.equal(await client.set('demoted:k', 'v'), 'OK');
  await promoted;
  assert.equal(await admin.get('demoted:k'), 'v');
});

test('a blocked XREAD ended by the demotion (UNBLOCKED) blocks again after the reconnect and sees the next entry', { timeout: 20_000 }, async () => {
  const client = await workerClient();
  const read = client.xread('BLOCK', 15_000, 'STREAMS', 'demoted:wake', '$') as Promise<Array<[string, Array<[string, string[]]>]> | null>;
  await waitFor(async () => / cmd=xread /.test(String(await admin.call('CLIENT', 'LIST', 'TYPE', 'normal'))), 'the XREAD blocked on A');
  const promoted = promoteOnReconnect(client);
  await demote();
  await promoted;
  await waitFor(async () => / cmd=xread /.test(String(await admin.call('CLIENT', 'LIST', 'TYPE', 'normal'))), 'the XREAD blocked on A again');
  await admin.xadd('demoted:wake', '*', 'q', 'jobs');
  const reply = await read;
  assert.deepEqual(reply?.[0]?.[1]?.[0]?.[1], ['q', 'jobs']);
});
