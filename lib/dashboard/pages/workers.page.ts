import type { WorkerWithImplementation } from '../../client/worker-kinds.js';
import { count, parseLooseTime, relative } from '../format.js';
import { html, truncate } from '../html.js';
import { jsonText } from '../pretty-json.js';
import { empty, table, type Page, type PageContext } from './page-context.js';

/** Every registered worker, whichever Resque runs it (PHP, Ruby, node-resque and ours register alike). */
export function workersPage(ctx: PageContext, workers: readonly WorkerWithImplementation[], refreshMs: number): Page {
  const working = workers.filter((w) => w.job).length;
  const rows = workers.map((w) => {
    const payload = (w.job?.payload ?? null) as { class?: unknown; args?: unknown } | null;
    const className = payload && typeof payload.class === 'string' ? payload.class : null;
    const since = parseLooseTime(w.job?.run_at);
    const heartbeat = parseLooseTime(w.heartbeat);
    return html`<tr class="${w.job ? 'busy' : ''}">
<td><b>${w.host}</b>:${w.pid}</td>
<td data-implementation="${w.id}">${w.implementation === 'unknown' ? html`<span class="muted" title="no trace of a known Resque">unknown</span>` : w.implementation}</td>
<td>${w.queues.join(', ')}</td>
<td>${w.job ? html`<span class="state busy">working</span> ${className ?? html`<span class="bad">unreadable job</span>`} <span class="muted">from</span> ${w.job.queue}<br><code>${truncate(jsonText(payload?.args ?? null), 120)}</code>` : html`<span class="state idle">idle</span>`}</td>
<td>${w.job ? (since ? relative(since, ctx.now) : w.job.run_at) : '—'}</td>
<td>${parseLooseTime(w.started) ? relative(parseLooseTime(w.started), ctx.now) : (w.started ?? '—')}</td>
<td>${heartbeat ? relative(heartbeat, ctx.now) : html`<span class="muted">none</span>`}</td>
</tr>`;
  });
  const body = html`<p><span data-stat="working">${count(working)}</span> working of <span data-stat="workers">${count(workers.length)}</span> registered workers (every implementation on this Redis). <span class="muted">Runs: told from what each wrote (ours: its heartbeat in <code>workers:alive</code>; node-resque: epoch-seconds start time; Ruby and PHP: their start-time formats), best effort.</span></p>
${workers.length === 0 ? empty('No worker is registered.') : table(['Worker (host:pid)', 'Runs', 'Queues', 'Running', 'Since', 'Started', 'Heartbeat'], rows)}`;
  return { title: 'Workers', nav: 'workers', refreshMs, body };
}
