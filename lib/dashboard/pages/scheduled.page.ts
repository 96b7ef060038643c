import type { DelayedJob, DelayedTimestamp } from '../../client/delayed-jobs.js';
import type { ScheduleInfo } from '../../client/recurring-schedules.js';
import type { RetryingJob } from '../../client/retries.js';
import type { Paged } from '../dashboard-data.js';
import { count, duration, relative, timestamp } from '../format.js';
import { html, truncate } from '../html.js';
import { argsText } from './queues.page.js';
import { empty, href, pager, postForm, table, type Page, type PageContext } from './page-context.js';

export function delayedPage(ctx: PageContext, data: Paged<DelayedTimestamp>, refreshMs: number): Page {
  const rows = data.items.map(
    (t) => html`<tr><td><a href="${href(ctx, `/delayed/${t.second}`)}">${timestamp(t.at)}</a></td><td>${relative(t.at, ctx.now)}</td><td class="num">${count(t.count)}</td></tr>`,
  );
  const body = html`<p><span data-stat="delayed-seconds">${count(data.total)}</span> due seconds in the delayed queue (resque-scheduler's layout, shared with Ruby, PHP and node-resque schedulers), soonest first.</p>
${data.total === 0 ? empty('No delayed jobs.') : html`${table(['Due', 'When', 'Jobs'], rows)}${pager(ctx, '/delayed', data.start, data.items.length, data.total)}`}`;
  return { title: 'Delayed jobs', nav: 'delayed', refreshMs, body };
}

export function delayedSecondPage(ctx: PageContext, second: number, data: Paged<DelayedJob>, back: string): Page {
  const rows = data.items.map((job) => {
    const id = job.payload?.id;
    return html`<tr><td>${job.payload?.className ?? html`<span class="bad">not a job payload</span>`}</td><td>${job.queue ?? '—'}</td><td><code>${truncate(job.payload ? argsText(job.raw) : job.raw, 160)}</code></td><td><code>${id ?? '—'}</code></td>
<td class="actions">${id ? html`${postForm(ctx, href(ctx, '/delayed/run'), { id, back }, 'Run now', { className: 'button small' })} ${postForm(ctx, href(ctx, '/delayed/remove'), { id, back }, 'Remove', { className: 'button small danger', confirm: 'Remove this delayed job?' })}` : html`<span class="muted">no id</span>`}</td></tr>`;
  });
  const at = new Date(second * 1000);
  const body = html`<p><a href="${href(ctx, '/delayed')}">Delayed jobs</a> · due ${timestamp(at)} (${relative(at, ctx.now)})</p>
${data.total === 0 ? empty('No job is due in this second (any more).') : html`${table(['Class', 'Queue', 'Arguments', 'Id', ''], rows)}${pager(ctx, `/delayed/${second}`, data.start, data.items.length, data.total)}`}`;
  return { title: 'Delayed jobs', nav: 'delayed', refreshMs: 0, body };
}

export function retryingPage(ctx: PageContext, data: Paged<RetryingJob>, refreshMs: number): Page {
  const rows = data.items.map(
    (job) => html`<tr><td class="class">${job.className}</td><td>${job.queue}</td><td class="num">${job.failedAttempts} of ${job.attempts}</td><td><b>${job.exception}</b> ${truncate(job.error, 200)}</td><td>${relative(job.failedAt, ctx.now)}</td><td>${relative(job.next, ctx.now)}</td><td><code>${job.id ?? '—'}</code></td></tr>`,
  );
  const body = html`<p><span data-stat="retrying">${count(data.total)}</span> jobs wait for another attempt (<code>@Job({ retry })</code>), next attempt soonest first.</p>
${data.total === 0 ? empty('No job waits to be retried.') : html`${table(['Class', 'Queue', 'Failed attempts', 'Last error', 'Failed', 'Next attempt', 'Id'], rows)}${pager(ctx, '/retrying', data.start, data.items.length, data.total)}`}`;
  return { title: 'Retrying', nav: 'retrying', refreshMs, body };
}

export function schedulesPage(ctx: PageContext, schedules: readonly ScheduleInfo[], refreshMs: number): Page {
  const rows = schedules.map(
    (s) => html`<tr><td><b>${s.name}</b></td><td class="class">${s.className}</td><td>${s.queue}</td><td><code>${s.cron !== undefined ? `${s.cron}${s.tz ? ` (${s.tz})` : ''}` : s.every !== undefined ? `every ${duration(s.every)}` : '—'}</code></td><td>${s.next ? html`${timestamp(s.next)} <span class="muted">${relative(s.next, ctx.now)}</span>` : html`<span class="muted">not scheduled</span>`}</td><td>${s.lastRun ? relative(s.lastRun, ctx.now) : '—'}</td><td><code>${s.lastJobId ?? '—'}</code></td></tr>`,
  );
  const body = html`<p>${count(schedules.length)} recurring schedules; the leading scheduler of the worker hosts enqueues each tick once.</p>
${schedules.length === 0 ? empty('No recurring schedule: declare one with @Job({ schedule }) or QueueService.schedules.set().') : table(['Name', 'Class', 'Queue', 'When', 'Next', 'Last run', 'Last job'], rows)}`;
  return { title: 'Recurring schedules', nav: 'schedules', refreshMs, body };
}
