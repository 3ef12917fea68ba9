/** Stylesheet of the dashboard (served at `/dashboard/app.css`). */
export const APP_CSS = `
:root { --bg:#f6f7f9; --fg:#1d2430; --muted:#6b7280; --line:#e2e5ea; --card:#fff; --accent:#2563eb; --bad:#dc2626; --good:#16a34a; --warn:#d97706; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--fg); }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
header.top { display:flex; gap:24px; align-items:center; padding:10px 24px; background:#111827; color:#fff; }
header.top a { color:#e5e7eb; margin-right:16px; } .brand { font-weight:700; font-size:18px; color:#fff !important; }
#status-line { margin-left:auto; font-size:12px; color:#9ca3af; }
main { padding:16px 24px; max-width:1280px; margin:0 auto; }
section.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; margin-bottom:16px; }
h2 { font-size:16px; margin:4px 0 10px; } h3 { font-size:14px; margin:12px 0 6px; color:#374151; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
td.num, th.num { text-align:right; }
.muted { color:var(--muted); } .neg { color:var(--bad); } .pos { color:var(--good); }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; background:#e5e7eb; color:#374151; }
.status-running, .status-busy { background:#dbeafe; color:#1e40af; }
.status-completed, .status-available { background:#dcfce7; color:#166534; }
.status-failed, .status-temporarily_unavailable { background:#fee2e2; color:#991b1b; }
.status-cancelled { background:#fef3c7; color:#92400e; } .status-pending { background:#f3f4f6; color:#4b5563; }
.progress { position:relative; width:160px; height:16px; background:#e5e7eb; border-radius:8px; overflow:hidden; }
.progress.wide { width:100%; height:20px; }
.progress .bar { height:100%; background:var(--accent); transition:width .4s; }
.progress span { position:absolute; inset:0; text-align:center; font-size:11px; line-height:16px; color:#111; }
.progress.wide span { line-height:20px; }
.grid2 { display:grid; grid-template-columns:repeat(auto-fit, minmax(420px, 1fr)); gap:16px; }
.grid-result { display:grid; grid-template-columns:minmax(300px, 1fr) minmax(0, 2fr); gap:16px; align-items:start; }
.kv td:first-child { color:var(--muted); width:40%; }
svg.chart { width:100%; height:auto; display:block; background:#fff; }
svg.chart .axis { stroke:#9ca3af; stroke-width:1; } svg.chart .grid { stroke:#eef0f3; stroke-width:1; }
svg.chart text { font-size:11px; fill:#6b7280; font-family:inherit; }
button { font:inherit; padding:5px 14px; border-radius:6px; border:1px solid var(--line); background:#fff; cursor:pointer; }
button.danger { border-color:var(--bad); color:var(--bad); } button:disabled { opacity:.5; cursor:default; }
.error { color:var(--bad); white-space:pre-wrap; }
.scroll { max-height:720px; overflow:auto; }
@media (max-width: 900px) { .grid-result { grid-template-columns:1fr; } }
pre { background:#f3f4f6; padding:8px; border-radius:6px; overflow:auto; font-size:12px; }
th.sortable { cursor:pointer; user-select:none; }
#sweep-heatmap rect.cell { stroke:#fff; }
`;
