/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core), behind the sample's
 * basic-auth guard: every page loads at desktop and phone widths (screenshots in
 * test-artifacts/dashboard/), untrusted text stays text, live refresh updates a count, a failed
 * job retried from the page runs on a real worker, and a bulk removal shows its progress.
 */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createInProcessWorker, type InProcessWorker } from '../../lib/index.js';
import { DashboardAuthGuard } from '../../sample/dashboard-auth.guard.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { launchChromium, noBrowser, screenshots, DESKTOP } from './support/browser.js';
import { startDashboardApp, type DashboardApp } from './support/dashboard-app.js';
import { failureRecord, pushFailures } from './support/failure-records.js';
import { FlakyJob, flaky } from './support/flaky.job.js';
import { seedDashboard } from './support/seed.js';

const T = { timeout: 60_000, skip: noBrowser };
let server: RedisServer;
let redis: Redis;
let dash: DashboardApp;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let worker: { worker: InProcessWorker; done: Promise<void> } | undefined;
const consoleErrors: string[] = [];

before(async () => {
  if (noBrowser) return;
  process.env.DASHBOARD_USER = 'ops';
  process.env.DASHBOARD_PASSWORD = 'correct horse';
  server = await RedisServer.start();
  redis = new Redis(server.url);
  dash = await startDashboardApp(server, { providers: [FlakyJob], dashboard: { guards: [DashboardAuthGuard], refreshSeconds: 1, history: false } });
  browser = await launchChromium();
  context = await browser.newContext({ httpCredentials: { username: 'ops', password: 'correct horse' }, viewport: DESKTOP });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(15_000);
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
}, { timeout: 90_000 });

