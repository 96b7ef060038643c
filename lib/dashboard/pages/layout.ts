import { html, type SafeHtml } from '../html.js';
import { ASSET_VERSION } from '../assets/asset-version.js';
import { href, type NavKey, type Page, type PageContext } from './page-context.js';

const NAV: ReadonlyArray<[NavKey, string, string]> = [
  ['overview', 'Overview', ''],
  ['queues', 'Queues', '/queues'],
  ['workers', 'Workers', '/workers'],
  ['metrics', 'Metrics', '/metrics'],
  ['failed', 'Failed', '/failed'],
  ['delayed', 'Delayed', '/delayed'],
  ['retrying', 'Retrying', '/retrying'],
  ['schedules', 'Schedules', '/schedules'],
];

/** The page's main content alone: what live refresh swaps in. */
export function fragment(ctx: PageContext, page: Page): SafeHtml {
  return html`${ctx.notice ? html`<p class="notice" role="status">${ctx.notice}</p>` : ''}<h1>${page.title}</h1>${page.body}`;
}

export function layout(ctx: PageContext, page: Page): SafeHtml {
  const live = page.refreshMs > 0;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${page.title} · ${ctx.title}</title>
<link rel="stylesheet" href="${href(ctx, '/assets/dashboard.css', { v: ASSET_VERSION })}">
<script src="${href(ctx, '/assets/dashboard.js', { v: ASSET_VERSION })}" defer></script>
</head>
<body>
<header class="top">
<a class="brand" href="${href(ctx, '')}">${ctx.title}</a>
<nav class="nav">${NAV.map(([key, label, path]) => html`<a href="${href(ctx, path)}"${key === page.nav ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
<div class="live" id="live">${live ? html`<span id="live-status" data-every="${page.refreshMs}">Live: every ${page.refreshMs / 1000} s</span> <button type="button" id="live-toggle" class="link" hidden>Pause</button>` : html`<span class="muted">Not live</span>`}${ctx.readOnly ? html` <span class="badge">read-only</span>` : ''}</div>
</header>
<main id="main" data-live="${page.refreshMs}">${fragment(ctx, page)}</main>
</body>
</html>`;
}
