/**
 * The sample app's dashboard at /resque: behind the sample's basic-auth guard, with
 * DASHBOARD_USER / DASHBOARD_PASSWORD from the environment; both unset, every request is refused.
 */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedisServer, freePort } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';

let server: RedisServer;
let app: INestApplication;
let base: string;
const T = { timeout: 30_000 };

before(async () => {
  server = await RedisServer.start();
  // The sample's AppModule reads these when it is imported.
  process.env.REDIS_URL = server.url;
  process.env.PREFIX = uniquePrefix('sample-dash');
  delete process.env.DASHBOARD_USER;
  delete process.env.DASHBOARD_PASSWORD;
  const { HttpModule } = await import('../../sample/http.module.js');
  app = await NestFactory.create(HttpModule, { logger: ['error'] });
  const port = await freePort();
  await app.listen(port, '127.0.0.1');
  base = `http://127.0.0.1:${port}/resque`;
}, { timeout: 60_000 });

after(async () => {
  await app?.close();
  await server?.destroy();
  delete process.env.DASHBOARD_USER;
  delete process.env.DASHBOARD_PASSWORD;
});

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const paths = ['', '/queues', '/failed', '/workers', '/assets/dashboard.js', '/assets/dashboard.css'];

test('with DASHBOARD_USER and DASHBOARD_PASSWORD unset, every dashboard request is refused', T, async () => {
  for (const path of paths) {
    for (const headers of [{}, basic('', ''), basic('admin', 'admin')]) {
      const response = await fetch(base + path, { headers });
      assert.equal(response.status, 401, `GET /resque${path}`);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm="Resque dashboard"/);
    }
  }
  const action = await fetch(`${base}/failed/bulk`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=remove' });
  assert.equal(action.status, 401);
});

test('with both set, only their basic-auth credentials open it', T, async () => {
  process.env.DASHBOARD_USER = 'ops';
  process.env.DASHBOARD_PASSWORD = 's3cret:with:colons';
  for (const path of paths) {
    assert.equal((await fetch(base + path, { headers: basic('ops', 's3cret:with:colons') })).status, 200, `GET /resque${path}`);
    assert.equal((await fetch(base + path, { headers: basic('ops', 'wrong') })).status, 401);
    assert.equal((await fetch(base + path)).status, 401);
  }
  const page = await (await fetch(base, { headers: basic('ops', 's3cret:with:colons') })).text();
  assert.match(page, /<h1>Overview<\/h1>/);
  assert.equal((await fetch(`${base.replace(/\/resque$/, '')}/users`)).status, 200, 'the rest of the app is not behind the guard');
});
