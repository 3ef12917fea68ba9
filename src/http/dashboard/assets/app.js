// @ts-check
/*
 * Client script of the dashboard (served as-is at `/dashboard/app.js`): vanilla JS, hash routing,
 * polling of the backend API and inline SVG charts. No build step: it is type-checked against the
 * DOM and the API contracts by `tsc -p tsconfig.dashboard.json` (run by the test suite), through
 * the JSDoc types below.
 */

/** @typedef {import('../../../contracts/operation.js').Operation} Operation */
/** @typedef {import('../../../contracts/operation.js').OperationSummary} OperationSummary */
/** @typedef {import('../../../contracts/operation.js').OperationList} OperationList */
/** @typedef {import('../../../contracts/operation.js').Progress} Progress */
/** @typedef {import('../../../contracts/worker.js').WorkerInfo} WorkerInfo */
/** @typedef {Error & { status?: number }} ApiError */
/** @typedef {'continue' | 'stop' | 'stale'} PageOutcome */
/** @typedef {(gen: number) => Promise<PageOutcome>} Page */
/** @typedef {{ label: string, num?: boolean }} Column */
/** @typedef {[number, number]} Point */
/** @typedef {{ label: string, color: string, points: Point[], area?: boolean, markers?: boolean }} Series */
/**
 * @typedef {object} ChartOptions
 * @property {number} [width]
 * @property {number} [height]
 * @property {string} [title]
 * @property {boolean} [yZero] keep 0 inside the y range
 * @property {boolean} [xInt] integer x ticks (epochs)
 * @property {(v: number) => string} yFmt
 * @property {(v: number) => string} xFmt
 */