after(async () => {
  if (worker) {
    worker.worker.stop();
    await Promise.race([worker.done, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  }
  await Promise.race([browser?.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  await dash?.close();
  redis?.disconnect();
  await server?.destroy();
  delete process.env.DASHBOARD_USER;
  delete process.env.DASHBOARD_PASSWORD;
}, { timeout: 30_000 });

async function open(path: string): Promise<void> {
  const response = await page.goto(dash.url + path, { waitUntil: 'load' });
  assert.equal(response?.status(), 200, `GET ${path}`);
}

test('every page loads, at desktop and phone widths', T, async () => {
  await seedDashboard(redis, dash.keys, dash.queues);
  const failedIndex = 5;
  const pages: Array<[string, string, string]> = [
    ['', 'Overview', 'overview'],
    ['/queues', 'Queues', 'queues'],
    ['/queues/dash', 'Queue dash', 'queue'],
    ['/queues/dash/0', 'Job in dash', 'queued-job'],
    ['/workers', 'Workers', 'workers'],
    ['/metrics', 'Metrics', 'metrics'],
    ['/failed', 'Failed jobs', 'failed'],
    [`/failed/${failedIndex}`, 'Failed job', 'failed-job'],
    ['/delayed', 'Delayed jobs', 'delayed'],
    ['/retrying', 'Retrying', 'retrying'],
    ['/schedules', 'Recurring schedules', 'schedules'],
  ];
  for (const [path, title, name] of pages) {
    await open(path);
    assert.equal(await page.locator('main h1').first().textContent(), title, `${path}: its heading`);
    await screenshots(page, name);
  }
  await open('');
  assert.equal(await page.locator('svg[role=img] path.series.processed').count(), 1, 'the overview draws its chart');
  assert.match((await page.locator('[data-chart-total=processed]').textContent()) ?? '', /^[1-9][\d,]*$/, 'the chart has processed jobs from the history');
  await open('/workers');
  assert.match((await page.locator('tr.busy').textContent()) ?? '', /SendWelcomeMail/, 'the PHP worker shows what it runs');
  await open('/failed?exception=PDOException');
  assert.equal(await page.locator('table.failed tbody tr').count(), 15, 'the exception filter finds its 15 records');
  await open('/delayed');
  await page.locator('main table a').first().click();
  await page.waitForURL(/\/delayed\/\d+$/);
  assert.match((await page.locator('main table').textContent()) ?? '', /SendWelcomeMail/);
  await screenshots(page, 'delayed-second');
  assert.deepEqual(consoleErrors, [], 'no script error and no CSP violation');
});

test('text from Redis stays text: a <script> class name, payload, queue name and error', T, async () => {
  await dash.queues.clearFailed();
  await dash.queues.enqueue('dash', '<script>window.__xss=1</script>', { html: '<img src=x onerror="window.__xss=2">' });
  const queue = '<i>q</i>';
  await redis.sadd(dash.keys.queues, queue);
  await redis.rpush(dash.keys.queue(queue), '{"class":"<svg onload=window.__xss=3>","args":["</pre><script>window.__xss=4</script>"]}');
  await redis.rpush(dash.keys.failed, failureRecord({ className: '<script>window.__xss=5</script>', exception: '<img src=x onerror=window.__xss=6>', error: '"><script>window.__xss=7</script>', queue }, 1));
  for (const path of ['', '/queues', `/queues/${encodeURIComponent(queue)}`, `/queues/${encodeURIComponent(queue)}/0`, '/queues/dash', '/failed', '/failed/0']) {
    await open(path);
    assert.equal(await page.evaluate('window.__xss'), undefined, `${path}: no injected script ran`);
    assert.equal(await page.locator('script').count(), 1, `${path}: only the dashboard's own script element`);
  }
  await open('/failed');
  assert.match((await page.locator('table.failed').textContent()) ?? '', /<script>window\.__xss=5<\/script>/, 'the class name is shown as text');
  await open(`/queues/${encodeURIComponent(queue)}/0`);
  assert.match((await page.locator('pre.json').textContent()) ?? '', /<\/pre><script>window\.__xss=4<\/script>/);
  await screenshots(page, 'escaping');
});

test('live refresh updates a count without reloading', T, async () => {
  await open('/queues');
  const size = page.locator('[data-queue-size="mail"]');
  const before = Number((await size.textContent())?.replace(/,/g, ''));
  await page.evaluate('window.__marker = 1');
  assert.match((await page.locator('#live-status').textContent()) ?? '', /every 1 s/, 'the interval is shown');
  await dash.queues.enqueueBulk('mail', 'SendWelcomeMail', [{ to: 'a' }, { to: 'b' }, { to: 'c' }]);
  await waitFor(async () => (await size.textContent()) === String(before + 3), 'the live refresh to show 3 more jobs', 10_000, 100);
  assert.equal(await page.evaluate('window.__marker'), 1, 'the page was not reloaded');
  assert.match((await page.locator('#live-status').textContent()) ?? '', /updated/);
});

test('a queue paused from the queues page shows paused; resumed, it does not', T, async () => {
  await open('/queues');
  const row = page.locator('main tr', { hasText: 'reports' });
  await row.getByRole('button', { name: 'Pause' }).click();
  await page.locator('.notice', { hasText: 'Paused reports' }).waitFor();
  assert.deepEqual(await dash.queues.pausedQueues(), ['reports']);
  assert.equal(await page.locator('main tr', { hasText: 'reports' }).locator('.state.paused').count(), 1);
  await screenshots(page, 'queues-paused');
  await page.locator('main tr', { hasText: 'reports' }).getByRole('button', { name: 'Resume' }).click();
  await page.locator('.notice', { hasText: 'Resumed reports' }).waitFor();
  assert.deepEqual(await dash.queues.pausedQueues(), []);
});

test('a failed job retried from its page runs on a real worker', T, async () => {
  await dash.queues.clearFailed();
  await redis.del(dash.keys.queue('dash'));
  flaky.failing = true;
  const inProcess = await createInProcessWorker(dash.app, { settings: { queues: ['dash'], interval: 0.05, blocking: false } });
  worker = { worker: inProcess, done: inProcess.run() };
  await dash.queues.enqueue('dash', 'DashboardFlakyJob', { n: 'retry-me' });
  await waitFor(async () => (await dash.queues.failedCount()) === 1, 'the job to fail once', 15_000);
  flaky.failing = false;
  await open('/failed');
  const row = page.locator('table.failed tbody tr', { hasText: 'retry-me' });
  await row.getByRole('button', { name: 'Retry' }).click();
  await page.locator('.notice', { hasText: 'Retried 1 failed job' }).waitFor();
  await waitFor(() => !page.url().includes('notice='), 'the notice to leave the URL (a reload does not repeat it)', 5_000);
  await waitFor(() => flaky.succeeded.some((data) => (data as { n?: string }).n === 'retry-me'), 'the retried job to succeed', 15_000);
  assert.equal(await dash.queues.failedCount(), 0, 'the failure record is gone');
});

test('removing 5,000 failed jobs runs in the background and shows its progress', T, async () => {
  await dash.queues.clearFailed();
  await pushFailures(redis, dash.keys, 5_000);
  await open('/failed');
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Remove all in the list' }).click();
  await page.waitForURL(/\/tasks\/[0-9a-f]+$/);
  assert.equal(await page.locator('progress').count(), 1, 'a progress bar');
  await waitFor(async () => (await page.locator('[data-task="state"]').textContent())?.startsWith('done'), 'the task page to say done', 20_000, 100);
  assert.equal((await page.locator('[data-task="acted"]').textContent())?.trim(), '5,000');
  assert.equal(await dash.queues.failedCount(), 0);
  await screenshots(page, 'bulk-task');
  assert.deepEqual(consoleErrors, []);
});

test('on Fastify too: pages load and removing a failed job from its detail page works', T, async () => {
  const fastify = await startDashboardApp(server, { adapter: 'fastify', dashboard: { public: true, history: false } });
  const tab = await context.newPage();
  try {
    await redis.rpush(fastify.keys.failed, failureRecord({ className: 'FastifyJob' }, 1), failureRecord({ className: 'KeepMe' }, 2));
    for (const path of ['', '/queues', '/workers', '/metrics', '/delayed', '/retrying', '/schedules', '/failed']) {
      const response = await tab.goto(fastify.url + path);
      assert.equal(response?.status(), 200, `Fastify GET ${path}`);
    }
    await tab.locator('table.failed tbody tr', { hasText: 'FastifyJob' }).getByRole('link', { name: 'Details' }).click();
    await tab.waitForURL(/\/failed\/0\?d=/);
    await tab.getByRole('button', { name: 'Remove' }).click();
    await tab.locator('.notice', { hasText: 'Removed 1 failed job' }).waitFor();
    assert.deepEqual((await redis.lrange(fastify.keys.failed, 0, -1)).map((r) => /"class":"(\w+)"/.exec(r)?.[1]), ['KeepMe']);
  } finally {
    await tab.close();
    await fastify.close();
  }
});
