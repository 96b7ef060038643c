import type { QueueSummary } from '../../client/queue-overview.js';
import { isValidQueueName } from '../../protocol/queue-name.js';
import { minuteChart } from '../chart.js';
import type { Overview } from '../dashboard-data.js';
import { count, duration } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { empty, href, postForm, segment, table, type Page, type PageContext } from './page-context.js';

export function overviewPage(ctx: PageContext, data: Overview, minutes: number, refreshMs: number): Page {
  const { stats } = data;
  const card = (label: string, value: number, link: string, name: string, extra?: SafeHtml) =>
    html`<a class="card" href="${link}"><span class="label">${label}</span><span class="value" data-stat="${name}">${count(value)}</span>${extra ?? ''}</a>`;
  const range = (m: number, label: string) => (m === minutes ? html`<b>${label}</b>` : html`<a href="${href(ctx, '', { minutes: m })}">${label}</a>`);
  const body = html`${pausedBanner(data.allPaused)}<section class="cards">
${card('Processed', stats.processed, href(ctx, '/queues'), 'processed')}
${card('Failed', stats.failed, href(ctx, '/failed'), 'failed', html`<span class="sub">${count(data.failedListed)} listed</span>`)}
${card('Queued', stats.pending, href(ctx, '/queues'), 'pending', html`<span class="sub">in ${count(stats.queues)} queues</span>`)}
${card('Working', stats.working, href(ctx, '/workers'), 'working', html`<span class="sub">of ${count(stats.workers)} workers</span>`)}
${card('Delayed', data.delayedSeconds, href(ctx, '/delayed'), 'delayed', html`<span class="sub">due seconds</span>`)}
${card('Retrying', data.retrying, href(ctx, '/retrying'), 'retrying')}
</section>
<section><h2>Jobs per minute</h2><p class="ranges">Last ${range(60, 'hour')} · ${range(360, '6 hours')} · ${range(1440, 'day')}</p>${minuteChart(data.minutes)}</section>
<section><h2>Queues</h2>${queueTable(ctx, data.queues, ctx.now)}</section>`;
  return { title: 'Overview', nav: 'overview', refreshMs, body };
}

export function queueTable(ctx: PageContext, queues: readonly QueueSummary[], now: number, actions = false): SafeHtml {
  if (queues.length === 0) return empty('No queues yet: a queue appears when a job is first enqueued to it.');
  return table(
    ['Queue', 'Jobs', 'Latency (oldest job)', actions && !ctx.readOnly ? 'Our workers' : ''],
    queues.map(
      (q) => html`<tr><td><a href="${href(ctx, `/queues/${segment(q.name)}`)}">${q.name}</a>${q.paused ? html` <span class="state paused" title="our workers take no jobs from it">paused</span>` : ''}</td><td class="num" data-queue-size="${q.name}">${count(q.size)}</td><td>${latency(q, now)}</td>
<td>${actions && isValidQueueName(q.name) ? postForm(ctx, href(ctx, `/queues/${segment(q.name)}/${q.paused ? 'resume' : 'pause'}`), { back: '/queues' }, q.paused ? 'Resume' : 'Pause', { className: 'button small' }) : ''}</td></tr>`,
    ),
  );
}

function latency(q: QueueSummary, now: number): SafeHtml {
  if (q.size === 0) return html`<span class="muted">empty</span>`;
  if (!q.oldestQueuedAt) return html`<span class="muted" title="the oldest payload carries no queue_time (Ruby and node-resque write none)">unknown</span>`;
  return html`${duration(now - q.oldestQueuedAt.getTime())}`;
}

/** Ruby's global pause, as a banner: nothing shows it otherwise, and it stops every Ruby worker and ours. */
export function pausedBanner(allPaused: boolean): SafeHtml {
  return allPaused ? html`<p class="banner" role="status">All workers are paused (Ruby's <code>pause-all-workers</code> key): Ruby's workers and ours take no new jobs. <code>npx nestjs-resque resume</code> lifts it.</p>` : html``;
}
