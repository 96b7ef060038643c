/**
 * The overview's chart: jobs processed and failed per minute, as a hand-written SVG (no script, no
 * library). Minutes nobody sampled are gaps in the lines, not zeros.
 */
import type { MinuteCounts } from '../client/stat-history.js';
import { count } from './format.js';
import { html, type SafeHtml } from './html.js';

const W = 720;
const H = 200;

/** Lines in a stretchable SVG (strokes do not scale); the axis labels are HTML beside it, so text never stretches. */
export function minuteChart(points: readonly MinuteCounts[]): SafeHtml {
  const highest = Math.max(1, ...points.map((p) => Math.max(p.processed ?? 0, p.failed ?? 0)));
  const top = niceCeiling(highest);
  const x = (i: number) => (points.length <= 1 ? 0 : (i * W) / (points.length - 1));
  const y = (v: number) => H - 2 - (v / top) * (H - 4);
  const path = (field: 'processed' | 'failed') => {
    let d = '';
    let pen = false;
    points.forEach((p, i) => {
      const v = p[field];
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const ticks = points.length === 0 ? [] : [0, Math.floor((points.length - 1) / 2), points.length - 1];
  const total = (field: 'processed' | 'failed') => points.reduce((sum, p) => sum + (p[field] ?? 0), 0);
  const label = `Jobs per minute over the last ${points.length} minutes: ${count(total('processed'))} processed, ${count(total('failed'))} failed`;
  return html`<figure class="chart">
<div class="plot">
<div class="yaxis" aria-hidden="true"><span>${short(top)}</span><span>${short(top / 2)}</span><span>0</span></div>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}" preserveAspectRatio="none">
<title>${label}</title>
${[top, top / 2, 0].map((v) => html`<line class="grid" x1="0" x2="${W}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"></line>`)}
<path class="series processed" d="${path('processed')}"></path>
<path class="series failed" d="${path('failed')}"></path>
</svg>
</div>
<div class="xaxis" aria-hidden="true">${ticks.map((i) => html`<span>${clock(points[i]!.minute)}</span>`)}</div>
<figcaption><span class="key processed"></span>processed <b data-chart-total="processed">${count(total('processed'))}</b> <span class="key failed"></span>failed <b data-chart-total="failed">${count(total('failed'))}</b> <span class="muted">per minute, UTC; gaps: minutes no process sampled</span></figcaption>
</figure>`;
}

function niceCeiling(v: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= v) return step * magnitude;
  return 10 * magnitude;
}

function short(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toFixed(1));
}

function clock(minute: number): string {
  return new Date(minute * 60_000).toISOString().slice(11, 16);
}
