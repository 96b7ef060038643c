/**
 * The dashboard's queue actions over HTTP: remove one queued job (only while the same bytes are
 * still at its position), clear a queue (its list and its name in `queues`), both POST with this
 * browser's CSRF token; a read-only dashboard shows neither and refuses both.
 */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisServer } from '../support/redis-server.js';
import { startDashboardApp, type DashboardApp } from './support/dashboard-app.js';

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

async function session(url: string): Promise<{ cookie: string; csrf: string; html: string }> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  const html = await response.text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '', html };
}

function post(url: string, fields: Record<string, string>, cookie: string): Promise<Response> {
  return fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams(fields).toString() });
}

/** The remove form of the row at `position`: its action path and digest. */
function removeForm(html: string, position: number): { action: string; digest: string } {
  const match = new RegExp(`action="([^"]*/${position}/remove)"[^>]*>\\s*<input type="hidden" name="_csrf" value="[^"]+"><input type="hidden" name="digest" value="([0-9a-f]{40})">`).exec(html);
  assert.ok(match, `a remove form for position ${position}`);
  return { action: match[1]!, digest: match[2]! };
}

async function names(dash: DashboardApp, queue: string): Promise<string[]> {
  return (await redis.lrange(dash.keys.queue(queue), 0, -1)).map((raw) => (JSON.parse(raw) as { args: [{ n: string }] }).args[0].n);
}

test('a queued job is removed by position only while the same job is there', T, async () => {
  const dash = await startDashboardApp(server);
  try {
    await dash.queues.enqueueBulk('dash', 'DashboardFlakyJob', [{ n: 'a' }, { n: 'b' }, { n: 'c' }, { n: 'd' }]);
    const page = await session(`${dash.url}/queues/dash`);
    assert.match(page.html, /data-confirm="Delete all 4 jobs waiting in dash\?/);
    const atOne = removeForm(page.html, 1);
    const atTwo = removeForm(page.html, 2);
    // A wrong digest, and no CSRF token: nothing removed.
    const stale = await post(`${dash.origin}${atOne.action}`, { _csrf: page.csrf, digest: 'f'.repeat(40), back: '/queues/dash' }, page.cookie);
    assert.equal(stale.status, 303);
    assert.match(stale.headers.get('location') ?? '', /notice=Nothing\+removed/);
    assert.equal((await post(`${dash.origin}${atOne.action}`, { digest: atOne.digest }, page.cookie)).status, 403);
    assert.deepEqual(await names(dash, 'dash'), ['a', 'b', 'c', 'd']);
    // The head ran meanwhile: position 1 now holds c, not b, so b's form removes nothing.
    await redis.lpop(dash.keys.queue('dash'));
    const moved = await post(`${dash.origin}${atOne.action}`, { _csrf: page.csrf, digest: atOne.digest }, page.cookie);
    assert.match(moved.headers.get('location') ?? '', /\/resque\/queues\/dash\?notice=Nothing/);
    assert.deepEqual(await names(dash, 'dash'), ['b', 'c', 'd']);
    // Fresh page: remove c at position 1.
    const again = await session(`${dash.url}/queues/dash`);
    const c = removeForm(again.html, 1);
    assert.equal(c.digest, atTwo.digest, 'c is the job that was at position 2');
    const removed = await post(`${dash.origin}${c.action}`, { _csrf: again.csrf, digest: c.digest, back: '/queues/dash' }, again.cookie);
    assert.equal(removed.status, 303);
    assert.match(removed.headers.get('location') ?? '', /notice=Removed\+1\+queued\+job/);
    assert.deepEqual(await names(dash, 'dash'), ['b', 'd']);
    // The job's own page has the same action.
    const detail = await session(`${dash.url}/queues/dash/1`);
    const d = removeForm(detail.html, 1);
    assert.equal((await post(`${dash.origin}${d.action}`, { _csrf: detail.csrf, digest: d.digest }, detail.cookie)).status, 303);
    assert.deepEqual(await names(dash, 'dash'), ['b']);
  } finally {
    await dash.close();
  }
});

test('clearing a queue deletes its jobs and its name, also for a name other producers wrote', T, async () => {
  const dash = await startDashboardApp(server);
  try {
    await dash.queues.enqueueBulk('dash', 'DashboardFlakyJob', [{ n: 1 }, { n: 2 }]);
    await dash.queues.enqueue('mail', 'SendMail', { to: 'x' });
    const odd = 'reports <b>*</b>';
    await redis.sadd(dash.keys.queues, odd);
    await redis.rpush(dash.keys.queue(odd), JSON.stringify({ class: 'Reports::Nightly', args: [] }));
    const page = await session(`${dash.url}/queues/dash`);
    const cleared = await post(`${dash.url}/queues/dash/clear`, { _csrf: page.csrf }, page.cookie);
    assert.equal(cleared.status, 303);
    assert.match(cleared.headers.get('location') ?? '', /\/resque\/queues\?notice=Cleared\+dash%3A\+2\+jobs\+deleted/);
    assert.equal(await redis.exists(dash.keys.queue('dash')), 0);
    assert.deepEqual((await redis.smembers(dash.keys.queues)).sort(), ['mail', odd].sort());
    const oddPage = await session(`${dash.url}/queues/${encodeURIComponent(odd)}`);
    assert.ok(oddPage.html.includes('reports &lt;b&gt;*&lt;/b&gt;'), 'the name is escaped');
    assert.equal((await post(`${dash.url}/queues/${encodeURIComponent(odd)}/clear`, { _csrf: oddPage.csrf }, oddPage.cookie)).status, 303);
    assert.deepEqual(await redis.smembers(dash.keys.queues), ['mail']);
    assert.equal(await redis.llen(dash.keys.queue('mail')), 1);
    // Without the token: refused.
    assert.equal((await post(`${dash.url}/queues/mail/clear`, {}, page.cookie)).status, 403);
    assert.equal(await redis.llen(dash.keys.queue('mail')), 1);
  } finally {
    await dash.close();
  }
});

test('a read-only dashboard shows no queue actions and refuses them', T, async () => {
  const dash = await startDashboardApp(server, { dashboard: { readOnly: true } });
  try {
    await dash.queues.enqueue('dash', 'DashboardFlakyJob', { n: 1 });
    const page = await session(`${dash.url}/queues/dash`);
    assert.doesNotMatch(page.html, /\/remove"|\/clear"|Clear queue/);
    assert.doesNotMatch((await session(`${dash.url}/queues/dash/0`)).html, /\/remove"/);
    assert.equal((await post(`${dash.url}/queues/dash/clear`, { _csrf: page.csrf }, page.cookie)).status, 403);
    assert.equal((await post(`${dash.url}/queues/dash/0/remove`, { _csrf: page.csrf, digest: 'a'.repeat(40) }, page.cookie)).status, 403);
    assert.equal(await redis.llen(dash.keys.queue('dash')), 1);
  } finally {
    await dash.close();
  }
});
