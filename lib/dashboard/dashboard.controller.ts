/**
 * The dashboard's routes. One controller class is made per `forRoot` (its path and guards are
 * decorator metadata), over these shared handlers. Everything goes through Nest's adapter
 * abstraction (HttpAdapterHost: headers, URL), so the same code serves Express and Fastify.
 *
 * Reads are GET; anything that changes data is POST with a CSRF token (csrf.ts) and answers with a
 * 303 back to a dashboard page. Pages come whole, or as their main content alone when the live
 * refresh asks (`X-Resque-Fragment: 1`).
 */
import { BadRequestException, Body, Controller, ForbiddenException, Get, Inject, NotFoundException, Param, Post, Query, Redirect, Req, Res, UseFilters, UseGuards, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FailedFilter } from '../client/failed-records.js';
import { isValidQueueName } from '../protocol/queue-name.js';
import { BulkTasks } from './bulk-tasks.js';
import { CsrfTokens, readCookie, SESSION_COOKIE, sessionCookie } from './csrf.js';
import { DashboardData } from './dashboard-data.js';
import { DashboardErrorFilter } from './dashboard-error.filter.js';
import type { DashboardGuard, ResolvedDashboardOptions } from './dashboard-options.js';
import { DASHBOARD_CONFIG } from './dashboard.tokens.js';
import { DASHBOARD_SCRIPT } from './assets/dashboard-script.js';
import { DASHBOARD_STYLE } from './assets/dashboard-style.js';
import { failedJobPage, failedMovedPage } from './pages/failed-job.page.js';
import { failedPage } from './pages/failed.page.js';
import { fragment, layout } from './pages/layout.js';
import { overviewPage } from './pages/overview.page.js';
import { METRIC_RANGES, metricsPage } from './pages/metrics.page.js';
import type { Page, PageContext } from './pages/page-context.js';
import { queuedJobPage, queuePage, queuesPage } from './pages/queues.page.js';
import { delayedPage, delayedSecondPage, retryingPage, schedulesPage } from './pages/scheduled.page.js';
import { taskPage } from './pages/task.page.js';
import { workersPage } from './pages/workers.page.js';

