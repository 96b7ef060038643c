import { html, type SafeHtml } from '../html.js';

/** What every page needs besides its data. */
export interface PageContext {
  /** The dashboard's URL path, no trailing slash (e.g. `/resque`, `/api/resque`). */
  readonly base: string;
  /** This browser's CSRF token for forms. */
  readonly csrf: string;
  readonly readOnly: boolean;
  readonly title: string;
  readonly now: number;
  /** A one-line message from the action that redirected here. */
  readonly notice?: string;
  readonly pageSize: number;
}

/** A page's output: its title, the nav entry it belongs to, its live refresh interval (0 = none) and its body. */
export interface Page {
  readonly title: string;
  readonly nav: NavKey;
  readonly refreshMs: number;
  readonly body: SafeHtml;
}

export type NavKey = 'overview' | 'queues' | 'workers' | 'metrics' | 'failed' | 'delayed' | 'retrying' | 'schedules';

/** A dashboard URL: path segments are encoded, query values too (empty ones dropped). */
export function href(ctx: PageContext, path: string, query: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const search = params.toString();
  return `${ctx.base}${path}${search ? `?${search}` : ''}`;
}

export function segment(text: string | number): string {
  return encodeURIComponent(String(text));
}

/** A POST form with the CSRF token; `confirm` asks before sending (needs the script; without it the form just sends). */
export function postForm(ctx: PageContext, action: string, fields: Record<string, string | number>, label: string, options: { confirm?: string; className?: string } = {}): SafeHtml {
  if (ctx.readOnly) return html``;
  return html`<form method="post" action="${action}" class="inline"${options.confirm ? html` data-confirm="${options.confirm}"` : ''}>
<input type="hidden" name="_csrf" value="${ctx.csrf}">${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit" class="${options.className ?? 'button'}">${label}</button></form>`;
}

/** "Previous / 26–50 of 1,000 / Next" for a paged list. */
export function pager(ctx: PageContext, path: string, start: number, shown: number, total: number, query: Record<string, string | undefined> = {}): SafeHtml {
  if (total <= ctx.pageSize && start === 0) return html``;
  const previous = start > 0 ? Math.max(0, start - ctx.pageSize) : undefined;
  const next = start + shown < total ? start + ctx.pageSize : undefined;
  const last = Math.max(0, Math.floor((total - 1) / ctx.pageSize) * ctx.pageSize);
  return html`<nav class="pager" aria-label="pages">
${start > 0 ? html`<a href="${href(ctx, path, { ...query, start: 0 })}">First</a> <a href="${href(ctx, path, { ...query, start: previous })}" rel="prev">Previous</a>` : html`<span class="muted">First</span> <span class="muted">Previous</span>`}
<span>${shown === 0 ? '0' : `${(start + 1).toLocaleString('en-US')}–${(start + shown).toLocaleString('en-US')}`} of ${total.toLocaleString('en-US')}</span>
${next !== undefined ? html`<a href="${href(ctx, path, { ...query, start: next })}" rel="next">Next</a> <a href="${href(ctx, path, { ...query, start: last })}">Last</a>` : html`<span class="muted">Next</span> <span class="muted">Last</span>`}
</nav>`;
}

export function empty(text: string): SafeHtml {
  return html`<p class="empty">${text}</p>`;
}

/** A table that scrolls sideways on a phone instead of overflowing the page. */
export function table(head: ReadonlyArray<string | SafeHtml>, rows: readonly SafeHtml[], className = ''): SafeHtml {
  return html`<div class="table-wrap"><table class="${className}"><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}
