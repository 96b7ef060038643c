/**
 * The dashboard over plain HTTP, on Express and Fastify: secure by default (no guard and neither
 * readOnly nor public: the app does not boot), guards refuse, actions need POST with this
 * browser's CSRF token from a same-site page, read-only refuses actions, text from Redis is escaped
 * in the HTML, links follow a global prefix.
 */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Test } from '@nestjs/testing';
import { ResqueModule } from '../../lib/index.js';
import { DashboardNotSecuredError, ResqueDashboardModule } from '../../lib/dashboard/index.js';
import { RedisServer } from '../support/redis-server.js';
import { startDashboardApp, type DashboardApp } from './support/dashboard-app.js';
import { failureRecord } from './support/failure-records.js';

const T = { timeout: 30_000 };
let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.destroy();
});

/** Lets a request through when it carries `x-test-key: open-sesame`. */
@Injectable()
class KeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers['x-test-key'] === 'open-sesame';
  }
}

async function withApp(options: Parameters<typeof startDashboardApp>[1], run: (dash: DashboardApp) => Promise<void>): Promise<void> {
  const dash = await startDashboardApp(server, options);
  try {
    await run(dash);
  } finally {
    await dash.close();
  }
}

/** GETs a page as a browser would and returns its session cookie and CSRF token. */
async function session(url: string, headers: Record<string, string> = {}): Promise<{ cookie: string; csrf: string; html: string }> {
  const response = await fetch(url, { headers });
  assert.equal(response.status, 200, `GET ${url}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  const html = await response.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return { cookie, csrf, html };
}

function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
}

test('a dashboard with no guard and neither readOnly nor public refuses to boot', T, async () => {
  const refused = (error: unknown) => {
    assert.ok(error instanceof DashboardNotSecuredError, String(error));
    assert.match((error as Error).message, /at \/resque has no access control: pass guards/);
    return true;
  };
  assert.throws(() => ResqueDashboardModule.forRoot({}), refused);
  assert.throws(() => ResqueDashboardModule.forRoot({ readOnly: false, public: false, guards: [] }), refused);
  // Options from a factory are checked when the app boots.
  const connection = new Redis(server.url);
  try {
    const boot = Test.createTestingModule({
      imports: [ResqueModule.forRoot({ connection }), ResqueDashboardModule.forRootAsync({ useFactory: () => ({ refreshSeconds: 1 }) })],
    }).compile();
    await assert.rejects(boot, refused);
  } finally {
    connection.disconnect();
  }
});

for (const adapter of ['express', 'fastify'] as const) {
  test(`${adapter}: a guard refuses every page, asset and action without its credentials`, T, async () => {
    await withApp({ adapter, dashboard: { guards: [KeyGuard] } }, async (dash) => {
      for (const path of ['', '/queues', '/failed', '/failed/0', '/workers', '/assets/dashboard.js']) {
        const response = await fetch(dash.url + path);
        assert.equal(response.status, 403, `GET ${path}`);
        assert.doesNotMatch(await response.text(), /<html/);
      }
      assert.equal((await post(`${dash.url}/failed/bulk`, { action: 'remove' })).status, 403);
      assert.equal((await fetch(dash.url, { headers: { 'x-test-key': 'open-sesame' } })).status, 200);
    });
  });

  test(`${adapter}: an action needs this browser's CSRF token; with it, it is done and redirects back`, T, async () => {
    await withApp({ adapter }, async (dash) => {
      await redis.rpush(dash.keys.failed, failureRecord({}, 1), failureRecord({}, 2));
      const { cookie, csrf, html } = await session(`${dash.url}/failed`);
      assert.match(cookie, /^resque_dashboard_sid=/);
      const digest = /name="digest" value="([0-9a-f]{40})"/.exec(html)![1]!;
      const url = `${dash.url}/failed/0/remove`;
      const refusals: Array<[string, Response]> = [
        ['no token, no cookie', await post(url, { digest })],
        ['the cookie without the token', await post(url, { digest }, { cookie })],
        ['the token without the cookie', await post(url, { digest, _csrf: csrf })],
        ['a token of another session', await post(url, { digest, _csrf: csrf }, { cookie: 'resque_dashboard_sid=someoneelse' })],
        ['from another site', await post(url, { digest, _csrf: csrf }, { cookie, 'sec-fetch-site': 'cross-site' })],
      ];
      for (const [what, response] of refusals) assert.equal(response.status, 403, what);
      assert.equal((await fetch(url)).status, 404, 'GET does not act');
      assert.equal(await redis.llen(dash.keys.failed), 2, 'nothing was removed');
      const done = await post(url, { digest, _csrf: csrf, back: '/failed?start=0' }, { cookie });
      assert.equal(done.status, 303);
      assert.match(done.headers.get('location') ?? '', /^\/resque\/failed\?start=0&notice=Removed\+1\+failed\+job$/);
      assert.equal(await redis.llen(dash.keys.failed), 1);
      const again = await post(url, { digest, _csrf: csrf }, { cookie });
      assert.match(again.headers.get('location') ?? '', /notice=Nothing\+removed\+%281\+changed/, 'the same digest no longer names record 0');
      const browser = await post(url, { digest }, { accept: 'text/html,application/xhtml+xml' });
      assert.equal(browser.status, 403);
      assert.match(browser.headers.get('content-type') ?? '', /text\/html/, 'a browser gets a page');
      assert.match(await browser.text(), /<h1>403<\/h1><p>Refused: the CSRF token is missing or stale/);
      assert.equal(await redis.llen(dash.keys.failed), 1);
      const offsite = await post(url, { digest, _csrf: csrf, back: '//evil.example/' }, { cookie });
      assert.match(offsite.headers.get('location') ?? '', /^\/resque\/failed\?notice=/, 'back never leaves the dashboard');
    });
  });

  test(`${adapter}: text from Redis is escaped in the HTML; security headers`, T, async () => {
    await withApp({ adapter, dashboard: { readOnly: true } }, async (dash) => {
      await dash.queues.enqueue('dash', '<script>alert(1)</script>', { x: '</code><img src=x onerror=alert(2)>' });
      await redis.rpush(dash.keys.failed, failureRecord({ className: '<script>alert(3)</script>', exception: '"><b>x', error: "'onmouseover='alert(4)" }, 1));
      for (const path of ['', '/queues/dash', '/queues/dash/0', '/failed', '/failed/0']) {
        const response = await fetch(dash.url + path);
        const html = await response.text();
        assert.equal(response.status, 200, path);
        assert.doesNotMatch(html, /<script>alert|<img src=x|<b>x|'onmouseover='/, `${path}: nothing from Redis is markup`);
        assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
        assert.equal(response.headers.get('x-frame-options'), 'DENY');
      }
      assert.match(await (await fetch(`${dash.url}/failed`)).text(), /&lt;script&gt;alert\(3\)&lt;\/script&gt;/);
    });
  });

  test(`${adapter}: read-only shows no action and refuses every POST`, T, async () => {
    await withApp({ adapter, dashboard: { readOnly: true } }, async (dash) => {
      await redis.rpush(dash.keys.failed, failureRecord({}, 1));
      const { cookie, csrf, html } = await session(`${dash.url}/failed`);
      assert.equal(csrf, '', 'no form carries a token');
      assert.doesNotMatch(html, /method="post"/);
      const response = await post(`${dash.url}/failed/bulk`, { action: 'remove', _csrf: 'x' }, { cookie });
      assert.equal(response.status, 403);
      assert.equal(await redis.llen(dash.keys.failed), 1);
    });
  });
}

test('links follow the app global prefix and a custom path; live refresh gets the main content alone', T, async () => {
  await withApp({ globalPrefix: 'api', dashboard: { path: '/ops/queues/', public: true, refreshSeconds: 2 } }, async (dash) => {
    assert.match(dash.url, /\/api\/ops\/queues$/);
    const page = await (await fetch(`${dash.url}/workers`)).text();
    assert.match(page, /href="\/api\/ops\/queues\/failed"/);
    assert.match(page, /src="\/api\/ops\/queues\/assets\/dashboard\.js\?v=[0-9a-f]+"/);
    const fragment = await fetch(`${dash.url}/workers`, { headers: { 'x-resque-fragment': '1' } });
    assert.equal(fragment.headers.get('x-resque-live'), '2000');
    const text = await fragment.text();
    assert.match(text, /^<h1>Workers<\/h1>/);
    assert.doesNotMatch(text, /<html|<header/);
  });
});
