import type { ClassMetrics } from '../../client/class-metrics.js';
import { count } from '../format.js';
import { html } from '../html.js';
import { empty, href, table, type Page, type PageContext } from './page-context.js';

/** The ranges offered, in minutes (Sidekiq's Metrics tab offers the same). */
export const METRIC_RANGES: readonly number[] = [60, 120, 240, 480];

/** Per job class: runs, failures and execution time over the last hour(s), from what our workers write. */
export function metricsPage(ctx: PageContext, classes: readonly ClassMetrics[], minutes: number, refreshMs: number): Page {
  const range = (m: number) => (m === minutes ? html`<b>${m / 60} h</b>` : html`<a href="${href(ctx, '/metrics', { minutes: m })}">${m / 60} h</a>`);
  const rows = classes.map(
    (c) => html`<tr><td>${c.className}</td><td class="num" data-class-processed="${c.className}">${count(c.processed)}</td><td class="num${c.failed ? ' bad' : ''}" data-class-failed="${c.className}">${count(c.failed)}</td><td class="num">${percent(c.failed, c.processed)}</td><td class="num">${ms(c.totalMs)}</td><td class="num">${ms(c.averageMs)}</td><td class="num">${bound(c.p50Ms)}</td><td class="num">${bound(c.p95Ms)}</td></tr>`,
  );
  const body = html`<p class="ranges">Last ${METRIC_RANGES.map((m, i) => html`${i ? ' · ' : ''}${range(m)}`)}</p>
<p class="muted">Written by nestjs-resque workers only (each adds its counts every 5 s, kept 8 hours): jobs run by PHP, Ruby or node-resque workers on this Redis are not counted here (the Overview's chart counts every implementation). Processed counts every run that ended, failed ones included; p50 and p95 are the histogram bound the run falls under.</p>
${classes.length === 0 ? empty('No job run by our workers in this range.') : table(['Class', 'Processed', 'Failed', 'Failure rate', 'Total time', 'Average', 'p50', 'p95'], rows)}`;
  return { title: 'Metrics', nav: 'metrics', refreshMs, body };
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '—' : `${((part / whole) * 100).toFixed(part === 0 || part === whole ? 0 : 1)}%`;
}

/** "3 ms", "2.41 s", "1 h 2 min" (totals can be long). */
function ms(value: number): string {
  if (value < 1000) return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
  const s = value / 1000;
  if (s < 60) return `${s.toFixed(2)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function bound(value: number | null): string {
  if (value === null) return '—';
  return value === Infinity ? '> 10 min' : `≤ ${ms(value)}`;
}
