/**
 * The sample application end to end, as a user runs it: its worker entry (`nest start worker`'s
 * dist/sample/worker.js) as a real forked host, and its HTTP app enqueuing through @InjectQueue.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { RedisServer, freePort } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';
import { waitFor } from '../support/wait.js';
import { HostProcess } from './support/host-process.js';

const SAMPLE_WORKER = fileURLToPath(new URL('../../sample/worker.js', import.meta.url));

let server: RedisServer;
let redis: Redis;
let host: HostProcess;
let app: INestApplication;
let base: string;
const prefix = uniquePrefix('sample');

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  // The sample's AppModule reads these when it is imported.
  process.env.REDIS_URL = server.url;
  process.env.PREFIX = prefix;
  host = HostProcess.start({ REDIS_URL: server.url, PREFIX: prefix, QUEUE: 'UserJobQueue', BLOCKING: '1', COUNT: '1' }, SAMPLE_WORKER);
  const { HttpModule } = await import('../../sample/http.module.js');
  app = await NestFactory.create(HttpModule, { logger: ['error'] });
  const port = await freePort();
  await app.listen(port, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
}, { timeout: 60_000 });

after(async () => {
  await app?.close();
  await host?.killGroup();
  redis?.disconnect();
  await server?.destroy();
});

async function post(user: { name: string; email: string }): Promise<string> {
  const response = await fetch(`${base}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}

async function status(id: string): Promise<number | null> {
  return ((await (await fetch(`${base}/jobs/${id}`)).json()) as { status: number | null }).status;
}

test('POST /users enqueues UserJob; the forked worker saves the user (status 4) or fails it (status 3)', { timeout: 60_000 }, async () => {
  const good = await post({ name: 'Ada', email: 'ada@example.com' });
  const bad = await post({ name: 'Bob', email: 'not-an-email' });
  assert.match(good, /^[0-9a-f]{32}$/);

  await waitFor(async () => (await status(good)) === 4 && (await status(bad)) === 3, 'both jobs finished', 30_000, 50);

  const users = (await (await fetch(`${base}/users`)).json()) as Array<{ email: string }>;
  assert.ok(users.some((u) => u.email === 'ada@example.com'));
  assert.ok(!users.some((u) => u.email === 'not-an-email'));

  const [record] = (await redis.lrange(`${prefix}:failed`, 0, -1)).map((raw) => JSON.parse(raw));
  assert.equal(record.exception, 'Error');
  assert.match(record.error, /Invalid email address/);
  assert.equal(record.payload.id, bad);
  assert.equal(record.queue, 'UserJobQueue');
  assert.match(record.worker, /^[^:]+:\d+:UserJobQueue$/);
  assert.notEqual(Number(record.worker.split(':')[1]), process.pid, 'the job ran in a forked child');

  const failed = (await (await fetch(`${base}/failed`)).json()) as Array<{ record: { payload: { id: string } } }>;
  assert.equal(failed[0].record.payload.id, bad);
});
