import type { QueueSummary } from '../../client/queue-overview.js';
import type { PeekedJob } from '../../client/resque-client.js';
import type { Paged } from '../dashboard-data.js';
import { count, timestamp } from '../format.js';
import { html, truncate, type SafeHtml } from '../html.js';
import { prettyJson } from '../pretty-json.js';
import { topLevelValueSpan } from '../../protocol/records.js';
import type { JobStatusRecord } from '../../protocol/status.js';
import { pausedBanner, queueTable } from './overview.page.js';
import { empty, href, pager, segment, table, type Page, type PageContext } from './page-context.js';

export function queuesPage(ctx: PageContext, queues: readonly QueueSummary[], allPaused: boolean, refreshMs: number): Page {
  const total = queues.reduce((sum, q) => sum + q.size, 0);
  return { title: 'Queues', nav: 'queues', refreshMs, body: html`${pausedBanner(allPaused)}<p>${count(total)} jobs in ${count(queues.length)} queues. Pausing a queue stops our workers from taking its jobs within about a second (running jobs finish); PHP, Ruby and node-resque workers do not know it.</p>${queueTable(ctx, queues, ctx.now, true)}` };
}

export function queuePage(ctx: PageContext, queue: string, jobs: Paged<PeekedJob>, refreshMs: number): Page {
  const path = `/queues/${segment(queue)}`;
  const rows = jobs.items.map((job, i) => {
    const position = jobs.start + i;
    const p = job.payload;
    return html`<tr><td class="num"><a href="${href(ctx, `${path}/${position}`)}">${count(position)}</a></td><td>${p ? p.className : html`<span class="bad">not a job payload</span>`}</td><td><code>${truncate(p ? argsText(job.raw) : job.raw, 160)}</code></td><td><code>${p?.id ?? '—'}</code></td><td>${timestamp(p?.queueTime ? new Date(p.queueTime * 1000) : null)}</td></tr>`;
  });
  const body = html`<p><a href="${href(ctx, '/queues')}">All queues</a> · <span data-queue-size="${queue}">${count(jobs.total)}</span> jobs waiting, next to run first.</p>
${jobs.total === 0 ? empty('This queue is empty.') : html`${table(['#', 'Class', 'Arguments', 'Id', 'Enqueued'], rows)}${pager(ctx, path, jobs.start, jobs.items.length, jobs.total)}`}`;
  return { title: `Queue ${queue}`, nav: 'queues', refreshMs, body };
}

export function queuedJobPage(ctx: PageContext, queue: string, position: number, job: PeekedJob, status: JobStatusRecord | null): Page {
  const p = job.payload;
  const body = html`<p><a href="${href(ctx, `/queues/${segment(queue)}`)}">Queue ${queue}</a> · position ${count(position)} (0 runs next; positions move as jobs run)</p>
<dl class="facts">
<dt>Class</dt><dd>${p?.className ?? html`<span class="bad">not a job payload</span>`}</dd>
<dt>Id</dt><dd><code>${p?.id ?? '—'}</code></dd>
<dt>Enqueued</dt><dd>${timestamp(p?.queueTime ? new Date(p.queueTime * 1000) : null)}</dd>
<dt>Status</dt><dd>${statusText(status)}</dd>
</dl>
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