/** What a handler needs of a request, on either adapter. */
interface DashboardRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly socket?: { readonly encrypted?: boolean };
}
type Fields = Record<string, unknown>;

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export class DashboardRoutes {
  private readonly csrf: CsrfTokens;

  constructor(
    @Inject(DASHBOARD_CONFIG) private readonly config: ResolvedDashboardOptions,
    @Inject(DashboardData) private readonly data: DashboardData,
    @Inject(BulkTasks) private readonly tasks: BulkTasks,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {
    this.csrf = new CsrfTokens(config.csrfSecret);
  }

  @Get()
  async overview(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Query() q: Fields) {
    const minutes = [60, 360, 1440].includes(Number(q.minutes)) ? Number(q.minutes) : 60;
    return this.page(req, res, 0, q, async (ctx) => overviewPage(ctx, await this.data.overview(minutes, ctx.now), minutes, this.config.refreshMs));
  }

  @Get('queues')
  queues(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Query() q: Fields) {
    return this.page(req, res, 1, q, async (ctx) => {
      const { queues, allPaused } = await this.data.queueList();
      return queuesPage(ctx, queues, allPaused, this.config.refreshMs);
    });
  }

  @Get('queues/:queue')
  queue(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Param('queue') queue: string, @Query() q: Fields) {
    return this.page(req, res, 2, q, async (ctx) => queuePage(ctx, queue, await this.data.queueJobs(queue, int(q.start)), this.config.refreshMs));
  }

  @Post('queues/:queue/:action')
  @Redirect()
  async pauseQueue(@Req() req: DashboardRequest, @Param('queue') queue: string, @Param('action') action: string, @Body() body: Fields) {
    this.checkAction(req, body);
    if (action === 'clear') {
      if (queue === '' || queue.length > 1000) throw new BadRequestException('not a queue name');
      const deleted = await this.data.clearQueue(queue);
      return this.back(req, '/queues', `Cleared ${queue}: ${deleted.toLocaleString('en-US')} jobs deleted`, 3);
    }
    if (action !== 'pause' && action !== 'resume') throw new NotFoundException('unknown action');
    if (!isValidQueueName(queue)) throw new BadRequestException('not a queue name that can be paused');
    await this.data.setPaused(queue, action === 'pause');
    return this.back(req, body.back, `${action === 'pause' ? 'Paused' : 'Resumed'} ${queue} for our workers`, 3);
  }

  @Get('queues/:queue/:position')
  queuedJob(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Param('queue') queue: string, @Param('position') position: string, @Query() q: Fields) {
    return this.page(req, res, 3, q, async (ctx) => {
      const job = await this.data.queuedJob(queue, int(position));
      if (!job) throw new NotFoundException(`no job at position ${int(position)} of this queue (it may have run)`);
      const status = job.payload?.id ? await this.data.status(job.payload.id, job.payload.statusPrefix) : null;
      return queuedJobPage(ctx, queue, int(position), job, status);
    });
  }

  @Post('queues/:queue/:position/remove')
  @Redirect()
  async removeQueued(@Req() req: DashboardRequest, @Param('queue') queue: string, @Param('position') position: string, @Body() body: Fields) {
    this.checkAction(req, body);
    const digest = typeof body.digest === 'string' && /^[0-9a-f]{40}$/.test(body.digest) ? body.digest : '';
    if (!digest) throw new BadRequestException('the job\'s digest is missing');
    const removed = await this.data.removeQueued(queue, int(position), digest);
    const back = typeof body.back === 'string' ? body.back : `/queues/${encodeURIComponent(queue)}`;
    return this.back(req, back, removed ? 'Removed 1 queued job' : 'Nothing removed: that job is not at that position any more (it may have run)', 4);
  }

  @Get('workers')
  workers(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Query() q: Fields) {
    return this.page(req, res, 1, q, async (ctx) => workersPage(ctx, await this.data.workers(), this.config.refreshMs));
  }

  @Get('metrics')
  metrics(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Query() q: Fields) {
    const minutes = METRIC_RANGES.includes(Number(q.minutes)) ? Number(q.minutes) : METRIC_RANGES[0]!;
    return this.page(req, res, 1, q, async (ctx) => metricsPage(ctx, await this.data.classMetrics(minutes, ctx.now), minutes, this.config.refreshMs));
  }

  @Get('failed')
  failed(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Query() q: Fields) {
    const filter = filterOf(q);
    return this.page(req, res, 1, q, async (ctx) => failedPage(ctx, filter, await this.data.failed(filter, int(q.start)), this.config.refreshMs));
  }

  @Get('failed/:index')
  failedJob(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Param('index') index: string, @Query() q: Fields) {
    return this.page(req, res, 2, q, async (ctx) => {
      const entry = await this.data.failedOne(int(index));
      if (!entry || (typeof q.d === 'string' && q.d !== entry.digest)) return failedMovedPage(ctx, int(index));
      const payload = (entry.record?.payload ?? null) as { id?: unknown; prefix?: unknown } | null;
      const status = payload && typeof payload.id === 'string' ? await this.data.status(payload.id, typeof payload.prefix === 'string' ? payload.prefix : undefined) : null;
      return failedJobPage(ctx, entry, status, '/failed');
    });
  }

  @Post('failed/selected')
  @Redirect()
  async failedSelected(@Req() req: DashboardRequest, @Body() body: Fields) {
    this.checkAction(req, body);
    const action = actionOf(body.action);
    const targets = list(body.sel).flatMap((value) => {
      const match = /^(\d{1,12}):([0-9a-f]{40})$/.exec(value);
      return match ? [{ index: Number(match[1]), digest: match[2]! }] : [];
    });
    const result = await this.data.actOnFailed(action, targets);
    return this.back(req, body.back, `${action === 'retry' ? 'Retried' : 'Removed'} ${result.acted} of ${targets.length} selected${notDone(result)}`);
  }

  @Post('failed/bulk')
  @Redirect()
  failedBulk(@Req() req: DashboardRequest, @Body() body: Fields) {
    this.checkAction(req, body);
    const filter = filterOf(body);
    const task = this.tasks.start(actionOf(body.action), Object.values(filter).some(Boolean) ? filter : null);
    return { url: `${this.baseOf(req, 2)}/tasks/${task.id}`, statusCode: 303 };
  }

  @Post('failed/:index/:action')
  @Redirect()
  async failedOne(@Req() req: DashboardRequest, @Param('index') index: string, @Param('action') actionName: string, @Body() body: Fields) {
    this.checkAction(req, body);
    const action = actionOf(actionName);
    const digest = typeof body.digest === 'string' && /^[0-9a-f]{40}$/.test(body.digest) ? body.digest : '';
    const result = await this.data.actOnFailed(action, [{ index: int(index), digest }]);
    const done = result.acted === 1 ? `${action === 'retry' ? 'Retried' : 'Removed'} 1 failed job` : `Nothing ${action === 'retry' ? 'retried' : 'removed'}${notDone(result)}`;
    return this.back(req, body.back, done, 3);
  }

  @Get('delayed')
  delayed(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Query() q: Fields) {
    return this.page(req, res, 1, q, async (ctx) => delayedPage(ctx, await this.data.delayed(int(q.start)), this.config.refreshMs));
  }

  @Get('delayed/:second')
  delayedSecond(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Param('second') second: string, @Query() q: Fields) {
    return this.page(req, res, 2, q, async (ctx) => delayedSecondPage(ctx, int(second), await this.data.delayedAt(int(second), int(q.start)), `/delayed/${int(second)}`));
  }

  @Post('delayed/:action')
  @Redirect()
  async delayedAction(@Req() req: DashboardRequest, @Param('action') action: string, @Body() body: Fields) {
    this.checkAction(req, body);
    const id = typeof body.id === 'string' ? body.id : '';
    if (action !== 'run' && action !== 'remove') throw new NotFoundException();
    const ok = action === 'run' ? await this.data.runDelayedNow(id) : await this.data.removeDelayed(id);
    return this.back(req, body.back, ok ? (action === 'run' ? 'Queued the delayed job now' : 'Removed the delayed job') : 'That job is not delayed any more', 2);
  }

  @Get('retrying')
  retrying(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Query() q: Fields) {
    return this.page(req, res, 1, q, async (ctx) => retryingPage(ctx, await this.data.retrying(int(q.start)), this.config.refreshMs));
  }

  @Get('schedules')
  schedules(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Query() q: Fields) {
    return this.page(req, res, 1, q, async (ctx) => schedulesPage(ctx, await this.data.schedules(), this.config.refreshMs));
  }

  @Get('tasks/:id')
  task(@Req() req: DashboardRequest, @Res({ passthrough: true }) res: unknown, @Param('id') id: string, @Query() q: Fields) {
    return this.page(req, res, 2, q, async (ctx) => {
      const task = this.tasks.get(id);
      if (!task) throw new NotFoundException('no such task in this process (tasks are kept in the process that ran them)');
      return taskPage(ctx, task);
    });
  }

  /** A bulk task's progress as JSON, for scripts. */
  @Get('tasks/:id/progress')
  taskProgress(@Res({ passthrough: true }) res: unknown, @Param('id') id: string) {
    const task = this.tasks.get(id);
    if (!task) throw new NotFoundException('no such task in this process');
    this.securityHeaders(res, 'application/json; charset=utf-8');
    return { id: task.id, action: task.action, state: task.state, ...task.progress, error: task.error ?? null };
  }

  @Post('tasks/:id/stop')
  @Redirect()
  stopTask(@Req() req: DashboardRequest, @Param('id') id: string, @Body() body: Fields) {
    this.checkAction(req, body);
    this.tasks.stop(id);
    return { url: `${this.baseOf(req, 3)}/tasks/${encodeURIComponent(id)}`, statusCode: 303 };
  }

  @Get('assets/dashboard.js')
  script(@Res({ passthrough: true }) res: unknown) {
    this.asset(res, 'text/javascript; charset=utf-8');
    return DASHBOARD_SCRIPT;
  }

  @Get('assets/dashboard.css')
  style(@Res({ passthrough: true }) res: unknown) {
    this.asset(res, 'text/css; charset=utf-8');
    return DASHBOARD_STYLE;
  }

  private async page(req: DashboardRequest, res: unknown, depth: number, q: Fields, build: (ctx: PageContext) => Promise<Page>): Promise<string> {
    const base = this.baseOf(req, depth);
    let session = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!session) {
      session = this.csrf.newSession();
      this.header(res, 'Set-Cookie', sessionCookie(session, base || '/', isSecure(req)));
    }
    const ctx: PageContext = {
      base,
      csrf: this.csrf.tokenFor(session),
      readOnly: this.config.readOnly,
      title: this.config.title,
      now: Date.now(),
      notice: typeof q.notice === 'string' ? q.notice.slice(0, 200) : undefined,
      pageSize: this.config.pageSize,
    };
    const page = await build(ctx);
    this.securityHeaders(res, 'text/html; charset=utf-8');
    this.header(res, 'Vary', 'X-Resque-Fragment');
    if (req.headers['x-resque-fragment'] === '1') {
      this.header(res, 'X-Resque-Live', String(page.refreshMs));
      return fragment(ctx, page).value;
    }
    return layout(ctx, page).value;
  }

  /** Refuses an action unless it is allowed and carries this browser's CSRF token from a same-origin page. */
  private checkAction(req: DashboardRequest, body: Fields): void {
    if (this.config.readOnly) throw new ForbiddenException('The dashboard is read-only');
    const site = req.headers['sec-fetch-site'];
    if (site === 'cross-site') throw new ForbiddenException('Refused: the request came from another site');
    const token = body?._csrf ?? req.headers['x-csrf-token'];
    if (!this.csrf.verify(readCookie(req.headers.cookie, SESSION_COOKIE), token)) {
      throw new ForbiddenException('Refused: the CSRF token is missing or stale; reload the page and try again');
    }
  }

  /** A 303 to a dashboard page (`back` is a path inside the dashboard; anything else goes to the failed list), with a notice. */
  private back(req: DashboardRequest, back: unknown, notice: string, depth = 2): { url: string; statusCode: number } {
    const base = this.baseOf(req, depth);
    const path = typeof back === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(back) && back.length < 2000 ? back : '/failed';
    const url = new URL(path, 'http://dashboard.invalid');
    url.searchParams.set('notice', notice);
    return { url: `${base}${url.pathname}${url.search}`, statusCode: 303 };
  }

  /** The dashboard's mount path from the request URL: its path less the route's own `depth` segments. */
  private baseOf(req: DashboardRequest, depth: number): string {
    const url = String(this.adapterHost.httpAdapter.getRequestUrl(req) ?? '/');
    const segments = url.split('?')[0]!.replace(/\/+$/, '').split('/');
    return segments.slice(0, segments.length - depth).join('/');
  }

  private asset(res: unknown, type: string): void {
    this.header(res, 'Content-Type', type);
    this.header(res, 'Cache-Control', 'private, max-age=86400');
    this.header(res, 'X-Content-Type-Options', 'nosniff');
  }

  private securityHeaders(res: unknown, type: string): void {
    this.header(res, 'Content-Type', type);
    this.header(res, 'Content-Security-Policy', CSP);
    this.header(res, 'X-Content-Type-Options', 'nosniff');
    this.header(res, 'X-Frame-Options', 'DENY');
    this.header(res, 'Referrer-Policy', 'same-origin');
    this.header(res, 'Cache-Control', 'no-store');
  }

  private header(res: unknown, name: string, value: string): void {
    this.adapterHost.httpAdapter.setHeader(res, name, value);
  }
}

