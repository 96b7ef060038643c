import type { FailedEntry, FailedFilter } from '../../client/failed-records.js';
import type { FailedPage } from '../dashboard-data.js';
import { count, parseLooseTime, relative } from '../format.js';
import { html, truncate, type SafeHtml } from '../html.js';
import { empty, href, pager, postForm, table, type Page, type PageContext } from './page-context.js';

export function filterQuery(filter: FailedFilter): Record<string, string | undefined> {
  return { queue: filter.queue, class: filter.className, exception: filter.exception, text: filter.text };
}

export function failedPage(ctx: PageContext, filter: FailedFilter, data: FailedPage, refreshMs: number): Page {
  const query = filterQuery(filter);
  const entries = data.kind === 'page' ? data.page.items : data.search.matches;
  const here = href(ctx, '/failed', { ...query, start: data.kind === 'page' ? data.page.start : data.from }).slice(ctx.base.length);
  const filtered = data.kind === 'search';
  const total = data.kind === 'page' ? data.page.total : data.search.total;
  const summary =
    data.kind === 'page'
      ? html`<p><span data-stat="failed-listed">${count(total)}</span> failure records, newest last.</p>`
      : html`<p>Searched records ${count(data.from + 1)}–${count(data.from + data.search.scanned)} of ${count(total)} (at most ${count(Math.max(data.search.scanned, 1))} per request, in chunks): <b>${count(data.search.matches.length)}</b> match${data.search.matches.length === 1 ? '' : 'es'} shown.
${data.search.next !== null ? html` <a class="button" href="${href(ctx, '/failed', { ...query, start: data.search.next })}">Search on from record ${count(data.search.next + 1)}</a>` : html` <span class="muted">End of the list.</span>`}
${data.from > 0 ? html` <a href="${href(ctx, '/failed', query)}">From the start</a>` : ''}</p>`;
  const rows = entries.map((entry) => row(ctx, entry, here));
  const bulkScope = filtered ? 'matching the filter' : 'in the list';
  const body = html`${filterForm(ctx, filter)}
${summary}
${entries.length === 0 ? empty(filtered ? 'No record matches in this part of the list.' : 'No failed jobs.') : html`
${ctx.readOnly ? '' : html`<form method="post" action="${href(ctx, '/failed/selected')}" id="failed-selected" class="bulk">
<input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="back" value="${here}">
<button type="submit" name="action" value="retry" class="button">Retry selected</button>
<button type="submit" name="action" value="remove" class="button danger">Remove selected</button>
</form>`}
${table([ctx.readOnly ? '' : html`<input type="checkbox" data-select-all aria-label="select all on this page">`, 'Failed', 'Queue', 'Class', 'Error', 'Worker', ''], rows, 'failed')}
${data.kind === 'page' ? pager(ctx, '/failed', data.page.start, entries.length, total) : ''}`}
${total > 0 && !ctx.readOnly ? html`<section class="danger-zone"><h2>All ${bulkScope}</h2>
<p class="muted">Runs in the background in chunks of 1,000, with a progress page; records added after it starts are not touched.</p>
${bulkForm(ctx, filter, 'retry', `Retry all ${bulkScope}`, `Retry every failed job ${bulkScope}?`)}
${bulkForm(ctx, filter, 'remove', `Remove all ${bulkScope}`, `Remove every failure record ${bulkScope}? This cannot be undone.`)}
</section>` : ''}`;
  // A search reads up to searchLimit records: it is not repeated every few seconds.
  return { title: 'Failed jobs', nav: 'failed', refreshMs: filtered ? 0 : refreshMs, body };
}

function row(ctx: PageContext, entry: FailedEntry, back: string): SafeHtml {
  const r = entry.record;
  const detail = href(ctx, `/failed/${entry.index}`, { d: entry.digest });
  const select = ctx.readOnly ? html`` : html`<input type="checkbox" name="sel" value="${entry.index}:${entry.digest}" form="failed-selected" aria-label="select record ${entry.index}">`;
  if (!r) {
    return html`<tr><td>${select}</td><td colspan="5"><span class="bad">not a failure record:</span> <code>${truncate(entry.raw, 200)}</code></td><td><a href="${detail}">Details</a></td></tr>`;
  }
  const payload = r.payload as { class?: unknown } | null;
  const className = payload && typeof payload === 'object' && typeof payload.class === 'string' ? payload.class : '—';
  const failedAt = parseLooseTime(typeof r.failed_at === 'string' ? r.failed_at : null);
  return html`<tr>
<td>${select}</td>
<td title="${String(r.failed_at ?? '')}">${failedAt ? relative(failedAt, ctx.now) : String(r.failed_at ?? '—')}${r.retried_at ? html`<br><span class="muted">retried</span>` : ''}</td>
<td>${String(r.queue ?? '')}</td>
<td class="class">${className}</td>
<td><b>${String(r.exception ?? '')}</b> ${truncate(String(r.error ?? ''), 200)}</td>
<td class="muted">${String(r.worker ?? '')}</td>
<td class="actions"><a href="${detail}">Details</a>
${postForm(ctx, href(ctx, `/failed/${entry.index}/retry`), { digest: entry.digest, back }, 'Retry', { className: 'button small' })}
${postForm(ctx, href(ctx, `/failed/${entry.index}/remove`), { digest: entry.digest, back }, 'Remove', { className: 'button small danger' })}</td>
</tr>`;
}

function filterForm(ctx: PageContext, filter: FailedFilter): SafeHtml {
  const field = (name: string, label: string, value: string | undefined, placeholder: string) =>
    html`<label>${label} <input type="search" name="${name}" value="${value ?? ''}" placeholder="${placeholder}"></label>`;
  return html`<form method="get" action="${href(ctx, '/failed')}" class="filter" role="search">
${field('queue', 'Queue', filter.queue, 'exact name')}
${field('class', 'Class', filter.className, 'exact name')}
${field('exception', 'Exception', filter.exception, 'e.g. Error')}
${field('text', 'Text', filter.text, 'anywhere in the record')}
<button type="submit" class="button">Filter</button> <a href="${href(ctx, '/failed')}">Clear</a>
</form>`;
}

function bulkForm(ctx: PageContext, filter: FailedFilter, action: 'retry' | 'remove', label: string, confirm: string): SafeHtml {
  return postForm(ctx, href(ctx, '/failed/bulk'), { action, ...Object.fromEntries(Object.entries(filterQuery(filter)).filter(([, v]) => v)) as Record<string, string> }, label, {
    confirm,
    className: action === 'remove' ? 'button danger' : 'button',
  });
}
