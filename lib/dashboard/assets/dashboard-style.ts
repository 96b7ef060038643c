/** The dashboard's stylesheet (served from its own path; CSP style-src 'self'). Desktop and phone widths. */
export const DASHBOARD_STYLE = `
:root { --fg: #1d2330; --muted: #6b7280; --bg: #f6f7f9; --card: #fff; --line: #e3e6ea; --accent: #b3261e; --ok: #1f7a4d; --link: #1a56db; --fail: #c2410c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); text-decoration: none; } a:hover { text-decoration: underline; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px; overflow: auto; white-space: pre-wrap; word-break: break-word; max-height: 60vh; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 20px; padding: 10px 20px; background: #20232a; color: #eee; }
.top a { color: #eee; }
.brand { font-weight: 700; font-size: 16px; color: #fff; }
.nav { display: flex; flex-wrap: wrap; gap: 4px 14px; }
.nav a[aria-current=page] { color: #fff; font-weight: 600; border-bottom: 2px solid var(--accent); }
.live { margin-left: auto; font-size: 12px; color: #cfd3da; display: flex; gap: 8px; align-items: center; }
.link { background: none; border: 0; color: #9ec1ff; cursor: pointer; font: inherit; padding: 0; }
.badge { background: #444; border-radius: 4px; padding: 1px 6px; }
main { padding: 16px 20px 40px; max-width: 1280px; margin: 0 auto; }
h1 { font-size: 22px; margin: 4px 0 12px; } h2 { font-size: 16px; margin: 22px 0 8px; }
.muted { color: var(--muted); } .bad { color: var(--accent); }
.banner { background: #fff4e5; border: 1px solid #f3d19c; padding: 8px 12px; border-radius: 6px; color: #6b4400; }
.notice { background: #e7f5ec; border: 1px solid #b7e1c6; padding: 8px 12px; border-radius: 6px; }
.empty { color: var(--muted); padding: 18px; background: var(--card); border: 1px dashed var(--line); border-radius: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { display: flex; flex-direction: column; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; color: var(--fg); }
.card:hover { text-decoration: none; border-color: #c5cad3; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 12px; }
.chart { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px; }
.plot { display: grid; grid-template-columns: 44px 1fr; gap: 6px; }
.chart svg { width: 100%; height: 200px; display: block; overflow: visible; }
.chart .grid { stroke: var(--line); stroke-width: 1; vector-effect: non-scaling-stroke; }
.yaxis { display: flex; flex-direction: column; justify-content: space-between; height: 200px; text-align: right; font-size: 11px; color: var(--muted); line-height: 1; }
.xaxis { display: flex; justify-content: space-between; margin-left: 50px; font-size: 11px; color: var(--muted); }
.chart .series { fill: none; stroke-width: 2; vector-effect: non-scaling-stroke; }
.chart .series.processed { stroke: var(--ok); } .chart .series.failed { stroke: var(--fail); }
.chart figcaption { font-size: 12px; margin-top: 4px; }
.key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; vertical-align: middle; }
.key.processed { background: var(--ok); } .key.failed { background: var(--fail); }
.ranges { margin: 0 0 6px; font-size: 12px; }
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
tr:last-child td { border-bottom: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.class, dd.class { font-weight: 600; word-break: break-all; }
td code { word-break: break-all; }
td.actions { white-space: nowrap; }
.state { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 12px; }
.state.busy { background: #e7f5ec; color: var(--ok); } .state.paused { background: #fff4e5; color: #9a5b00; } .state.idle { background: #eef0f3; color: var(--muted); }
.button { display: inline-block; border: 1px solid #c5cad3; background: #fff; color: var(--fg); border-radius: 6px; padding: 4px 10px; font: inherit; cursor: pointer; }
.button:hover { background: #f0f2f5; text-decoration: none; }
.button.danger { color: var(--accent); border-color: #e6b4b0; }
.button.small { padding: 1px 7px; font-size: 12px; }
form.inline { display: inline; }
.filter { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; margin-bottom: 12px; }
.filter label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
.filter input { font: inherit; padding: 4px 6px; border: 1px solid #c5cad3; border-radius: 6px; min-width: 140px; }
.bulk { margin: 8px 0; display: flex; gap: 8px; flex-wrap: wrap; }
.danger-zone { margin-top: 24px; } .danger-zone form { margin-right: 8px; }
.pager { display: flex; gap: 12px; align-items: center; margin: 10px 0; flex-wrap: wrap; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; word-break: break-word; }
dd.error { white-space: pre-wrap; }
.actions-bar { margin: 8px 0 12px; display: flex; gap: 8px; }
progress { width: min(480px, 100%); height: 16px; vertical-align: middle; }
@media (max-width: 640px) {
  .top { padding: 8px 12px; } main { padding: 12px; }
  .live { margin-left: 0; width: 100%; }
  .facts { grid-template-columns: 1fr; } .facts dt { margin-top: 6px; }
  .card .value { font-size: 20px; }
  .filter input { min-width: 0; width: 100%; } .filter label { flex: 1 1 45%; }
}
`;
