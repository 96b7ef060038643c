import type { BulkTask } from '../bulk-tasks.js';
import { count, duration } from '../format.js';
import { html } from '../html.js';
import { filterQuery } from './failed.page.js';
import { href, postForm, type Page, type PageContext } from './page-context.js';

/** A bulk action's progress; refreshed every second while it runs. */
export function taskPage(ctx: PageContext, task: BulkTask): Page {
  const p = task.progress;
  const running = task.state === 'running';
  const verb = task.action === 'retry' ? 'Retried' : 'Removed';
  const scope = task.filter ? Object.entries(filterQuery(task.filter)).filter(([, v]) => v).map(([k, v]) => `${k} = ${v}`).join(', ') : 'all records';
  const elapsed = (task.finishedAt ?? new Date(ctx.now)).getTime() - task.startedAt.getTime();
  const body = html`<p>${task.action === 'retry' ? 'Retry' : 'Remove'} failed jobs: ${scope}.</p>
<p><progress max="${Math.max(1, p.total)}" value="${p.scanned}" data-task-state="${task.state}"></progress> <span data-task-scanned>${count(p.scanned)}</span> of ${count(p.total)} records looked at</p>
<dl class="facts">
<dt>State</dt><dd data-task="state">${task.state}${task.error ? html`: ${task.error}` : ''}</dd>
<dt>${verb}</dt><dd data-task="acted">${count(p.acted)}</dd>
<dt>Changed meanwhile</dt><dd>${count(p.changed)} <span class="muted">(left alone: the list changed under them)</span></dd>
${task.action === 'retry' ? html`<dt>Not retryable</dt><dd>${count(p.unretryable)} <span class="muted">(no queue or job payload in the record)</span></dd>` : ''}
<dt>Time</dt><dd>${duration(elapsed)}</dd>
</dl>
${running ? postForm(ctx, href(ctx, `/tasks/${task.id}/stop`), {}, 'Stop', { className: 'button danger' }) : html`<p><a class="button" href="${href(ctx, '/failed')}">Back to failed jobs</a></p>`}`;
  return { title: 'Bulk action', nav: 'failed', refreshMs: running ? 1000 : 0, body };
}