/** The controller for one mount: `@Controller(path)` and `@UseGuards(...guards)` over DashboardRoutes. */
export function dashboardController(path: string, guards: readonly DashboardGuard[]): Type<DashboardRoutes> {
  class ResqueDashboardController extends DashboardRoutes {}
  Controller(path)(ResqueDashboardController);
  UseFilters(DashboardErrorFilter)(ResqueDashboardController);
  if (guards.length > 0) UseGuards(...guards)(ResqueDashboardController);
  return ResqueDashboardController;
}

function int(value: unknown): number {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function list(value: unknown): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string').slice(0, 1000);
}

function text(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.trim() !== '' ? first.trim().slice(0, 500) : undefined;
}

function filterOf(fields: Fields): FailedFilter {
  return { queue: text(fields.queue), className: text(fields.class), exception: text(fields.exception), text: text(fields.text) };
}

function actionOf(value: unknown): 'retry' | 'remove' {
  if (value === 'retry' || value === 'remove') return value;
  throw new NotFoundException('unknown action');
}

function notDone(result: { changed: number; unretryable: number }): string {
  const parts = [];
  if (result.changed) parts.push(`${result.changed} changed meanwhile and left alone`);
  if (result.unretryable) parts.push(`${result.unretryable} not retryable`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function isSecure(req: DashboardRequest): boolean {
  return req.socket?.encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}
