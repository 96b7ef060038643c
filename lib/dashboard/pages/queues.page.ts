import type { QueueSummary } from '../../client/queue-overview.js';
import type { QueuedEntry } from '../../client/queue-actions.js';
import type { Paged } from '../dashboard-data.js';
import { count, timestamp } from '../format.js';
import { html, truncate, type SafeHtml } from '../html.js';
import { prettyJson } from '../pretty-json.js';
import { topLevelValueSpan } from '../../protocol/records.js';
import type { JobStatusRecord } from '../../protocol/status.js';
import { pausedBanner, queueTable } from './overview.page.js';
import { empty, href, pager, postForm, segment, table, type Page, type PageContext } from './page-context.js';

export function queuesPage(ctx: PageContext, queues: readonly QueueSummary[], allPaused: boolean, refreshMs: number): Page {
  const total = queues.reduce((sum, q) => sum + q.size, 0);
  return { title: 'Queues', nav: 'queues', refreshMs, body: html`${pausedBanner(allPaused)}<p>${count(total)} jobs in ${count(queues.length)} queues. Pausing a queue stops our workers from taking its jobs within about a second (running jobs finish); PHP, Ruby and node-resque workers do not know it.</p>${queueTable(ctx, queues, ctx.now, true)}` };
}

export function queuePage(ctx: PageContext, queue: string, jobs: Paged<QueuedEntry>, refreshMs: number): Page {
  const path = `/queues/${segment(queue)}`;
  const back = jobs.start > 0 ? `${path}?start=${jobs.start}` : path;
  const rows = jobs.items.map((job) => {
    const position = job.index;
    const p = job.payload;
    return html`<tr><td class="num"><a href="${href(ctx, `${path}/${position}`)}">${count(position)}</a></td><td>${p ? p.className : html`<span class="bad">not a job payload</span>`}</td><td><code>${truncate(p ? argsText(job.raw) : job.raw, 160)}</code></td><td><code>${p?.id ?? '—'}</code></td><td>${timestamp(p?.queueTime ? new Date(p.queueTime * 1000) : null)}</td>${ctx.readOnly ? '' : html`<td>${removeQueuedForm(ctx, queue, job, back)}</td>`}</tr>`;
  });
  const clear =
    jobs.total === 0
      ? ''
      : postForm(ctx, href(ctx, `${path}/clear`), {}, 'Clear queue', { confirm: `Delete all ${count(jobs.total)} jobs waiting in ${queue}? They cannot be brought back.`, className: 'button danger' });
  const body = html`<p><a href="${href(ctx, '/queues')}">All queues</a> · <span data-queue-size="${queue}">${count(jobs.total)}</span> jobs waiting, next to run first. ${clear}</p>
${jobs.total === 0 ? empty('This queue is empty.') : html`${table(['#', 'Class', 'Arguments', 'Id', 'Enqueued', ...(ctx.readOnly ? [] : [''])], rows)}${pager(ctx, path, jobs.start, jobs.items.length, jobs.total)}`}`;
  return { title: `Queue ${queue}`, nav: 'queues', refreshMs, body };
}

/** Removes this job only while it is still at its position with the same bytes (a job that ran meanwhile is not confused with the next). */
function removeQueuedForm(ctx: PageContext, queue: string, job: QueuedEntry, back: string) {
  return postForm(ctx, href(ctx, `/queues/${segment(queue)}/${job.index}/remove`), { digest: job.digest, back }, 'Remove', {
    confirm: `Remove this ${job.payload?.className ?? 'job'} from ${queue}? It will not run.`,
    className: 'button small danger',
  });
}

export function queuedJobPage(ctx: PageContext, queue: string, position: number, job: QueuedEntry, status: JobStatusRecord | null): Page {
  const p = job.payload;
  const body = html`<p><a href="${href(ctx, `/queues/${segment(queue)}`)}">Queue ${queue}</a> · position ${count(position)} (0 runs next; positions move as jobs run)</p>
<dl class="facts">
<dt>Class</dt><dd>${p?.className ?? html`<span class="bad">not a job payload</span>`}</dd>
<dt>Id</dt><dd><code>${p?.id ?? '—'}</code></dd>
<dt>Enqueued</dt><dd>${timestamp(p?.queueTime ? new Date(p.queueTime * 1000) : null)}</dd>
<dt>Status</dt><dd>${statusText(status)}</dd>
</dl>
${removeQueuedForm(ctx, queue, job, `/queues/${segment(queue)}`)}
<h2>Payload</h2><pre class="json">${prettyJson(job.raw)}</pre>`;
  return { title: `Job in ${queue}`, nav: 'queues', refreshMs: 0, body };
}

export function statusText(status: JobStatusRecord | null): SafeHtml {
  if (!status) return html`<span class="muted">not tracked (or expired)</span>`;
  const names = { 1: 'waiting', 2: 'running', 3: 'failed', 4: 'complete' } as const;
  return html`${names[status.status]} <span class="muted">since ${timestamp(new Date(status.updated * 1000))}</span>${status.attempt ? html` · attempt ${status.attempt}` : ''}`;
}

/** The `args` text of a raw payload (its exact bytes when it can be found), for a one-line preview. */
export function argsText(raw: string): string {
  const span = topLevelValueSpan(raw, 'args');
  return span ? raw.slice(span[0], span[1]) : '[]';
}
