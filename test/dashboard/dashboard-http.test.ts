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
import { failureRecord, pushFailures } from './support/failure-records.js';
import { waitFor } from '../support/wait.js';

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
      const worker = '<script>alert(5)</script>:1:<img src=x>';
      await redis.sadd(dash.keys.workers, worker);
      await redis.set(dash.keys.worker(worker), JSON.stringify({ queue: '<b>x', run_at: '<script>', payload: { class: '<script>alert(6)</script>', args: ['<img src=x>'] } }));
      for (const path of ['', '/queues/dash', '/queues/dash/0', '/failed', '/failed/0', '/workers', '/failed?text=%3Cscript%3E', '/queues/dash?notice=%3Cscript%3Ealert(7)%3C/script%3E']) {
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

test('retry and remove of selected records, run-now and remove of delayed jobs, a bulk task stopped and its progress as JSON', T, async () => {
  await withApp({}, async (dash) => {
    await redis.rpush(dash.keys.failed, failureRecord({}, 0), failureRecord({}, 1), failureRecord({}, 2), failureRecord({}, 3));
    const { cookie, csrf, html } = await session(`${dash.url}/failed`);
    const selected = [...html.matchAll(/name="sel" value="([^"]+)"/g)].map((m) => m[1]!);
    assert.equal(selected.length, 4);
    const body = new URLSearchParams({ _csrf: csrf, action: 'retry', back: '/failed' });
    body.append('sel', selected[1]!);
    body.append('sel', selected[3]!);
    body.append('sel', 'not-a-target');
    const retried = await fetch(`${dash.url}/failed/selected`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
    assert.equal(retried.status, 303);
    assert.match(decodeURIComponent(retried.headers.get('location')!.replace(/\+/g, ' ')), /Retried 2 of 2 selected/);
    assert.deepEqual((await redis.lrange(dash.keys.queue('dash'), 0, -1)).map((p) => (JSON.parse(p) as { args: [{ n: number }] }).args[0].n), [1, 3]);
    assert.deepEqual(await redis.lrange(dash.keys.failed, 0, -1), [failureRecord({}, 0), failureRecord({}, 2)]);

    const soon = (await dash.queues.enqueueIn(3_600_000, 'mail', 'SendMail', { n: 'now' }))!;
    const later = (await dash.queues.enqueueIn(3_600_000, 'mail', 'SendMail', { n: 'never' }))!;
    const run = await post(`${dash.url}/delayed/run`, { _csrf: csrf, id: soon, back: '/delayed' }, { cookie });
    assert.match(run.headers.get('location') ?? '', /^\/resque\/delayed\?notice=Queued/);
    assert.equal(await redis.llen(dash.keys.queue('mail')), 1, 'run now pushed it to its queue');
    await post(`${dash.url}/delayed/remove`, { _csrf: csrf, id: later, back: '/delayed' }, { cookie });
    assert.equal(await dash.queues.delayedCount(), 0);
    const gone = await post(`${dash.url}/delayed/remove`, { _csrf: csrf, id: later, back: '/delayed' }, { cookie });
    assert.match(gone.headers.get('location') ?? '', /notice=That\+job\+is\+not\+delayed\+any\+more/);

    await pushFailures(redis, dash.keys, 30_000);
    const started = await post(`${dash.url}/failed/bulk`, { _csrf: csrf, action: 'remove', class: 'DashboardFlakyJob' }, { cookie });
    assert.equal(started.status, 303);
    const task = started.headers.get('location')!;
    assert.match(task, /^\/resque\/tasks\/[0-9a-f]{16}$/);
    const stopped = await post(`${dash.origin}${task}/stop`, { _csrf: csrf }, { cookie });
    assert.equal(stopped.status, 303);
    const progress = await waitFor(async () => {
      const json = (await (await fetch(`${dash.origin}${task}/progress`)).json()) as { state: string; scanned: number; total: number; acted: number };
      return json.state === 'running' ? undefined : json;
    }, 'the task to end');
    assert.ok(progress.state === 'stopped' || progress.state === 'done', progress.state);
    assert.equal(progress.total, 30_002);
    assert.equal(await redis.llen(dash.keys.failed), 30_002 - progress.acted);
    assert.equal((await fetch(`${dash.origin}/resque/tasks/0000000000000000`)).status, 404);
  });
});

test('forRootAsync: path and guards beside the factory, the rest from it', T, async () => {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ResqueModule.forRoot({ connection: server.url, prefix: 'async-dash' }),
      ResqueDashboardModule.forRootAsync({ path: 'ops', guards: [KeyGuard], useFactory: async () => ({ refreshSeconds: 0, title: 'Ops <queues>' }) }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  try {
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}/ops`;
    assert.equal((await fetch(url)).status, 403, 'the guard given beside the factory applies');
    const page = await (await fetch(url, { headers: { 'x-test-key': 'open-sesame' } })).text();
    assert.match(page, /Not live/, 'refreshSeconds 0 from the factory');
    assert.match(page, /<title>Overview · Ops &lt;queues&gt;<\/title>/);
  } finally {
    await app.close();
  }
});

test("Ruby's global pause shows as a banner on the overview and the queues", T, async () => {
  await withApp({ dashboard: { readOnly: true } }, async (dash) => {
    assert.doesNotMatch(await (await fetch(dash.url)).text(), /All workers are paused/);
    await redis.set(dash.keys.pauseAllWorkers, 'true');
    for (const path of ['', '/queues']) assert.match(await (await fetch(dash.url + path)).text(), /All workers are paused/);
  });
});

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
