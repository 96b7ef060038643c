import type { FailedEntry } from '../../client/failed-records.js';
import { topLevelValueSpan } from '../../protocol/records.js';
import type { JobStatusRecord } from '../../protocol/status.js';
import { count, parseLooseTime, relative, timestamp } from '../format.js';
import { html } from '../html.js';
import { jsonText, prettyJson } from '../pretty-json.js';
import { statusText } from './queues.page.js';
import { href, postForm, type Page, type PageContext } from './page-context.js';

/** One failure record in full: payload pretty-printed from its stored bytes, error, backtrace, the job's status. */
export function failedJobPage(ctx: PageContext, entry: FailedEntry, status: JobStatusRecord | null, back: string): Page {
  const r = entry.record;
  const span = r ? topLevelValueSpan(entry.raw, 'payload') : undefined;
  const payloadText = span ? entry.raw.slice(span[0], span[1]) : jsonText(r?.payload ?? null);
  const failedAt = parseLooseTime(typeof r?.failed_at === 'string' ? r.failed_at : null);
  const backtrace = Array.isArray(r?.backtrace) ? r.backtrace.map(String) : [];
  const payload = (r?.payload ?? null) as { class?: unknown; id?: unknown } | null;
  const body = r
    ? html`<p><a href="${href(ctx, '/failed')}">Failed jobs</a> · record ${count(entry.index)}</p>
<div class="actions-bar">${postForm(ctx, href(ctx, `/failed/${entry.index}/retry`), { digest: entry.digest, back }, 'Retry')} ${postForm(ctx, href(ctx, `/failed/${entry.index}/remove`), { digest: entry.digest, back }, 'Remove', { className: 'button danger' })}</div>
<dl class="facts">
<dt>Class</dt><dd class="class">${payload && typeof payload.class === 'string' ? payload.class : '—'}</dd>
<dt>Queue</dt><dd>${String(r.queue ?? '')}</dd>
<dt>Exception</dt><dd><b>${String(r.exception ?? '')}</b></dd>
<dt>Error</dt><dd class="error">${String(r.error ?? '')}</dd>
<dt>Failed</dt><dd>${timestamp(failedAt)} <span class="muted">${failedAt ? relative(failedAt, ctx.now) : String(r.failed_at ?? '')}</span></dd>
${r.retried_at ? html`<dt>Retried</dt><dd>${String(r.retried_at)}</dd>` : ''}
<dt>Worker</dt><dd>${String(r.worker ?? '')}</dd>
<dt>Job id</dt><dd><code>${payload && typeof payload.id === 'string' ? payload.id : '—'}</code></dd>
<dt>Status</dt><dd>${statusText(status)}</dd>
</dl>
<h2>Payload</h2><pre class="json">${prettyJson(payloadText)}</pre>
<h2>Backtrace</h2>${backtrace.length === 0 ? html`<p class="muted">none recorded</p>` : html`<pre class="backtrace">${backtrace.join('\n')}</pre>`}`
    : html`<p><a href="${href(ctx, '/failed')}">Failed jobs</a> · record ${count(entry.index)} is not a JSON failure record:</p><pre>${entry.raw}</pre>
<div class="actions-bar">${postForm(ctx, href(ctx, `/failed/${entry.index}/remove`), { digest: entry.digest, back }, 'Remove', { className: 'button danger' })}</div>`;
  return { title: 'Failed job', nav: 'failed', refreshMs: 0, body };
}

export function failedMovedPage(ctx: PageContext, index: number): Page {
  return {
    title: 'Failed job',
    nav: 'failed',
    refreshMs: 0,
    body: html`<p class="empty">The record that was at position ${count(index)} is not there any more (it was retried or removed, or the list changed).</p><p><a href="${href(ctx, '/failed')}">Back to failed jobs</a></p>`,
  };
}