(function () {
  'use strict';
  var TOKEN_KEY = 'ktrdr.apiToken';
  var REFRESH_MS = 1500;
  var view = /** @type {HTMLElement} */ (document.getElementById('view'));
  var statusLine = /** @type {HTMLElement} */ (document.getElementById('status-line'));
  var generation = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  var timer = null;
  /** @type {string | null} */
  var token = null;
  /** @type {Record<string, boolean | undefined>} */
  var TERMINAL = { completed: true, failed: true, cancelled: true };

  // The token lives in sessionStorage (this tab only, gone when it closes), never in the URL:
  // URLs end up in history, logs and Referer headers.
  (function initToken() {
    try {
      localStorage.removeItem(TOKEN_KEY); // left by older versions
      token = sessionStorage.getItem(TOKEN_KEY);
    } catch (e) { token = null; }
  })();

  // ---------- helpers ----------
  /** HTML-escapes any value (null and undefined print as nothing). @param {unknown} v */
  function esc(v) {
    return String(v == null ? '' : v).replace(/[&<>"']/g, function (c) {
      return /** @type {Record<string, string>} */ ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c;
    });
  }
  /**
   * Calls the API; throws an ApiError (with the HTTP status) on a non-2xx reply.
   * @param {string} path under /api/v1
   * @param {string} [method]
   * @returns {Promise<any>} the parsed JSON body
   */
  async function api(path, method) {
    /** @type {Record<string, string>} */
    var headers = {};
    if (token) headers.authorization = 'Bearer ' + token;
    var res = await fetch('/api/v1' + path, { method: method || 'GET', headers: headers, cache: 'no-store' });
    var text = await res.text();
    var body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    if (!res.ok) {
      var err = /** @type {ApiError} */ (new Error(res.status + ' ' + ((body && body.detail) || res.statusText)));
      err.status = res.status;
      throw err;
    }
    return body;
  }
  /** @param {unknown} err @returns {ApiError} */
  function asError(err) { return err instanceof Error ? err : new Error(String(err)); }
  /** @param {unknown} v @returns {v is number} */
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function fmtNum(v, digits) {
    if (!isNum(v)) return v == null ? '–' : esc(v);
    return v.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits == null ? 2 : digits });
  }
  function fmtFixed(v, digits) { return isNum(v) ? v.toFixed(digits) : '–'; }
  function fmtPct(v) { return isNum(v) ? (v * 100).toFixed(2) + ' %' : '–'; }
  function signClass(v) { return isNum(v) ? (v < 0 ? 'neg' : v > 0 ? 'pos' : '') : ''; }
  /** Epoch seconds, epoch ms or an ISO string → epoch ms. @param {unknown} t @returns {number | null} */
  function toMs(t) {
    if (isNum(t)) return t < 1e11 ? t * 1000 : t;
    var ms = Date.parse(String(t));
    return isNaN(ms) ? null : ms;
  }
  function fmtTime(t) {
    var ms = toMs(t);
    return ms == null ? '–' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
  }
  function fmtDate(ms) { return new Date(ms).toISOString().slice(0, 10); }
  /** @param {number | null} ms */
  function fmtDuration(ms) {
    if (ms == null || !isFinite(ms) || ms < 0) return '–';
    var s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + (s % 60) + ' s';
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }
  function fmtAgo(t) {
    var ms = toMs(t);
    return ms == null ? '–' : fmtDuration(Date.now() - ms) + ' ago';
  }
  /** Run time so far (or in all, once completed). @param {OperationSummary} op */
  function duration(op) {
    var start = op.started_at ? toMs(op.started_at) : null;
    var end = op.completed_at ? toMs(op.completed_at) : Date.now();
    return start == null || end == null ? '–' : fmtDuration(end - start);
  }
  function badge(s) { return '<span class="badge status-' + esc(s) + '">' + esc(s) + '</span>'; }
  function progressBar(p, wide) {
    var pct = Math.max(0, Math.min(100, (p && isNum(p.percentage)) ? p.percentage : 0));
    return '<div class="progress' + (wide ? ' wide' : '') + '"><div class="bar" style="width:' + pct.toFixed(1) +
      '%"></div><span>' + pct.toFixed(0) + ' %</span></div>';
  }
  function opLink(id) { return id ? '<a href="#/operations/' + encodeURIComponent(id) + '">' + esc(id) + '</a>' : '–'; }
  /** @param {string} id @param {Column[]} head @param {string[]} rows @param {string} [empty] */
  function table(id, head, rows, empty) {
    if (!rows.length) return '<p class="muted"' + (id ? ' id="' + id + '"' : '') + '>' + esc(empty || 'Nothing yet.') + '</p>';
    return '<table' + (id ? ' id="' + id + '"' : '') + '><thead><tr>' + head.map(function (h) {
      return '<th' + (h.num ? ' class="num"' : '') + '>' + esc(h.label) + '</th>';
    }).join('') + '</tr></thead><tbody>' + rows.join('') + '</tbody></table>';
  }
  function td(html, cls) { return '<td' + (cls ? ' class="' + cls + '"' : '') + '>' + html + '</td>'; }

  // ---------- SVG charts ----------
  function niceTicks(lo, hi, n) {
    var span = hi - lo, step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var err = (n * step) / span;
    if (err <= 0.15) step *= 10; else if (err <= 0.35) step *= 5; else if (err <= 0.75) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }
  /** @param {string} id @param {Series[]} series @param {ChartOptions} opts */
  function lineChart(id, series, opts) {
    var W = opts.width || 960, H = opts.height || 280, L = 70, R = 16, T = 22, B = 26;
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    series.forEach(function (s) {
      s.points.forEach(function (p) {
        if (p[0] < x0) x0 = p[0]; if (p[0] > x1) x1 = p[0];
        if (p[1] < y0) y0 = p[1]; if (p[1] > y1) y1 = p[1];
      });
    });
    if (!isFinite(x0)) return '<svg id="' + id + '" class="chart" viewBox="0 0 ' + W + ' 40"><text x="10" y="24">No data</text></svg>';
    if (opts.yZero) { y0 = Math.min(y0, 0); y1 = Math.max(y1, 0); }
    if (y1 === y0) { y1 += Math.abs(y1) * 0.01 || 1; y0 -= Math.abs(y0) * 0.01 || 1; }
    var pad = (y1 - y0) * 0.05;
    if (!(opts.yZero && y1 === 0)) y1 += pad;
    if (!(opts.yZero && y0 === 0)) y0 -= pad;
    if (x1 === x0) x1 = x0 + 1;
    function sx(x) { return L + ((x - x0) / (x1 - x0)) * (W - L - R); }
    function sy(y) { return T + (1 - (y - y0) / (y1 - y0)) * (H - T - B); }
    var parts = ['<svg id="' + id + '" class="chart" viewBox="0 0 ' + W + ' ' + H + '" role="img" aria-label="' + esc(opts.title || id) + '">'];
    if (opts.title) parts.push('<text x="' + L + '" y="14" style="font-weight:600;fill:#374151">' + esc(opts.title) + '</text>');
    niceTicks(y0, y1, 5).forEach(function (v) {
      var y = sy(v).toFixed(1);
      parts.push('<line class="grid" x1="' + L + '" x2="' + (W - R) + '" y1="' + y + '" y2="' + y + '"/>');
      parts.push('<text x="' + (L - 6) + '" y="' + y + '" text-anchor="end" dominant-baseline="middle">' + esc(opts.yFmt(v)) + '</text>');
    });
    var xTicks = [];
    if (opts.xInt) xTicks = niceTicks(x0, x1, Math.min(8, Math.max(1, x1 - x0))).filter(function (v) { return Math.abs(v - Math.round(v)) < 1e-9; });
    else for (var i = 0; i <= 5; i++) xTicks.push(x0 + ((x1 - x0) * i) / 5);
    xTicks.forEach(function (xv, i) {
      var anchor = opts.xInt ? 'middle' : i === 0 ? 'start' : i === xTicks.length - 1 ? 'end' : 'middle';
      parts.push('<text x="' + sx(xv).toFixed(1) + '" y="' + (H - 8) + '" text-anchor="' + anchor + '">' + esc(opts.xFmt(xv)) + '</text>');
    });
    parts.push('<line class="axis" x1="' + L + '" x2="' + L + '" y1="' + T + '" y2="' + (H - B) + '"/>');
    parts.push('<line class="axis" x1="' + L + '" x2="' + (W - R) + '" y1="' + (H - B) + '" y2="' + (H - B) + '"/>');
    series.forEach(function (s) {
      if (!s.points.length) return;
      var d = s.points.map(function (p, j) { return (j ? 'L' : 'M') + sx(p[0]).toFixed(1) + ' ' + sy(p[1]).toFixed(1); }).join(' ');
      if (s.area) {
        var base = sy(Math.max(y0, Math.min(y1, 0))).toFixed(1);
        var first = s.points[0], last = s.points[s.points.length - 1];
        parts.push('<path d="' + d + ' L' + sx(last[0]).toFixed(1) + ' ' + base + ' L' + sx(first[0]).toFixed(1) + ' ' + base +
          ' Z" fill="' + s.color + '" fill-opacity="0.25" stroke="none"/>');
      }
      parts.push('<path class="series" data-series="' + esc(s.label) + '" d="' + d + '" fill="none" stroke="' + s.color + '" stroke-width="1.6"/>');
      if (s.markers) s.points.forEach(function (p) {
        parts.push('<circle cx="' + sx(p[0]).toFixed(1) + '" cy="' + sy(p[1]).toFixed(1) + '" r="2.5" fill="' + s.color + '"/>');
      });
    });
    // The legend sits on the title row, right-aligned, above the plot: inside it, it hid the curve.
    if (series.length > 1) {
      var entryW = function (s) { return 20 + s.label.length * 7 + 14; };
      var lx = W - R - series.reduce(function (w, s) { return w + entryW(s); }, 0) + 14;
      parts.push('<g class="legend">');
      series.forEach(function (s) {
        parts.push('<rect x="' + lx + '" y="8" width="14" height="3" fill="' + s.color + '"/>');
        parts.push('<text x="' + (lx + 20) + '" y="10" dominant-baseline="middle">' + esc(s.label) + '</text>');
        lx += entryW(s);
      });
      parts.push('</g>');
    }
    parts.push('</svg>');
    return parts.join('');
  }

  // ---------- overview ----------
  /** @param {WorkerInfo[]} workers */
  function workersTable(workers) {
    var rows = workers.map(function (w) {
      var caps = w.capabilities || {};
      var gpu = caps.gpu ? 'yes' + (caps.gpu_type ? ' (' + esc(caps.gpu_type) + ')' : '') : 'no';
      return '<tr data-worker-id="' + esc(w.worker_id) + '">' + td(esc(w.worker_id)) + td(esc(w.worker_type)) + td(badge(w.status)) +
        td(gpu) + td(opLink(w.current_operation_id)) + td('<span title="' + esc(w.last_health_check) + '">' + fmtAgo(w.last_health_check) + '</span>') +
        td('<span class="muted">' + esc(w.endpoint_url) + '</span>') + '</tr>';
    });
    return table('workers', [{ label: 'Worker' }, { label: 'Type' }, { label: 'Status' }, { label: 'GPU' }, { label: 'Current operation' },
      { label: 'Last check' }, { label: 'Endpoint' }], rows, 'No worker registered.');
  }
  // The model version (strategy/tf_vN) when the operation used one, else the strategy name.
  function strategyOf(md) {
    var p = md.parameters || {};
    return typeof p.model_version === 'string' ? p.model_version : typeof p.strategy_name === 'string' ? p.strategy_name : '–';
  }
  /** @param {OperationSummary[]} ops */
  function operationsTable(ops) {
    var rows = ops.map(function (op) {
      var md = op.metadata || {};
      var what = [md.symbol, md.timeframe].filter(Boolean).join(' ');
      return '<tr data-operation-id="' + esc(op.operation_id) + '">' + td(opLink(op.operation_id)) + td(badge(op.status)) + td(esc(op.operation_type)) +
        td(esc(strategyOf(md))) + td(esc(what) || '–') + td(progressBar(op.progress)) + td(esc(op.worker_id || '–')) + td(fmtTime(op.created_at)) + td(duration(op), 'num') + '</tr>';
    });
    return table('operations', [{ label: 'Operation' }, { label: 'Status' }, { label: 'Type' }, { label: 'Strategy / model' }, { label: 'Market' }, { label: 'Progress' },
      { label: 'Worker' }, { label: 'Created (UTC)' }, { label: 'Duration', num: true }], rows, 'No operation yet.');
  }
  /** @type {Page} */
  async function overviewPage(gen) {
    var res = await Promise.allSettled([api('/workers'), api('/operations?limit=50')]);
    if (gen !== generation) return 'stale';
    var unauthorized = res.some(function (r) { return r.status === 'rejected' && r.reason && r.reason.status === 401; });
    if (unauthorized) { view.innerHTML = tokenForm(); return 'stop'; }
    var w = res[0], o = res[1];
    var opsHead = o.status === 'fulfilled' ? ' <span class="muted">(' + o.value.active_count + ' active, ' + o.value.total_count + ' total)</span>' : '';
    view.innerHTML =
      '<section class="card"><h2>Workers</h2>' + (w.status === 'fulfilled' ? workersTable(w.value) : '<p class="error">' + esc(w.reason) + '</p>') + '</section>' +
      '<section class="card"><h2>Operations' + opsHead + '</h2>' + (o.status === 'fulfilled' ? operationsTable(o.value.data) : '<p class="error">' + esc(o.reason) + '</p>') + '</section>';
    return 'continue';
  }
  function tokenForm() {
    return '<section class="card"><h2>API token required</h2><p>The backend requires a bearer token (KTRDR_API_TOKEN). ' +
      (token ? '<span class="error">The token you entered was refused.</span> ' : '') +
      'Enter it here; it is kept for this browser tab only (sessionStorage) and sent as a bearer header.</p>' +
      '<form id="token-form"><input id="token-input" type="password" size="40" autocomplete="off"> <button type="submit">Save</button></form></section>';
  }

  // ---------- operation page ----------
  var METRICS = [
    ['total_return_pct', 'Total return', 'pct'], ['total_return', 'Total return (amount)', 'money'],
    ['annualized_return', 'Annualized return', 'pct'],
    ['buy_and_hold_return_pct', 'Buy & hold return', 'pct'], ['sharpe_ratio', 'Sharpe ratio', 'num'],
    ['sortino_ratio', 'Sortino ratio', 'num'], ['max_drawdown_pct', 'Max drawdown', 'pct'],
    ['max_drawdown', 'Max drawdown (amount)', 'money'],
    ['win_rate', 'Win rate', 'pct'], ['profit_factor', 'Profit factor', 'num'], ['total_trades', 'Total trades', 'int'],
    ['total_fees', 'Total fees', 'money'], ['exposure_pct', 'Exposure', 'pct'],
  ];
  var PCT_KEYS = { win_rate: true, annualized_return: true };
  // Money with 2 decimals, durations with their unit.
  var MONEY_KEYS = { avg_win: true, avg_loss: true, largest_win: true, largest_loss: true, expectancy: true };
  function fmtMoney(v) { return isNum(v) ? v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : '–'; }
  function metricKind(k, v) {
    if (/_pct$/.test(k) || PCT_KEYS[k]) return 'pct';
    if (MONEY_KEYS[k]) return 'money';
    if (k === 'avg_holding_period' || /_hours$/.test(k)) return 'hours';
    if (/_bars$/.test(k)) return 'bars';
    return Number.isInteger(v) ? 'int' : 'num';
  }
  function humanize(k) { var s = k.replace(/_pct$/, ' %').replace(/_/g, ' '); return s.charAt(0).toUpperCase() + s.slice(1); }
  function metricsTable(m) {
    var seen = {}, rows = [];
    function row(key, label, kind) {
      var v = m[key];
      seen[key] = true;
      if (v === undefined || (v !== null && typeof v === 'object')) return;
      var shown = kind === 'pct' ? fmtPct(v) : kind === 'int' ? fmtNum(v, 0) : kind === 'money' ? fmtMoney(v)
        : kind === 'hours' ? fmtNum(v, 1) + ' h' : kind === 'bars' ? fmtNum(v, 0) + ' bars' : fmtNum(v, 3);
      var cls = key.indexOf('return') >= 0 ? signClass(v) : key.indexOf('drawdown') >= 0 && key.indexOf('duration') < 0 && isNum(v) && v !== 0 ? 'neg' : '';
      rows.push('<tr data-metric="' + esc(key) + '">' + td(esc(label)) + td(shown, 'num ' + cls) + '</tr>');
    }
    METRICS.forEach(function (d) { row(d[0], d[1], d[2]); });
    Object.keys(m).forEach(function (k) {
      if (!seen[k]) row(k, humanize(k), metricKind(k, m[k]));
    });
    return '<table id="metrics" class="kv">' + rows.join('') + '</table>';
  }
  function tradesTable(trades, total) {
    var rows = trades.map(function (t) {
      return '<tr>' + td(esc(t.trade_id)) + td(esc(t.side)) + td(fmtTime(t.entry_time).slice(0, 16)) + td(fmtFixed(t.entry_price, 5), 'num') +
        td(fmtTime(t.exit_time).slice(0, 16)) + td(fmtFixed(t.exit_price, 5), 'num') + td(fmtNum(t.quantity, 4), 'num') +
        td(fmtNum(t.net_pnl, 2), 'num ' + signClass(t.net_pnl)) + '</tr>';
    });
    var note = isNum(total) && total > trades.length ? '<p class="muted">Showing the first and last trades: ' + trades.length + ' of ' + total + '.</p>' : '';
    return note + '<div class="scroll">' + table('trades', [{ label: '#' }, { label: 'Side' }, { label: 'Entry (UTC)' }, { label: 'Entry price', num: true },
      { label: 'Exit (UTC)' }, { label: 'Exit price', num: true }, { label: 'Qty', num: true }, { label: 'Net P&L', num: true }], rows, 'No trade.') + '</div>';
  }
  function backtestSection(rs) {
    var curve = Array.isArray(rs.equity_curve) ? rs.equity_curve : [];
    var eq = [], dd = [];
    curve.forEach(function (p) {
      var t = toMs(p.time);
      if (t == null) return;
      if (isNum(p.equity)) eq.push([t, p.equity]);
      if (isNum(p.drawdown_pct)) dd.push([t, -Math.abs(p.drawdown_pct) * 100]);
    });
    var trades = Array.isArray(rs.trades) ? rs.trades : [];
    return '<section class="card"><h2>Equity</h2>' +
      lineChart('equity-chart', [{ label: 'Equity', color: '#2563eb', points: eq }].concat(benchmarkSeries(curve)), { height: 300, yFmt: function (v) { return fmtNum(v, 0); }, xFmt: fmtDate }) +
      lineChart('drawdown-chart', [{ label: 'Drawdown', color: '#dc2626', points: dd, area: true }],
        { height: 160, title: 'Drawdown', yZero: true, yFmt: function (v) { return v.toFixed(1) + ' %'; }, xFmt: fmtDate }) +
      '</section><div class="grid-result"><section class="card"><h2>Metrics</h2>' + metricsTable(rs.metrics || {}) + '</section>' +
      '<section class="card"><h2>Trades <span class="muted">(' + fmtNum(isNum(rs.trade_count) ? rs.trade_count : trades.length, 0) + ')</span></h2>' +
      tradesTable(trades, rs.trade_count) + '</section></div>' + priceSection(curve, trades) + backtestContextSection(rs);
  }
  // Issue 10: benchmark overlay, costs, position semantics, benchmarks and signal diagnostics.
  function benchmarkSeries(curve) {
    var pts = [];
    curve.forEach(function (p) { var t = toMs(p.time); if (t != null && isNum(p.benchmark_equity)) pts.push([t, p.benchmark_equity]); });
    return pts.length ? [{ label: 'Buy & hold', color: '#9ca3af', points: pts }] : [];
  }
  // Price (close at each equity point) with the listed trades' entries (▲) and exits (▼).
  function priceSection(curve, trades) {
    var pts = [];
    curve.forEach(function (p) { var t = toMs(p.time); if (t != null && isNum(p.close)) pts.push([t, p.close]); });
    if (pts.length < 2) return '';
    var W = 960, H = 300, L = 70, R = 16, T = 22, B = 26;
    var x0 = pts[0][0], x1 = pts[pts.length - 1][0], y0 = Infinity, y1 = -Infinity;
    var marks = [];
    trades.forEach(function (tr) {
      [[tr.entry_time, tr.entry_price, 'entry'], [tr.exit_time, tr.exit_price, 'exit']].forEach(function (m) {
        var t = toMs(m[0]);
        if (t != null && t > x1) t = x1; // the end-of-data exit is at the last bar's close
        if (t != null && isNum(m[1]) && t >= x0) marks.push([t, m[1], m[2], tr.side]);
      });
    });
    pts.concat(marks).forEach(function (p) { if (p[1] < y0) y0 = p[1]; if (p[1] > y1) y1 = p[1]; });
    var pad = (y1 - y0) * 0.05 || 1; y0 -= pad; y1 += pad;
    function sx(x) { return L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R); }
    function sy(y) { return T + (1 - (y - y0) / (y1 - y0)) * (H - T - B); }
    var out = ['<svg id="price-chart" class="chart" viewBox="0 0 ' + W + ' ' + H + '" role="img" aria-label="Price">'];
    niceTicks(y0, y1, 5).forEach(function (v) {
      var y = sy(v).toFixed(1);
      out.push('<line class="grid" x1="' + L + '" x2="' + (W - R) + '" y1="' + y + '" y2="' + y + '"/><text x="' + (L - 6) + '" y="' + y + '" text-anchor="end" dominant-baseline="middle">' + esc(fmtNum(v, 4)) + '</text>');
    });
    for (var i = 0; i <= 5; i++) {
      var xv = x0 + ((x1 - x0) * i) / 5;
      out.push('<text x="' + sx(xv).toFixed(1) + '" y="' + (H - 8) + '" text-anchor="' + (i === 0 ? 'start' : i === 5 ? 'end' : 'middle') + '">' + esc(fmtDate(xv)) + '</text>');
    }
    out.push('<path class="series" data-series="Close" d="' + pts.map(function (p, j) { return (j ? 'L' : 'M') + sx(p[0]).toFixed(1) + ' ' + sy(p[1]).toFixed(1); }).join(' ') + '" fill="none" stroke="#6b7280" stroke-width="1.2"/>');
    marks.forEach(function (m) {
      var x = sx(m[0]), y = sy(m[1]), up = (m[2] === 'entry') === (m[3] !== 'short');
      var d = up ? 'M' + x.toFixed(1) + ' ' + (y - 1).toFixed(1) + ' l-5 9 h10 z' : 'M' + x.toFixed(1) + ' ' + (y + 1).toFixed(1) + ' l-5 -9 h10 z';
      out.push('<path class="trade-marker ' + m[2] + '" d="' + d + '" fill="' + (m[2] === 'entry' ? '#16a34a' : '#dc2626') + '"><title>' + esc(m[2] + ' ' + m[3] + ' ' + fmtNum(m[1], 5)) + '</title></path>');
    });
    out.push('</svg>');
    return '<section class="card"><h2>Price and trades <span class="muted">(▲ buy, ▼ sell; the listed trades)</span></h2>' + out.join('') + '</section>';
  }
  function backtestContextSection(rs) {
    var out = '';
    var c = rs.costs, t = rs.trading, b = rs.benchmarks, d = rs.diagnostics, m = rs.metrics || {};
    if (c && typeof c === 'object' && t && typeof t === 'object') {
      var size = t.position_size && isNum(t.position_size.units) ? fmtNum(t.position_size.units, 2) + ' units' : t.position_size ? fmtPct(t.position_size.fraction) + ' of equity' : '–';
      var sep = t.min_signal_separation ? (isNum(t.min_signal_separation.bars) ? t.min_signal_separation.bars + ' bars' : esc(t.min_signal_separation.duration) + ' since last fill') : '–';
      out += '<section class="card"><h2>Costs and positions</h2><table id="backtest-costs" class="kv">' +
        kvRow('Asset class', esc(c.asset_class) + (c.sources && c.sources.commission === 'default' ? ' (default costs)' : '')) +
        kvRow('Commission per fill', fmtFixed(c.commission_bps, 2) + ' bps') +
        kvRow('Slippage per fill', fmtFixed(c.slippage_bps, 2) + ' bps + ' + fmtFixed(c.slippage_pips, 2) + ' pip') +
        kvRow('Fee per fill', fmtFixed(c.fee_per_trade, 2)) +
        kvRow('Positions', (t.allow_short ? 'long/short' : 'long-only') + ', opposite signal ' + esc(t.on_opposite_signal)) +
        kvRow('Size', size) + kvRow('Signal separation', sep) +
        (rs.model && typeof rs.model === 'object' ? kvRow('Model', esc(rs.model.version) + ', trained ' + esc(rs.model.trained_from || '…') + ' → ' + esc(rs.model.trained_to || 'end of data') +
          (rs.model.out_of_sample ? ' (this run is out of sample)' : ' (this run overlaps the training data)')) : '') + '</table></section>';
    }
    if (b && typeof b === 'object') {
      var rows = [['Strategy', m], ['Buy & hold (same size, costs)', b.buy_and_hold || {}], ['Buy & hold (100 %, costs)', b.buy_and_hold_full || {}]];
      out += '<section class="card"><h2>Compared with buy &amp; hold</h2>' + table('benchmarks', [{ label: '' }, { label: 'Return', num: true }, { label: 'Sharpe', num: true }, { label: 'Max DD', num: true }],
        rows.map(function (r) { return '<tr>' + td(esc(r[0])) + td(fmtPct(r[1].total_return_pct), 'num ' + signClass(r[1].total_return_pct)) + td(fmtFixed(r[1].sharpe_ratio, 2), 'num') + td(fmtPct(r[1].max_drawdown_pct), 'num') + '</tr>'; }), '') + '</section>';
    }
    if (d && typeof d === 'object') {
      var notes = (d.no_trade_reasons || []).map(function (x) { return '<li>No trades: ' + esc(x) + '</li>'; }).concat((d.data_warnings || []).map(function (x) { return '<li>Data: ' + esc(x) + '</li>'; }));
      out += '<section class="card"><h2>Signals</h2><table id="signal-diagnostics" class="kv">' +
        kvRow('Raw BUY / HOLD / SELL', fmtNum(d.raw_buy, 0) + ' / ' + fmtNum(d.raw_hold, 0) + ' / ' + fmtNum(d.raw_sell, 0) + ' of ' + fmtNum(d.decision_bars, 0) + ' bars') +
        kvRow('Below threshold', fmtNum(d.below_threshold, 0)) + kvRow('Already in position', fmtNum(d.already_in_position, 0)) +
        kvRow('Shorts not allowed', fmtNum(d.short_not_allowed, 0)) + kvRow('By separation', fmtNum(d.by_separation, 0)) +
        kvRow('No capital', fmtNum(d.no_capital, 0)) + kvRow('Executed', fmtNum(d.executed, 0)) + kvRow('Liquidations', fmtNum(d.liquidations, 0)) +
        kvRow('Highest BUY / SELL probability', fmtFixed(d.max_buy_probability, 3) + ' / ' + fmtFixed(d.max_sell_probability, 3)) + '</table>' +
        (notes.length ? '<ul class="warnings">' + notes.join('') + '</ul>' : '') + '</section>';
    }
    return out;
  }
  // Issue 10: test-set evaluation of a training run (per-class precision/recall, confusion matrix).
  function evaluationSection(rs) {
    if (!rs || !Array.isArray(rs.test_per_class)) return '';
    var labels = ['BUY', 'HOLD', 'SELL'];
    var perClass = table('per-class', [{ label: 'Class' }, { label: 'Precision', num: true }, { label: 'Recall', num: true }, { label: 'F1', num: true }, { label: 'Support', num: true }],
      rs.test_per_class.map(function (c) { return '<tr>' + td(esc(c.label)) + td(fmtPct(c.precision), 'num') + td(fmtPct(c.recall), 'num') + td(fmtFixed(c.f1, 3), 'num') + td(fmtNum(c.support, 0), 'num') + '</tr>'; }), '');
    var cm = Array.isArray(rs.test_confusion_matrix) ? table('confusion-matrix', [{ label: 'actual \\ predicted' }].concat(labels.map(function (l) { return { label: l, num: true }; })),
      rs.test_confusion_matrix.map(function (row, i) { return '<tr>' + td(esc(labels[i])) + row.map(function (v) { return td(fmtNum(v, 0), 'num'); }).join('') + '</tr>'; }), '') : '';
    return '<section class="card"><h2>Test-set evaluation</h2><p class="muted">Balanced accuracy ' + fmtPct(rs.test_balanced_accuracy) + ' (chance 33.33 %), macro-F1 ' + fmtFixed(rs.test_macro_f1, 3) +
      ', kappa ' + fmtFixed(rs.test_cohen_kappa, 3) + '; always ' + esc(rs.train_majority_class) + ' (training majority) scores ' + fmtPct(rs.train_majority_accuracy) + ', chance ' + fmtPct(rs.chance_accuracy) + '.</p>' +
      perClass + cm + '</section>';
  }
  function trainingSection(op, epochs) {
    var rows = epochs.filter(function (e) { return e && isNum(e.epoch); });
    function pts(key) { return rows.filter(function (e) { return isNum(e[key]); }).map(function (e) { return [e.epoch, e[key]]; }); }
    var epochFmt = function (v) { return String(Math.round(v)); };
    var charts = '<div id="training-chart" class="grid2">' +
      lineChart('loss-chart', [{ label: 'train loss', color: '#2563eb', points: pts('train_loss'), markers: true },
        { label: 'val loss', color: '#d97706', points: pts('val_loss'), markers: true }], { title: 'Loss', width: 600, height: 300, xInt: true, yFmt: function (v) { return fmtNum(v, 3); }, xFmt: epochFmt }) +
      lineChart('accuracy-chart', [{ label: 'train accuracy', color: '#2563eb', points: pts('train_accuracy'), markers: true },
        { label: 'val accuracy', color: '#d97706', points: pts('val_accuracy'), markers: true }], { title: 'Accuracy', width: 600, height: 300, xInt: true, yFmt: function (v) { return (v * 100).toFixed(0) + ' %'; }, xFmt: epochFmt }) +
      '</div>';
    var table1 = table('epochs', [{ label: 'Epoch', num: true }, { label: 'Train loss', num: true }, { label: 'Train acc.', num: true },
      { label: 'Val loss', num: true }, { label: 'Val acc.', num: true }], rows.slice().reverse().map(function (e) {
      return '<tr>' + td(fmtNum(e.epoch, 0), 'num') + td(fmtNum(e.train_loss, 4), 'num') + td(fmtPct(e.train_accuracy), 'num') +
        td(fmtNum(e.val_loss, 4), 'num') + td(fmtPct(e.val_accuracy), 'num') + '</tr>';
    }), 'No epoch reported yet.');
    var summary = '';
    var rs = op.result_summary;
    if (rs && typeof rs === 'object') {
      summary = '<section class="card"><h2>Result</h2><table id="training-summary" class="kv">' + Object.keys(rs).filter(function (k) {
        return rs[k] === null || typeof rs[k] !== 'object';
      }).map(function (k) {
        var v = rs[k];
        var shown = /accuracy/.test(k) && isNum(v) ? fmtPct(v) : isNum(v) ? fmtNum(v, 4) : esc(v);
        return '<tr>' + td(esc(humanize(k))) + td(shown) + '</tr>';
      }).join('') + '</table></section>';
    }
    return summary + evaluationSection(rs) + '<section class="card"><h2>Training</h2>' + charts + '<h3>Epochs</h3><div class="scroll">' + table1 + '</div></section>';
  }
  function kvRow(k, v) { return '<tr>' + td(esc(k)) + td(v) + '</tr>'; }
  /** @param {Operation} op @param {Record<string, any>[] | null} epochs */
  function renderOperation(op, epochs) {
    var md = op.metadata || {};
    var active = !TERMINAL[op.status];
    var head = '<section class="card"><h2>' + esc(op.operation_id) + ' ' + badge(op.status) + '</h2><div class="grid2"><table class="kv">' +
      kvRow('Type', esc(op.operation_type)) + kvRow('Market', esc([md.symbol, md.timeframe].filter(Boolean).join(' ') || '–')) +
      (md.start_date || md.end_date ? kvRow('Period', esc((md.start_date || '…') + ' → ' + (md.end_date || '…'))) : '') + kvRow('Worker', esc(op.worker_id || '–')) +
      '</table><table class="kv">' + kvRow('Created (UTC)', fmtTime(op.created_at)) + kvRow('Started (UTC)', fmtTime(op.started_at)) +
      kvRow('Completed (UTC)', fmtTime(op.completed_at)) + kvRow('Duration', duration(op)) + '</table></div>';
    if (active) {
      var p = op.progress || {};
      head += '<div id="live-progress"><h3>Progress</h3>' + progressBar(p, true) + '<p class="muted">' + esc(p.current_step || '') +
        (p.items_total ? ' — ' + fmtNum(p.items_processed, 0) + ' / ' + fmtNum(p.items_total, 0) : '') + '</p>' +
        '<button id="cancel-button" class="danger" data-operation-id="' + esc(op.operation_id) + '">Cancel operation</button></div>';
    }
    if (op.error_message) head += '<p class="error" id="error-message">' + esc(op.error_message) + '</p>';
    var params = md.parameters && Object.keys(md.parameters).length
      ? '<details><summary class="muted">Parameters</summary><pre>' + esc(JSON.stringify(md.parameters, null, 2)) + '</pre></details>' : '';
    head += params + '</section>';
    var body = '';
    var rs = op.result_summary;
    if (op.operation_type === 'sweep') body = '<section class="card"><p><a id="sweep-link" href="#/sweeps/' + encodeURIComponent(op.operation_id) + '">Open the sweep: comparison table and heat map</a></p></section>';
    else if (op.operation_type === 'training') body = trainingSection(op, epochs || []);
    else if (rs && typeof rs === 'object' && (rs.metrics || rs.equity_curve)) body = backtestSection(rs);
    else if (rs && typeof rs === 'object') body = '<section class="card"><h2>Result</h2><pre>' + esc(JSON.stringify(rs, null, 2)) + '</pre></section>';
    return head + body;
  }
  // ---------- detail pages (an operation, a sweep) ----------
  /**
   * A detail page whose data could not be loaded: the token form on 401, otherwise the error and a
   * way back; polling stops on 401 and 404 (retrying will not help) and goes on otherwise.
   * @param {unknown} caught @param {number} gen @returns {PageOutcome}
   */
  function detailFailed(caught, gen) {
    var err = asError(caught);
    if (gen !== generation) return 'stale';
    view.innerHTML = err.status === 401 ? tokenForm() : '<section class="card"><p class="error">' + esc(err.message) + '</p><p><a href="#/">Back</a></p></section>';
    return err.status === 401 || err.status === 404 ? 'stop' : 'continue';
  }
  /** Shows a detail page under a link back to the overview, keeping the scroll position across refreshes. @param {string} html */
  function showDetail(html) {
    var y = window.scrollY;
    view.innerHTML = '<p><a href="#/">← Overview</a></p>' + html;
    window.scrollTo(0, y);
  }
  /** @param {string} id @param {number} gen @returns {Promise<PageOutcome>} */
  async function operationPage(id, gen) {
    /** @type {Operation} */
    var op;
    /** @type {Record<string, any>[] | null} */
    var epochs = null;
    try {
      op = (await api('/operations/' + encodeURIComponent(id))).data;
      if (op.operation_type === 'training') {
        try { epochs = (await api('/operations/' + encodeURIComponent(id) + '/metrics?cursor=0')).data.metrics; } catch (e) { epochs = []; }
      }
    } catch (caught) {
      return detailFailed(caught, gen);
    }
    if (gen !== generation) return 'stale';
    showDetail(renderOperation(op, epochs));
    return TERMINAL[op.status] ? 'stop' : 'continue';
  }

  // ---------- sweeps ----------
  var sweepSort = { col: 'sharpe_ratio', desc: true };
  var sweepTable = null;
  var SWEEP_METRICS = { model_version: 1, total_return: 1, total_return_pct: 1, sharpe_ratio: 1, max_drawdown_pct: 1, total_trades: 1, status: 1, operation_id: 1 };
  function sweepParamCols(cols) { return cols.filter(function (c) { return !SWEEP_METRICS[c]; }); }
  function sweepCell(col, v) {
    if (col === 'operation_id') return td(opLink(v));
    if (col === 'status') return td(badge(v));
    if (col === 'total_return_pct' || col === 'max_drawdown_pct') return td(fmtPct(v), 'num ' + (col === 'total_return_pct' ? signClass(v) : ''));
    if (col === 'sharpe_ratio') return td(fmtFixed(v, 2), 'num ' + signClass(v));
    if (col === 'total_return') return td(fmtMoney(v), 'num ' + signClass(v));
    if (col === 'total_trades') return td(fmtNum(v, 0), 'num');
    return td(esc(v == null ? '–' : v), isNum(v) ? 'num' : '');
  }
  function sweepCsv(t) {
    var cell = function (v) { var x = v == null ? '' : String(v); return /[",\n]/.test(x) ? '"' + x.replace(/"/g, '""') + '"' : x; };
    return [t.columns.map(cell).join(',')].concat(t.rows.map(function (r) { return t.columns.map(function (c) { return cell(r[c]); }).join(','); })).join('\n') + '\n';
  }
  function sortedSweepRows(rows) {
    var c = sweepSort.col, dir = sweepSort.desc ? -1 : 1;
    return rows.slice().sort(function (a, b) {
      var x = a[c], y = b[c];
      if (x == null) return y == null ? 0 : 1;
      if (y == null) return -1;
      if (isNum(x) && isNum(y)) return (x - y) * dir;
      return String(x).localeCompare(String(y)) * dir;
    });
  }
  function renderSweepTable(t) {
    var head = t.columns.map(function (c) {
      var arrow = sweepSort.col === c ? (sweepSort.desc ? ' ▼' : ' ▲') : '';
      return '<th class="sortable' + (SWEEP_METRICS[c] && c !== 'status' && c !== 'operation_id' && c !== 'model_version' ? ' num' : '') + '" data-sort="' + esc(c) + '" title="sort by ' + esc(c) + '">' + esc(SWEEP_METRICS[c] ? humanize(c) : c.split('.').slice(-2).join('.')) + arrow + '</th>';
    }).join('');
    var body = sortedSweepRows(t.rows).map(function (r) {
      return '<tr data-operation-id="' + esc(r.operation_id) + '">' + t.columns.map(function (c) { return sweepCell(c, r[c]); }).join('') + '</tr>';
    }).join('');
    return t.rows.length ? '<table id="sweep-table"><thead><tr>' + head + '</tr></thead><tbody>' + body + '</tbody></table>' : '<p class="muted" id="sweep-table">No children.</p>';
  }
  // Red (negative Sharpe) through white to green (positive), saturated at the grid's largest |Sharpe|
  // and lighter the nearer to zero, so the best and worst corners of the grid stand out.
  function sharpeColor(v, scale) {
    if (!isNum(v)) return '#e5e7eb';
    var a = 0.15 + 0.85 * Math.min(1, Math.abs(v) / (scale || 1));
    var c = function (full) { return Math.round(255 + (full - 255) * a); };
    return v >= 0 ? 'rgb(' + c(22) + ',' + c(163) + ',' + c(74) + ')' : 'rgb(' + c(220) + ',' + c(38) + ',' + c(38) + ')';
  }
  function sweepHeatmap(t) {
    var dims = sweepParamCols(t.columns).filter(function (c) { return c !== 'window_start' && c !== 'window_end'; });
    if (dims.length !== 2) return '';
    var uniq = function (c) {
      var vals = [];
      t.rows.forEach(function (r) { if (vals.indexOf(r[c]) < 0) vals.push(r[c]); });
      return vals.sort(function (a, b) { return isNum(a) && isNum(b) ? a - b : String(a).localeCompare(String(b)); });
    };
    var xs = uniq(dims[0]), ys = uniq(dims[1]);
    var scale = t.rows.reduce(function (m, r) { return isNum(r.sharpe_ratio) ? Math.max(m, Math.abs(r.sharpe_ratio)) : m; }, 0.5);
    var cw = Math.max(56, Math.min(110, Math.floor(640 / xs.length))), ch = 36, L = 90, T = 20, B = 44;
    var W = L + cw * xs.length + 10, H = T + ch * ys.length + B;
    var out = ['<svg id="sweep-heatmap" viewBox="0 0 ' + W + ' ' + H + '" width="' + W + '" height="' + H + '" role="img" aria-label="Sharpe ratio by ' + esc(dims[0]) + ' and ' + esc(dims[1]) + '">'];
    ys.forEach(function (yv, j) {
      var y = T + (ys.length - 1 - j) * ch;
      out.push('<text x="' + (L - 6) + '" y="' + (y + ch / 2 + 4) + '" text-anchor="end" font-size="12">' + esc(yv) + '</text>');
      xs.forEach(function (xv, i) {
        var row = t.rows.filter(function (r) { return r[dims[0]] === xv && r[dims[1]] === yv; })[0];
        var v = row ? row.sharpe_ratio : null;
        out.push('<rect class="cell" x="' + (L + i * cw) + '" y="' + y + '" width="' + (cw - 2) + '" height="' + (ch - 2) + '" fill="' + sharpeColor(v, scale) + '" data-sharpe="' + (isNum(v) ? v : '') + '"><title>' +
          esc(dims[0] + '=' + xv + ', ' + dims[1] + '=' + yv + ': Sharpe ' + fmtFixed(v, 2)) + '</title></rect>');
        out.push('<text x="' + (L + i * cw + cw / 2 - 1) + '" y="' + (y + ch / 2 + 4) + '" text-anchor="middle" font-size="11">' + fmtFixed(v, 2) + '</text>');
      });
    });
    xs.forEach(function (xv, i) { out.push('<text x="' + (L + i * cw + cw / 2) + '" y="' + (T + ch * ys.length + 16) + '" text-anchor="middle" font-size="12">' + esc(xv) + '</text>'); });
    out.push('<text x="' + (L + (cw * xs.length) / 2) + '" y="' + (H - 6) + '" text-anchor="middle" font-size="12" class="muted">' + esc(dims[0]) + '</text>');
    out.push('<text x="12" y="' + (T + (ch * ys.length) / 2) + '" font-size="12" transform="rotate(-90 12 ' + (T + (ch * ys.length) / 2) + ')" text-anchor="middle">' + esc(dims[1]) + '</text>');
    out.push('</svg>');
    return '<section class="card"><h2>Sharpe ratio heat map</h2>' + out.join('') + '</section>';
  }
  /** @param {string} id @param {number} gen @returns {Promise<PageOutcome>} */
  async function sweepPage(id, gen) {
    var v, t;
    try {
      var both = await Promise.all([api('/sweeps/' + encodeURIComponent(id)), api('/sweeps/' + encodeURIComponent(id) + '/table')]);
      v = both[0].data; t = both[1].data;
    } catch (caught) {
      return detailFailed(caught, gen);
    }
    if (gen !== generation) return 'stale';
    sweepTable = t;
    var s = v.sweep, md = s.metadata || {}, p = md.parameters || {};
    var counts = Object.keys(v.counts).map(function (k) { return badge(k) + ' ' + v.counts[k]; }).join(' ');
    var head = '<section class="card"><h2>Sweep ' + esc(s.operation_id) + ' ' + badge(s.status) + '</h2><table class="kv">' +
      kvRow('Strategy', esc(p.strategy_name || '–')) + kvRow('Period', esc((md.start_date || '…') + ' → ' + (md.end_date || '…'))) +
      kvRow('Dimensions', esc((v.grid_paths || []).join(', ') || '–')) + kvRow('Children', counts || '–') + '</table>' +
      '<div id="live-progress">' + progressBar(s.progress, true) + '<p class="muted">' + esc((s.progress && s.progress.current_step) || '') + '</p>' +
      (TERMINAL[s.status] ? '' : '<button id="cancel-button" class="danger" data-operation-id="' + esc(s.operation_id) + '">Cancel sweep</button>') + '</div>' +
      (s.error_message ? '<p class="error">' + esc(s.error_message) + '</p>' : '') +
      '<p><a id="sweep-csv" download="' + esc(s.operation_id) + '.csv" href="data:text/csv;charset=utf-8,' + encodeURIComponent(sweepCsv(t)) + '">Download CSV</a></p></section>';
    showDetail(head + sweepHeatmap(t) +
      '<section class="card"><h2>Comparison</h2><p class="muted">Click a column to sort.</p><div class="scroll" id="sweep-table-wrap">' + renderSweepTable(t) + '</div></section>');
    return TERMINAL[s.status] ? 'stop' : 'continue';
  }
  view.addEventListener('click', function (ev) {
    var th = ev.target instanceof Element ? ev.target.closest('th[data-sort]') : null;
    if (!th || !sweepTable) return;
    var c = th.getAttribute('data-sort') || '';
    sweepSort = { col: c, desc: sweepSort.col === c ? !sweepSort.desc : true };
    var wrap = document.getElementById('sweep-table-wrap');
    if (wrap) wrap.innerHTML = renderSweepTable(sweepTable);
  });

  // ---------- routing ----------
  /** @param {number} gen @param {Page} page */
  async function tick(gen, page) {
    var outcome;
    try { outcome = await page(gen); statusLine.textContent = 'updated ' + new Date().toLocaleTimeString(); }
    catch (err) { outcome = 'continue'; statusLine.textContent = 'error: ' + asError(err).message; }
    if (gen !== generation || outcome === 'stop' || outcome === 'stale') return;
    timer = setTimeout(function () { tick(gen, page); }, REFRESH_MS);
  }
  function route() {
    generation++;
    if (timer) clearTimeout(timer);
    var hash = location.hash.replace(/^#/, '') || '/';
    var opId = (/^\/operations\/([^/]+)$/.exec(hash) || [])[1];
    var sweepId = (/^\/sweeps\/([^/]+)$/.exec(hash) || [])[1];
    /** @type {Page} */
    var page = sweepId !== undefined ? function (gen) { return sweepPage(decodeURIComponent(sweepId), gen); }
      : opId !== undefined ? function (gen) { return operationPage(decodeURIComponent(opId), gen); } : overviewPage;
    view.innerHTML = '<p class="muted">Loading…</p>';
    tick(generation, page);
  }
  view.addEventListener('click', async function (ev) {
    var btn = ev.target instanceof Element ? ev.target.closest('#cancel-button') : null;
    if (!(btn instanceof HTMLButtonElement)) return;
    btn.disabled = true;
    btn.textContent = 'Cancelling…';
    try { await api('/operations/' + encodeURIComponent(btn.getAttribute('data-operation-id') || '') + '/cancel', 'DELETE'); }
    catch (err) { statusLine.textContent = 'cancel failed: ' + asError(err).message; }
    route();
  });
  view.addEventListener('submit', function (ev) {
    if (!(ev.target instanceof HTMLFormElement) || ev.target.id !== 'token-form') return;
    ev.preventDefault();
    var v = /** @type {HTMLInputElement} */ (document.getElementById('token-input')).value.trim();
    try { sessionStorage.setItem(TOKEN_KEY, v); } catch (e) { /* storage disabled: keep it in memory */ }
    token = v || null;
    route();
  });
  window.addEventListener('hashchange', route);
  route();
})();
