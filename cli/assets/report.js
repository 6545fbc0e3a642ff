/* aiobs report: draws everything from the JSON embedded in #aiobs-data (the tables' facts,
   one array per field) and, on demand, the #aiobs-details-N and #aiobs-search-N blocks
   (payloads and search text, deflated, inflated with the browser's DecompressionStream).
   No network, no libraries.
   The whole view (filters, search, tab, sort, open trace and span) lives in the URL hash,
   so any view can be shared; a ?query is read the same way. */
(function () {
  'use strict';

  // Marks for scripts/report-browser/timing.mjs, which reports where the opening time goes.
  performance.mark('report:script');
  var DATA = JSON.parse(document.getElementById('aiobs-data').textContent);
  performance.mark('report:parsed');
  var META = DATA.meta;
  var STR = DATA.strings;
  var SESSIONS = DATA.sessions;
  var TRACES = DATA.traces;
  var C = DATA.spans;
  var N = C.kind.length;
  var PAGE = 50;
  var T0 = META.t0 * 1000;

  // Plain loops: TypedArray.from with a mapping function is several times slower here.
  function ints(a) { var out = new Int32Array(a.length); for (var k = 0; k < a.length; k++) { out[k] = a[k]; } return out; }
  function floats(a) { var out = new Float64Array(a.length); for (var k = 0; k < a.length; k++) { out[k] = a[k] === null ? NaN : a[k]; } return out; }
  var kind = new Uint8Array(ints(C.kind));
  var providerCol = ints(C.provider), apiCol = ints(C.api), nameCol = ints(C.name), modelCol = ints(C.model);
  var sessionCol = ints(C.session), sessionIdCol = ints(C.session_id), traceCol = ints(C.trace), depthCol = ints(C.depth);
  var startCol = floats(C.start_ms), endCol = floats(C.end_ms), durCol = floats(C.duration_ms);
  var tinCol = floats(C.tokens_in), toutCol = floats(C.tokens_out), costCol = floats(C.cost_usd);
  var errorCol = ints(C.error), attemptCol = ints(C.attempt), traceIdCol = ints(C.trace_id);
  var spanIds = C.span_id;
  var tokensCol = new Float64Array(N);
  for (var i0 = 0; i0 < N; i0++) {
    var total = C.tokens_total[i0];
    tokensCol[i0] = total >= 0 ? total : (tinCol[i0] >= 0 || toutCol[i0] >= 0 ? Math.max(tinCol[i0], 0) + Math.max(toutCol[i0], 0) : -1);
  }
  C = null; // the typed columns above are all the page keeps
  performance.mark('report:columns');

  var TAB_SORTS = {
    calls: ['start', 'desc'], traces: ['start', 'desc'], sessions: ['start', 'desc'],
    errors: ['count', 'desc'], labels: ['cost', 'desc'], models: ['calls', 'desc'], enh: ['name', 'asc']
  };
  var VIEWS = { recent: 'start', slowest: 'duration', expensive: 'cost' };
  var FILTER_KEYS = ['q', 'provider', 'model', 'session', 'label', 'errors', 'err', 'from', 'to'];
  var state = {};
  var shown = {}; // rows shown per tab
  var current = null;

  // ---- small helpers -------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) { return; }
      if (key === 'text') { node.textContent = value; } else if (key === 'style') { node.style.cssText = value; } else { node.setAttribute(key, value === true ? '' : value); }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) { node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child); }
    });
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }
  function $(id) { return document.getElementById(id); }
  function str(index) { return index >= 0 ? STR[index] : null; }
  function fmtInt(n) { return Math.round(n).toLocaleString('en-US'); }
  function fmtMs(ms) { return Math.abs(ms) < 1000 ? ms.toFixed(1) + ' ms' : (ms / 1000).toFixed(2) + ' s'; }
  function fmtUsd(usd) { return usd === 0 ? '$0' : '$' + usd.toFixed(usd >= 1 ? 2 : usd >= 0.01 ? 4 : 6); }
  function fmtClock(epochMs) { return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 19); }
  function fmtTime(epochMs) { return fmtClock(epochMs) + ' UTC'; }
  function spanTime(i) { return T0 + startCol[i]; }
  function parseClock(text) {
    if (!text) { return NaN; }
    var t = text.trim().replace(' ', 'T');
    return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : t + 'Z');
  }

  function percentile(sorted, q) {
    if (!sorted.length) { return null; }
    var rank = q * (sorted.length - 1), below = Math.floor(rank), above = Math.ceil(rank);
    return sorted[below] + (sorted[above] - sorted[below]) * (rank - below);
  }

  function costText(cost, priced, unpriced) {
    if (!priced && unpriced) { return 'unknown'; }
    return (unpriced ? '≥ ' : '') + fmtUsd(cost);
  }

  function kindClass(i) {
    if (kind[i]) { return 'k-function'; }
    var p = STR[providerCol[i]];
    return p === 'openai' || p === 'gemini' ? 'k-' + p : 'k-other';
  }

  function spanName(i) {
    return kind[i] ? (str(nameCol[i]) || STR[apiCol[i]]) : STR[providerCol[i]] + ' · ' + STR[apiCol[i]];
  }

  function sessionName(i) {
    var s = sessionCol[i];
    return s >= 0 ? SESSIONS[s].name : STR[sessionIdCol[i]];
  }

  function labelText(pair) { return pair[0] + '=' + pair[1]; }
  function isSystemLabel(pair) { return pair[0].indexOf('aiobs_') === 0; }

  /* An error's group: its type (the text before the first colon, when it looks like a
     name) and its message with numbers and long hex ids folded, so "Used 3" and "Used 4"
     are one group. */
  var fingerprints = {};
  function errorGroup(errorIndex) {
    var known = fingerprints[errorIndex];
    if (known) { return known; }
    var text = STR[errorIndex];
    var m = /^([A-Za-z_][\w.]*(?:Error|Exception|Timeout|Failure|Refused|Denied|Error\w*)?)\s*:\s*([\s\S]*)$/.exec(text);
    var type = m && m[1].length <= 60 ? m[1] : 'Error';
    var message = m && m[1].length <= 60 ? m[2] : text;
    var shape = message.replace(/[0-9a-f]{8,}(-[0-9a-f]{4,})*/gi, '…').replace(/\d+(\.\d+)?/g, 'N').slice(0, 300);
    var key = type + ': ' + shape;
    return (fingerprints[errorIndex] = { key: key, type: type, message: message });
  }

  // ---- the URL -------------------------------------------------------------------------

  function readUrl() {
    var params = new URLSearchParams(location.search.slice(1));
    new URLSearchParams(location.hash.slice(1)).forEach(function (value, key) { params.set(key, value); });
    FILTER_KEYS.forEach(function (key) { state[key] = params.get(key) || ''; });
    state.label = state.label.replace(':', '=');
    state.tab = TAB_SORTS[params.get('tab')] ? params.get('tab') : 'calls';
    var sort = (params.get('sort') || '').split('-');
    state.sort = sort.length === 2 && (sort[1] === 'asc' || sort[1] === 'desc') ? sort : TAB_SORTS[state.tab].slice();
    state.labelKey = params.get('by') || '';
    state.span = spanIndex(params.get('span'));
    var trace = parseInt(params.get('trace'), 10);
    state.trace = state.span >= 0 ? traceCol[state.span] : (trace >= 0 && trace < TRACES.length ? trace : -1);
    state.raw = params.get('raw') === '1';
  }

  function writeUrl() {
    var params = new URLSearchParams();
    FILTER_KEYS.forEach(function (key) { if (state[key]) { params.set(key, state[key]); } });
    if (state.tab !== 'calls') { params.set('tab', state.tab); }
    var defaults = TAB_SORTS[state.tab];
    if (state.sort[0] !== defaults[0] || state.sort[1] !== defaults[1]) { params.set('sort', state.sort.join('-')); }
    if (state.labelKey) { params.set('by', state.labelKey); }
    if (state.span >= 0) {
      params.set('span', spanIds[state.span] !== null ? spanIds[state.span] : String(state.span));
    } else if (state.trace >= 0) {
      params.set('trace', String(state.trace));
    }
    if (state.raw && state.span >= 0) { params.set('raw', '1'); }
    var hash = params.toString();
    var url = hash ? '#' + hash : location.pathname + location.search;
    if (location.hash !== (hash ? '#' + hash : '')) {
      try { history.replaceState(null, '', url); } catch (e) { location.hash = hash; }
    }
  }

  var spanIdIndex = null;
  /* A span by its id (what deep links use); a plain number is also read as a position. */
  function spanIndex(id) {
    if (!id) { return -1; }
    if (!spanIdIndex) {
      spanIdIndex = new Map();
      for (var i = N - 1; i >= 0; i--) { if (spanIds[i] !== null) { spanIdIndex.set(spanIds[i], i); } }
    }
    if (spanIdIndex.has(id)) { return spanIdIndex.get(id); }
    var n = /^\d+$/.test(id) ? parseInt(id, 10) : -1;
    return n < N ? n : -1;
  }

  // ---- compressed blocks ---------------------------------------------------------------

  function block(kind, n) { return document.getElementById('aiobs-' + kind + '-' + n).textContent; }

  function inflate(base64) {
    var bytes = Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Response(stream).text().then(JSON.parse);
  }

  var blockCache = {};
  function blockOf(i) {
    var starts = META.block_starts, lo = 0, hi = starts.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (starts[mid] <= i) { lo = mid; } else { hi = mid - 1; } }
    return lo;
  }

  function detailOf(i) {
    var b = blockOf(i);
    if (!blockCache[b]) { blockCache[b] = inflate(block('details', b)); }
    return blockCache[b].then(function (items) { return items[i - META.block_starts[b]]; });
  }

  var searchIndex = null; // lower-cased search text per span, once inflated
  var searchLoading = null;
  /* Block after block, so the page stays responsive while the search text is inflated. */
  function loadSearch() {
    if (!searchLoading) {
      var texts = new Array(N), k = 0;
      var next = function (n) {
        if (n >= META.search_blocks) { searchIndex = texts; return Promise.resolve(); }
        return inflate(block('search', n)).then(function (items) {
          items.forEach(function (t) { texts[k++] = t.toLowerCase(); });
          return next(n + 1);
        });
      };
      searchLoading = next(0);
    }
    return searchLoading;
  }

  // ---- filtering -----------------------------------------------------------------------

  /* One pass over the spans: which match the filters (a Uint8Array), with the search over
     the columns (names, ids, models, errors, session names and labels) and the text. */
  function computeMatches() {
    var matched = new Uint8Array(N);
    var providerIndex = state.provider ? STR.indexOf(state.provider) : -1;
    var modelIndex = state.model ? STR.indexOf(state.model) : -1;
    var sessionIndex = state.session ? STR.indexOf(state.session) : -1;
    var from = parseClock(state.from), to = parseClock(state.to);
    var sessionOk = null, sessionText = null;
    if (state.label) {
      sessionOk = SESSIONS.map(function (s) { return s.labels.some(function (p) { return labelText(p) === state.label; }); });
    }
    var q = state.q.trim().toLowerCase();
    var stringHit = null;
    if (q) {
      stringHit = new Uint8Array(STR.length);
      STR.forEach(function (s, k) { if (s.toLowerCase().indexOf(q) >= 0) { stringHit[k] = 1; } });
      sessionText = SESSIONS.map(function (s) {
        return (s.id + ' ' + s.name + ' ' + s.labels.map(labelText).join(' ')).toLowerCase().indexOf(q) >= 0;
      });
    }
    for (var i = 0; i < N; i++) {
      if (state.provider && (kind[i] || providerCol[i] !== providerIndex)) { continue; }
      if (state.model && (kind[i] || modelCol[i] !== modelIndex)) { continue; }
      if (state.session && sessionIdCol[i] !== sessionIndex) { continue; }
      if (sessionOk && (sessionCol[i] < 0 || !sessionOk[sessionCol[i]])) { continue; }
      if (state.errors && errorCol[i] < 0) { continue; }
      if (state.err && (errorCol[i] < 0 || errorGroup(errorCol[i]).key !== state.err)) { continue; }
      var t = T0 + startCol[i];
      if (t < from || t > to) { continue; }
      if (q && !(stringHit[providerCol[i]] || stringHit[apiCol[i]] || (nameCol[i] >= 0 && stringHit[nameCol[i]]) ||
        (modelCol[i] >= 0 && stringHit[modelCol[i]]) || stringHit[sessionIdCol[i]] ||
        (errorCol[i] >= 0 && stringHit[errorCol[i]]) || (traceIdCol[i] >= 0 && stringHit[traceIdCol[i]]) ||
        (spanIds[i] !== null && spanIds[i].toLowerCase().indexOf(q) >= 0) ||
        (sessionCol[i] >= 0 && sessionText[sessionCol[i]]) ||
        (searchIndex && searchIndex[i].indexOf(q) >= 0))) { continue; }
      matched[i] = 1;
    }
    return matched;
  }

  function aggregate() {
    var matched = computeMatches();
    var totals = { calls: 0, functions: 0, errors: 0, input: 0, output: 0, cost: 0, priced: 0, unpriced: 0 };
    var durations = [];
    var traceHit = new Uint8Array(TRACES.length);
    var calls = [];
    for (var i = 0; i < N; i++) {
      if (!matched[i]) { continue; }
      traceHit[traceCol[i]] = 1;
      if (errorCol[i] >= 0) { totals.errors += 1; }
      if (kind[i]) { totals.functions += 1; continue; }
      calls.push(i);
      totals.calls += 1;
      if (tinCol[i] > 0) { totals.input += tinCol[i]; }
      if (toutCol[i] > 0) { totals.output += toutCol[i]; }
      durations.push(durCol[i]);
      if (isNaN(costCol[i])) { totals.unpriced += 1; } else { totals.cost += costCol[i]; totals.priced += 1; }
    }
    var traces = [];
    for (var t = 0; t < TRACES.length; t++) { if (traceHit[t]) { traces.push(t); } }
    durations.sort(function (a, b) { return a - b; });
    return { matched: matched, totals: totals, durations: durations, calls: calls, traces: traces };
  }

  /* Whole-trace facts, computed once: a trace is listed when any span matches, and its row
     shows the whole trace. */
  var traceFacts = (function () {
    return TRACES.map(function (order) {
      var f = { start: Infinity, end: -Infinity, spans: order.length, calls: 0, tokens: 0, cost: 0, priced: 0, unpriced: 0, errors: 0, root: order[0] };
      order.forEach(function (i) {
        f.start = Math.min(f.start, startCol[i]);
        f.end = Math.max(f.end, endCol[i]);
        if (errorCol[i] >= 0) { f.errors += 1; }
        if (kind[i]) { return; }
        f.calls += 1;
        if (tokensCol[i] > 0) { f.tokens += tokensCol[i]; }
        if (isNaN(costCol[i])) { f.unpriced += 1; } else { f.cost += costCol[i]; f.priced += 1; }
      });
      f.duration = f.end - f.start;
      return f;
    });
  }());

  // ---- filter controls -----------------------------------------------------------------

  function fillSelect(select, allText, options, value) {
    clear(select);
    select.appendChild(el('option', { value: '', text: allText }));
    options.forEach(function (option) {
      select.appendChild(el('option', { value: option[0], text: option[1], selected: option[0] === value }));
    });
    if (value && !options.some(function (o) { return o[0] === value; })) {
      select.appendChild(el('option', { value: value, text: value + ' (not in data)', selected: true }));
    }
  }

  function distinct(column, onlyCalls) {
    var seen = {};
    for (var i = 0; i < N; i++) { if (column[i] >= 0 && !(onlyCalls && kind[i])) { seen[STR[column[i]]] = true; } }
    return Object.keys(seen).sort();
  }

  var providers = distinct(providerCol, true), models = distinct(modelCol, true);
  function syncControls() {
    fillSelect($('filter-provider'), 'All providers', providers.map(function (p) { return [p, p]; }), state.provider);
    fillSelect($('filter-model'), 'All models', models.map(function (m) { return [m, m]; }), state.model);
    fillSelect($('filter-session'), 'All sessions',
      SESSIONS.map(function (s) { return [s.id, s.name + ' (' + s.id.slice(0, 8) + ')']; }), state.session);
    var labels = {};
    SESSIONS.forEach(function (s) { s.labels.forEach(function (p) { labels[labelText(p)] = isSystemLabel(p); }); });
    var keys = Object.keys(labels).sort(function (a, b) { return (labels[a] - labels[b]) || (a < b ? -1 : a > b ? 1 : 0); });
    fillSelect($('filter-label'), 'All labels', keys.map(function (l) { return [l, l]; }), state.label);
    $('filter-errors').checked = !!state.errors;
    if (document.activeElement !== $('filter-q')) { $('filter-q').value = state.q; }
    $('filter-from').value = state.from;
    $('filter-to').value = state.to;
  }

  // ---- cards ---------------------------------------------------------------------------

  function card(testid, label, value, sub, bad, onClick) {
    var box = el('div', { class: 'card' + (bad ? ' bad' : '') + (onClick ? ' clickable' : ''), title: onClick ? 'Show only these' : null }, [
      el('div', { class: 'label', text: label }),
      el('div', { class: 'value', 'data-testid': testid, text: value }),
      sub ? el('div', { class: 'sub', text: sub }) : null
    ]);
    if (onClick) { box.addEventListener('click', onClick); }
    return box;
  }

  function renderCards(agg) {
    var t = agg.totals;
    var p50 = percentile(agg.durations, 0.5), p95 = percentile(agg.durations, 0.95);
    var cards = clear($('cards'));
    [
      card('calls-count', 'Provider calls', fmtInt(t.calls)),
      card('traces-count', 'Traces', fmtInt(agg.traces.length)),
      card('functions-count', 'Functions', fmtInt(t.functions)),
      card('errors-count', 'Errors', fmtInt(t.errors), t.errors ? 'click to show only errors' : null, t.errors > 0,
        t.errors ? function () { update({ errors: '1', tab: 'errors', sort: TAB_SORTS.errors.slice() }); } : null),
      card('tokens-in', 'Tokens in', fmtInt(t.input)),
      card('tokens-out', 'Tokens out', fmtInt(t.output)),
      card('latency', 'Latency p50 / p95', p50 === null ? '–' : fmtMs(p50), p95 === null ? '' : 'p95 ' + fmtMs(p95)),
      card('cost-total', 'Estimated cost', costText(t.cost, t.priced, t.unpriced),
        t.unpriced ? t.unpriced + ' call(s) not priced' : 'prices as of ' + META.prices_as_of)
    ].forEach(function (c) { cards.appendChild(c); });
  }

  // ---- charts over time ----------------------------------------------------------------

  function renderTimeCharts(agg) {
    var host = clear($('timecharts'));
    var calls = agg.calls;
    if (!calls.length) { host.appendChild(el('div', { class: 'empty', text: 'No provider calls match the filters.' })); return; }
    var lo = Infinity, hi = -Infinity;
    calls.forEach(function (i) { lo = Math.min(lo, startCol[i]); hi = Math.max(hi, startCol[i]); });
    var count = Math.min(60, Math.max(1, calls.length));
    var width = Math.max((hi - lo) / count, 1);
    var buckets = [];
    for (var b = 0; b < count; b++) { buckets.push({ calls: 0, tokens: 0, cost: 0, errors: 0, durations: [] }); }
    calls.forEach(function (i) {
      var k = Math.min(count - 1, Math.floor((startCol[i] - lo) / width));
      var bucket = buckets[k];
      bucket.calls += 1;
      if (tokensCol[i] > 0) { bucket.tokens += tokensCol[i]; }
      if (!isNaN(costCol[i])) { bucket.cost += costCol[i]; }
      if (errorCol[i] >= 0) { bucket.errors += 1; }
      bucket.durations.push(durCol[i]);
    });
    buckets.forEach(function (bucket) {
      bucket.durations.sort(function (a, b) { return a - b; });
      bucket.p50 = percentile(bucket.durations, 0.5);
      bucket.p95 = percentile(bucket.durations, 0.95);
    });
    var range = function (k) { return [T0 + lo + k * width, T0 + lo + (k + 1) * width]; };
    var usdAxis = function (v) { return '$' + Number(v.toPrecision(2)); };
    var msAxis = function (v) { return v < 1000 ? Math.round(v) + ' ms' : Number((v / 1000).toPrecision(2)) + ' s'; };
    [
      ['calls', 'Calls', [['calls', 'var(--accent)']], fmtInt, fmtCompact],
      ['tokens', 'Tokens', [['tokens', 'var(--input)']], fmtInt, fmtCompact],
      ['cost', 'Estimated cost (USD)', [['cost', 'var(--openai)']], fmtUsd, usdAxis],
      ['errors', 'Errors', [['errors', 'var(--error)']], fmtInt, fmtCompact],
      ['latency', 'Latency p50 / p95', [['p95', 'var(--p95)'], ['p50', 'var(--input)']], fmtMs, msAxis]
    ].forEach(function (chart) {
      host.appendChild(el('figure', {}, [el('figcaption', { text: chart[1] }),
        timeChart('chart-time-' + chart[0], buckets, chart[2], chart[3], chart[4], range)]));
    });
  }

  /* 950, 1.6k, 152k, 2.6M: short enough for a chart's axis. */
  function fmtCompact(n) {
    if (n < 1000) { return String(Math.round(n)); }
    var units = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (var k = 0; k < units.length; k++) { if (n >= units[k][0]) { return Number((n / units[k][0]).toPrecision(3)) + units[k][1]; } }
    return String(n);
  }

  function timeChart(testid, buckets, series, format, axisFormat, range) {
    var width = 300, height = 110, left = 46, bottom = 16, plotW = width - left - 4, plotH = height - bottom - 6;
    var max = 0;
    buckets.forEach(function (b) { series.forEach(function (s) { max = Math.max(max, b[s[0]] || 0); }); });
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'data-testid': testid });
    chart.appendChild(svg('line', { x1: left, y1: 6 + plotH, x2: width - 4, y2: 6 + plotH, stroke: '#ced4da' }));
    chart.appendChild(svg('text', { x: left - 4, y: 14, 'text-anchor': 'end', class: 'value' }, axisFormat(max)));
    chart.appendChild(svg('text', { x: left - 4, y: 6 + plotH, 'text-anchor': 'end', class: 'value' }, '0'));
    var first = range(0)[0], last = range(buckets.length - 1)[1];
    chart.appendChild(svg('text', { x: left, y: height - 3, class: 'value' }, fmtClock(first).slice(5, 16)));
    chart.appendChild(svg('text', { x: width - 4, y: height - 3, 'text-anchor': 'end', class: 'value' }, fmtClock(last).slice(5, 16)));
    var barW = plotW / buckets.length;
    buckets.forEach(function (b, k) {
      var group = svg('g', { class: 'bucket' });
      var r = range(k);
      var tip = fmtClock(r[0]) + ' – ' + fmtClock(r[1]).slice(11) + '\n' + b.calls + ' call(s)';
      series.forEach(function (s) {
        var v = b[s[0]];
        if (v === null || v === undefined) { return; }
        var h = max > 0 ? Math.max(v > 0 ? 1 : 0, plotH * v / max) : 0;
        group.appendChild(svg('rect', { x: left + k * barW + 0.5, y: 6 + plotH - h, width: Math.max(barW - 1, 0.5), height: h, fill: s[1] }));
        tip += '\n' + s[0] + ': ' + format(v);
      });
      group.appendChild(svg('rect', { x: left + k * barW, y: 6, width: barW, height: plotH, fill: 'transparent' }));
      group.appendChild(svg('title', {}, tip));
      group.addEventListener('click', function () {
        update({ from: fmtClock(Math.floor(r[0] / 1000) * 1000), to: fmtClock(Math.ceil(r[1] / 1000) * 1000) });
      });
      chart.appendChild(group);
    });
    return chart;
  }

  // ---- sortable tables -----------------------------------------------------------------

  /* columns: [key, header, value(row) for sorting or null, cell(row) -> text or node, numeric] */
  function sortedRows(rows, columns) {
    var column = columns.filter(function (c) { return c[0] === state.sort[0] && c[2]; })[0] || columns.filter(function (c) { return c[2]; })[0];
    var value = column[2], sign = state.sort[1] === 'asc' ? 1 : -1;
    var keys = rows.map(value);
    var order = rows.map(function (r, k) { return k; });
    order.sort(function (a, b) {
      var x = keys[a], y = keys[b];
      var xMissing = x === null || x !== x, yMissing = y === null || y !== y;
      if (xMissing || yMissing) { return xMissing - yMissing || a - b; }
      return (x < y ? -1 : x > y ? 1 : 0) * sign || a - b;
    });
    return order.map(function (k) { return rows[k]; });
  }

  function table(tab, rows, columns, rowAttrs, onRow, emptyText) {
    var host = $('tab-body');
    if (!rows.length) { host.appendChild(el('div', { class: 'empty', text: emptyText })); return; }
    var sorted = sortedRows(rows, columns);
    var limit = shown[tab] || PAGE;
    var head = el('tr', {}, columns.map(function (c) {
      if (!c[2]) { return el('th', { text: c[1] }); }
      var active = state.sort[0] === c[0];
      var th = el('th', { class: 'sortable' + (c[4] ? ' num' : '') + (active ? ' active' : ''), 'data-testid': 'sort-' + c[0], title: 'Sort by ' + c[1].toLowerCase() },
        [c[1] + (active ? (state.sort[1] === 'asc' ? ' ▲' : ' ▼') : '')]);
      th.addEventListener('click', function () {
        var dir = active ? (state.sort[1] === 'asc' ? 'desc' : 'asc') : (c[0] === 'name' || c[0] === 'type' ? 'asc' : 'desc');
        update({ sort: [c[0], dir] });
      });
      return th;
    }));
    var body = el('tbody');
    sorted.slice(0, limit).forEach(function (row) {
      var tr = el('tr', rowAttrs(row), columns.map(function (c) {
        var cell = c[3](row);
        return el('td', { class: c[4] ? 'num' : null }, [cell === null || cell === undefined ? '–' : cell]);
      }));
      if (onRow) {
        tr.classList.add('clickable');
        tr.setAttribute('tabindex', '0');
        tr.addEventListener('click', function (e) { if (e.target.tagName !== 'A' && e.target.tagName !== 'BUTTON') { onRow(row); } });
        tr.addEventListener('keydown', function (e) { if (e.key === 'Enter' && e.target === tr) { onRow(row); } });
      }
      body.appendChild(tr);
    });
    host.appendChild(el('table', { class: 'grid', 'data-testid': 'table-' + tab }, [el('thead', {}, [head]), body]));
    if (sorted.length > limit) {
      var more = el('button', { type: 'button', class: 'more', 'data-testid': 'more', text: 'Show ' + Math.min(PAGE, sorted.length - limit) + ' more (' + fmtInt(sorted.length - limit) + ' not shown)' });
      more.addEventListener('click', function () { shown[tab] = limit + PAGE; renderTab(); });
      host.appendChild(more);
    }
  }

  function errorCell(count) { return count ? el('span', { class: 'pill err', text: String(count) }) : '0'; }
  function spanLink(i, text) {
    var a = el('a', { href: '#span=' + encodeURIComponent(spanIds[i] !== null ? spanIds[i] : String(i)), 'data-testid': 'span-link', text: text });
    a.addEventListener('click', function (e) { e.preventDefault(); openSpan(i); });
    return a;
  }

  function renderCalls(agg) {
    table('calls', agg.calls, [
      ['start', 'Start (UTC)', function (i) { return startCol[i]; }, function (i) { return fmtClock(spanTime(i)); }],
      ['name', 'Call', function (i) { return spanName(i); }, function (i) {
        return el('span', {}, [el('span', { class: 'dot ' + kindClass(i) }), spanName(i),
          attemptCol[i] > 1 ? el('span', { class: 'pill', text: 'attempt ' + attemptCol[i] }) : null]);
      }],
      ['model', 'Model', function (i) { return str(modelCol[i]) || ''; }, function (i) { return str(modelCol[i]); }],
      ['session', 'Session', null, function (i) { return sessionName(i); }],
      ['duration', 'Duration', function (i) { return durCol[i]; }, function (i) { return fmtMs(durCol[i]); }, true],
      ['tokens', 'Tokens', function (i) { return tokensCol[i] >= 0 ? tokensCol[i] : null; }, function (i) { return tokensCol[i] >= 0 ? fmtInt(tokensCol[i]) : null; }, true],
      ['cost', 'Cost', function (i) { return costCol[i]; }, function (i) { return isNaN(costCol[i]) ? 'unknown' : fmtUsd(costCol[i]); }, true],
      ['errors', 'Status', function (i) { return errorCol[i] >= 0 ? 1 : 0; }, function (i) {
        return errorCol[i] >= 0 ? el('span', { class: 'pill err', title: STR[errorCol[i]], text: errorGroup(errorCol[i]).type }) : el('span', { class: 'ok', text: 'ok' });
      }]
    ], function (i) { return { 'data-testid': 'call-row', 'data-span': i, class: state.span === i ? 'selected' : null }; },
    function (i) { openSpan(i); }, 'No provider calls match the filters.');
  }

  function traceName(t) { return spanName(traceFacts[t].root); }

  function renderTraceTable(agg) {
    table('traces', agg.traces, [
      ['start', 'Start (UTC)', function (t) { return traceFacts[t].start; }, function (t) { return fmtClock(T0 + traceFacts[t].start); }],
      ['name', 'Root', function (t) { return traceName(t); }, function (t) {
        var root = traceFacts[t].root;
        return el('span', {}, [el('span', { class: 'dot ' + kindClass(root) }), traceName(t)]);
      }],
      ['session', 'Session', null, function (t) { return sessionName(traceFacts[t].root); }],
      ['duration', 'Duration', function (t) { return traceFacts[t].duration; }, function (t) { return fmtMs(traceFacts[t].duration); }, true],
      ['spans', 'Spans', function (t) { return traceFacts[t].spans; }, function (t) { return String(traceFacts[t].spans); }, true],
      ['calls', 'Calls', function (t) { return traceFacts[t].calls; }, function (t) { return String(traceFacts[t].calls); }, true],
      ['tokens', 'Tokens', function (t) { return traceFacts[t].tokens; }, function (t) { return fmtInt(traceFacts[t].tokens); }, true],
      ['cost', 'Cost', function (t) { var f = traceFacts[t]; return f.priced ? f.cost : NaN; }, function (t) { var f = traceFacts[t]; return costText(f.cost, f.priced, f.unpriced); }, true],
      ['errors', 'Errors', function (t) { return traceFacts[t].errors; }, function (t) { return errorCell(traceFacts[t].errors); }, true]
    ], function (t) { return { 'data-testid': 'trace-row', 'data-trace': t, class: state.trace === t ? 'selected' : null }; },
    function (t) { openTrace(t); }, 'No traces match the filters.');
  }

  function renderSessions(agg) {
    var rows = SESSIONS.map(function (s, k) { return { index: k, session: s, calls: 0, tokens: 0, cost: 0, priced: 0, unpriced: 0, errors: 0, spans: 0 }; });
    var missing = {};
    for (var i = 0; i < N; i++) {
      if (!agg.matched[i]) { continue; }
      var row = sessionCol[i] >= 0 ? rows[sessionCol[i]] : (missing[sessionIdCol[i]] || (missing[sessionIdCol[i]] = {
        index: -1, session: { id: STR[sessionIdCol[i]], name: '(not in sessions)', started_at: null, ended_at: null, labels: [] },
        calls: 0, tokens: 0, cost: 0, priced: 0, unpriced: 0, errors: 0, spans: 0
      }));
      row.spans += 1;
      if (errorCol[i] >= 0) { row.errors += 1; }
      if (kind[i]) { continue; }
      row.calls += 1;
      if (tokensCol[i] > 0) { row.tokens += tokensCol[i]; }
      if (isNaN(costCol[i])) { row.unpriced += 1; } else { row.cost += costCol[i]; row.priced += 1; }
    }
    var filtered = FILTER_KEYS.some(function (k) { return state[k]; });
    rows = rows.concat(Object.keys(missing).map(function (k) { return missing[k]; }))
      .filter(function (r) { return r.spans > 0 || !filtered; });
    var duration = function (r) { var s = r.session; return s.ended_at === null || s.started_at === null ? null : (s.ended_at - s.started_at) * 1000; };
    table('sessions', rows, [
      ['start', 'Started (UTC)', function (r) { return r.session.started_at; }, function (r) { return r.session.started_at === null ? null : fmtClock(r.session.started_at * 1000); }],
      ['name', 'Session', function (r) { return r.session.name; }, function (r) { return el('span', {}, [r.session.name + ' ', el('code', { text: r.session.id.slice(0, 8) })]); }],
      ['duration', 'Duration', duration, function (r) { var d = duration(r); return d === null ? 'open' : fmtMs(d); }, true],
      ['calls', 'Calls', function (r) { return r.calls; }, function (r) { return fmtInt(r.calls); }, true],
      ['tokens', 'Tokens', function (r) { return r.tokens; }, function (r) { return fmtInt(r.tokens); }, true],
      ['cost', 'Cost', function (r) { return r.priced ? r.cost : NaN; }, function (r) { return costText(r.cost, r.priced, r.unpriced); }, true],
      ['errors', 'Errors', function (r) { return r.errors; }, function (r) { return errorCell(r.errors); }, true],
      ['labels', 'Labels', null, function (r) {
        var user = r.session.labels.filter(function (p) { return !isSystemLabel(p); });
        var system = r.session.labels.filter(isSystemLabel);
        var chips = user.map(function (p) { return el('span', { class: 'chip', text: labelText(p) }); });
        if (system.length) { chips.push(el('span', { class: 'chip sys', title: system.map(labelText).join('\n'), text: '+' + system.length + ' system' })); }
        return chips.length ? el('span', {}, chips) : null;
      }]
    ], function (r) { return { 'data-testid': 'session-row', title: 'Filter by this session' }; },
    function (r) { update({ session: r.session.id, tab: 'calls', sort: TAB_SORTS.calls.slice() }); }, 'No sessions match the filters.');
  }

  function renderErrors(agg) {
    var groups = {};
    for (var i = 0; i < N; i++) {
      if (!agg.matched[i] || errorCol[i] < 0) { continue; }
      var g = errorGroup(errorCol[i]);
      var row = groups[g.key] || (groups[g.key] = { key: g.key, type: g.type, message: g.message, count: 0, calls: 0, functions: 0, traces: {}, samples: [], last: -Infinity, first: Infinity });
      row.count += 1;
      if (kind[i]) { row.functions += 1; } else { row.calls += 1; }
      row.last = Math.max(row.last, startCol[i]);
      row.first = Math.min(row.first, startCol[i]);
      if (!row.traces[traceCol[i]]) {
        row.traces[traceCol[i]] = true;
        if (row.samples.length < 5) { row.samples.push(i); }
      }
    }
    var rows = Object.keys(groups).map(function (k) { var r = groups[k]; r.traceCount = Object.keys(r.traces).length; return r; });
    table('errors', rows, [
      ['type', 'Type', function (r) { return r.type; }, function (r) { return el('code', { text: r.type }); }],
      ['message', 'Message', null, function (r) { return el('span', { class: 'message', title: r.message, text: r.message.length > 160 ? r.message.slice(0, 159) + '…' : r.message }); }],
      ['count', 'Spans', function (r) { return r.count; }, function (r) { return fmtInt(r.count); }, true],
      ['traces', 'Traces', function (r) { return r.traceCount; }, function (r) { return fmtInt(r.traceCount); }, true],
      ['start', 'Last seen (UTC)', function (r) { return r.last; }, function (r) { return fmtClock(T0 + r.last); }],
      ['links', 'Open a trace', null, function (r) {
        var links = r.samples.map(function (i, k) { return spanLink(i, 'trace ' + (k + 1)); });
        var all = el('button', { type: 'button', class: 'link', 'data-testid': 'error-filter', text: 'all ' + fmtInt(r.count) });
        all.addEventListener('click', function () { update({ err: r.key, tab: 'calls', sort: TAB_SORTS.calls.slice() }); });
        return el('span', { class: 'links' }, links.concat([all]));
      }]
    ], function (r) { return { 'data-testid': 'error-group' }; }, null, 'No errors match the filters.');
  }

  function renderLabels(agg) {
    var keys = {};
    SESSIONS.forEach(function (s) { s.labels.forEach(function (p) { if (!isSystemLabel(p)) { keys[p[0]] = true; } }); });
    var keyList = Object.keys(keys).sort();
    var host = $('tab-body');
    if (!keyList.length) { host.appendChild(el('div', { class: 'empty', text: 'No session has a label.' })); return; }
    var key = keys[state.labelKey] ? state.labelKey : keyList[0];
    var select = el('select', { 'data-testid': 'label-key' }, keyList.map(function (k) { return el('option', { value: k, text: k, selected: k === key }); }));
    select.addEventListener('change', function () { update({ labelKey: select.value }); });
    host.appendChild(el('p', { class: 'hint' }, ['Cost and tokens of the matching calls by the value of ', select, ' (a session label).']));
    var valueOf = SESSIONS.map(function (s) {
      var pair = s.labels.filter(function (p) { return p[0] === key; })[0];
      return pair ? pair[1] : '(none)';
    });
    var rows = {};
    for (var i = 0; i < N; i++) {
      if (!agg.matched[i]) { continue; }
      var value = sessionCol[i] >= 0 ? valueOf[sessionCol[i]] : '(none)';
      var r = rows[value] || (rows[value] = { value: value, sessions: {}, calls: 0, input: 0, output: 0, tokens: 0, cost: 0, priced: 0, unpriced: 0, errors: 0 });
      r.sessions[sessionIdCol[i]] = true;
      if (errorCol[i] >= 0) { r.errors += 1; }
      if (kind[i]) { continue; }
      r.calls += 1;
      if (tinCol[i] > 0) { r.input += tinCol[i]; }
      if (toutCol[i] > 0) { r.output += toutCol[i]; }
      if (tokensCol[i] > 0) { r.tokens += tokensCol[i]; }
      if (isNaN(costCol[i])) { r.unpriced += 1; } else { r.cost += costCol[i]; r.priced += 1; }
    }
    table('labels', Object.keys(rows).map(function (v) { var r = rows[v]; r.sessionCount = Object.keys(r.sessions).length; return r; }), [
      ['name', key, function (r) { return r.value; }, function (r) { return el('code', { text: r.value }); }],
      ['sessions', 'Sessions', function (r) { return r.sessionCount; }, function (r) { return fmtInt(r.sessionCount); }, true],
      ['calls', 'Calls', function (r) { return r.calls; }, function (r) { return fmtInt(r.calls); }, true],
      ['input', 'Tokens in', function (r) { return r.input; }, function (r) { return fmtInt(r.input); }, true],
      ['output', 'Tokens out', function (r) { return r.output; }, function (r) { return fmtInt(r.output); }, true],
      ['tokens', 'Tokens', function (r) { return r.tokens; }, function (r) { return fmtInt(r.tokens); }, true],
      ['cost', 'Cost', function (r) { return r.priced ? r.cost : NaN; }, function (r) { return costText(r.cost, r.priced, r.unpriced); }, true],
      ['errors', 'Errors', function (r) { return r.errors; }, function (r) { return errorCell(r.errors); }, true]
    ], function (r) { return { 'data-testid': 'label-row', title: 'Filter by ' + key + '=' + r.value }; },
    function (r) { if (r.value !== '(none)') { update({ label: key + '=' + r.value }); } }, 'No calls match the filters.');
  }

  /* A horizontal bar chart: one row per model; `series` are [key, colour, label] drawn side
     by side (grouped) or end to end (stacked). */
  function barChart(host, rows, series, stacked, format) {
    if (!rows.length) { host.appendChild(el('div', { class: 'empty', text: 'No provider calls match the filters.' })); return; }
    var width = 460, labelWidth = 150, valueWidth = 78, rowHeight = stacked ? 24 : 30, top = 4;
    var plot = width - labelWidth - valueWidth;
    var max = 0;
    rows.forEach(function (row) {
      var sum = 0;
      series.forEach(function (s) { var v = row[s[0]] || 0; max = Math.max(max, v); sum += v; });
      if (stacked) { max = Math.max(max, sum); }
    });
    var height = top + rows.length * rowHeight + 4;
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
    rows.forEach(function (row, i) {
      var y = top + i * rowHeight;
      var name = row.name.length > 24 ? row.name.slice(0, 23) + '…' : row.name;
      var label = svg('text', { x: labelWidth - 8, y: y + rowHeight / 2 + 4, 'text-anchor': 'end' }, name);
      label.appendChild(svg('title', {}, row.name));
      chart.appendChild(label);
      chart.appendChild(svg('rect', { x: labelWidth, y: y + 3, width: plot, height: rowHeight - 6, fill: '#f8f9fb' }));
      var x = labelWidth;
      var barHeight = stacked ? rowHeight - 10 : (rowHeight - 10) / series.length;
      series.forEach(function (s, k) {
        var value = row[s[0]];
        if (value === null || value === undefined) { return; }
        var w = max > 0 ? Math.max(value > 0 ? 1.5 : 0, plot * value / max) : 0;
        var rect = svg('rect', { x: stacked ? x : labelWidth, y: y + 5 + (stacked ? 0 : k * barHeight), width: w, height: barHeight - (stacked ? 0 : 1), rx: 2, fill: s[1] });
        rect.appendChild(svg('title', {}, row.name + ' · ' + s[2] + ': ' + format(value)));
        chart.appendChild(rect);
        if (stacked) { x += w; }
      });
      chart.appendChild(svg('text', { x: width - 4, y: y + rowHeight / 2 + 4, 'text-anchor': 'end', class: 'value' }, row.valueText));
    });
    host.appendChild(chart);
    host.appendChild(el('div', { class: 'legend' }, series.map(function (s) { return el('span', {}, [el('i', { style: 'background:' + s[1] }), s[2]]); })));
  }

  function renderModels(agg) {
    var byModel = {};
    agg.calls.forEach(function (i) {
      var key = str(modelCol[i]) || '(no model)';
      var m = byModel[key] || (byModel[key] = { name: key, calls: 0, input: 0, output: 0, durations: [], cost: 0, priced: 0, unpriced: 0, errors: 0 });
      m.calls += 1;
      if (tinCol[i] > 0) { m.input += tinCol[i]; }
      if (toutCol[i] > 0) { m.output += toutCol[i]; }
      if (errorCol[i] >= 0) { m.errors += 1; }
      m.durations.push(durCol[i]);
      if (isNaN(costCol[i])) { m.unpriced += 1; } else { m.cost += costCol[i]; m.priced += 1; }
    });
    var list = Object.keys(byModel).sort().map(function (k) {
      var m = byModel[k];
      m.durations.sort(function (a, b) { return a - b; });
      m.p50 = percentile(m.durations, 0.5);
      m.p95 = percentile(m.durations, 0.95);
      return m;
    });
    var host = $('tab-body');
    var captions = [['chart-tokens', 'Tokens (input / output)'], ['chart-latency', 'Latency (median / p95)'], ['chart-cost', 'Estimated cost (USD)']];
    var figures = captions.map(function (c) { return el('div', { id: c[0], 'data-testid': c[0] }); });
    host.appendChild(el('div', { class: 'charts' }, figures.map(function (box, k) {
      return el('figure', {}, [el('figcaption', { text: captions[k][1] }), box]);
    })));
    barChart(figures[0], list.map(function (m) { return { name: m.name, input: m.input, output: m.output, valueText: fmtInt(m.input + m.output) }; }),
      [['input', 'var(--input)', 'input'], ['output', 'var(--output)', 'output']], true, fmtInt);
    barChart(figures[1], list.map(function (m) { return { name: m.name, p50: m.p50, p95: m.p95, valueText: fmtMs(m.p95) }; }),
      [['p50', 'var(--input)', 'median'], ['p95', 'var(--p95)', 'p95']], false, fmtMs);
    barChart(figures[2], list.map(function (m) { return { name: m.name, cost: m.priced ? m.cost : null, valueText: costText(m.cost, m.priced, m.unpriced) }; }),
      [['cost', 'var(--openai)', 'estimated cost']], true, fmtUsd);
    table('models', list, [
      ['name', 'Model', function (m) { return m.name; }, function (m) { return m.name; }],
      ['calls', 'Calls', function (m) { return m.calls; }, function (m) { return fmtInt(m.calls); }, true],
      ['tokens', 'Tokens', function (m) { return m.input + m.output; }, function (m) { return fmtInt(m.input + m.output); }, true],
      ['duration', 'p95', function (m) { return m.p95; }, function (m) { return fmtMs(m.p95); }, true],
      ['cost', 'Cost', function (m) { return m.priced ? m.cost : NaN; }, function (m) { return costText(m.cost, m.priced, m.unpriced); }, true],
      ['errors', 'Errors', function (m) { return m.errors; }, function (m) { return errorCell(m.errors); }, true]
    ], function () { return { 'data-testid': 'model-row' }; }, function (m) { if (m.name !== '(no model)') { update({ model: m.name, tab: 'calls', sort: TAB_SORTS.calls.slice() }); } }, '');
  }

  function renderEnhPrompt(agg) {
    var groups = {};
    DATA.enh_prompt.forEach(function (entry) {
      var i = entry[0];
      if (!agg.matched[i]) { return; }
      var key = spanName(i);
      var g = groups[key] || (groups[key] = { name: key, ids: [], threshold: null });
      g.ids.push(entry[1]);
      if (entry[2] !== null) { g.threshold = entry[2]; }
    });
    var rows = Object.keys(groups).map(function (k) { return groups[k]; });
    table('enh', rows, [
      ['name', 'Function', function (g) { return g.name; }, function (g) { return el('code', { text: g.name }); }],
      ['count', 'Traces', function (g) { return g.ids.length; }, function (g) { return String(g.ids.length); }, true],
      ['threshold', 'Auto after', function (g) { return g.threshold; }, function (g) { return g.threshold === null ? '–' : String(g.threshold); }, true],
      ['status', 'Status', null, function (g) {
        var reached = g.threshold !== null && g.ids.length >= g.threshold;
        return g.threshold === null ? el('span', { class: 'badge none', text: 'no threshold' })
          : reached ? el('span', { class: 'badge reached', 'data-testid': 'enh-reached', text: 'threshold reached' })
            : el('span', { class: 'badge pending', text: (g.threshold - g.ids.length) + ' more to go' });
      }],
      ['ids', 'Ids', null, function (g) {
        return el('details', {}, [el('summary', { text: g.ids.length + ' id(s)' }),
          el('div', {}, g.ids.map(function (id) { return el('div', {}, [el('code', { text: id })]); }))]);
      }]
    ], function () { return { 'data-testid': 'enh-group' }; }, null, 'No enh_prompt traces match the filters.');
  }

  var TAB_RENDER = { calls: renderCalls, traces: renderTraceTable, sessions: renderSessions, errors: renderErrors, labels: renderLabels, models: renderModels, enh: renderEnhPrompt };

  function renderTab() {
    clear($('tab-body'));
    document.querySelectorAll('#tabs button').forEach(function (b) { b.classList.toggle('active', b.getAttribute('data-tab') === state.tab); });
    var views = ['calls', 'traces', 'sessions'].indexOf(state.tab) >= 0;
    $('views').hidden = !views;
    document.querySelectorAll('#views button').forEach(function (b) {
      b.classList.toggle('active', state.sort[0] === VIEWS[b.getAttribute('data-view')] && state.sort[1] === 'desc');
    });
    TAB_RENDER[state.tab](current);
  }

  // ---- trace waterfall -----------------------------------------------------------------

  var WATERFALL_ROWS = 500;

  function ticks(total) {
    var box = el('div', { class: 'ticks' });
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f) { box.appendChild(el('span', { style: 'left:' + (f * 100) + '%', text: fmtMs(total * f) })); });
    return box;
  }

  function renderTrace() {
    var panel = $('trace-panel');
    if (state.trace < 0) { panel.hidden = true; return; }
    panel.hidden = false;
    var t = state.trace, f = traceFacts[t], order = TRACES[t];
    var total = Math.max(f.end - f.start, 1e-3);
    $('trace-heading').textContent = traceName(t) + ' · ' + sessionName(f.root) + ' · ' + fmtTime(T0 + f.start) + ' · ' +
      order.length + ' span(s) · ' + fmtMs(f.duration) + (f.errors ? ' · ' + f.errors + ' error(s)' : '');
    var box = el('section', { class: 'trace', 'data-testid': 'trace', 'data-trace': t }, [el('div', { class: 'axis' }, [el('div'), ticks(total), el('div')])]);
    order.slice(0, WATERFALL_ROWS).forEach(function (i) {
      var left = (startCol[i] - f.start) / total * 100;
      var width = Math.max((endCol[i] - startCol[i]) / total * 100, 0.25);
      var track = el('div', { class: 'track' }, [25, 50, 75].map(function (p) { return el('span', { class: 'grid', style: 'left:' + p + '%' }); }));
      track.appendChild(el('div', {
        class: 'bar ' + kindClass(i) + (errorCol[i] >= 0 ? ' error' : ''),
        style: 'left:' + left.toFixed(3) + '%;width:' + Math.min(width, 100 - left).toFixed(3) + '%',
        title: spanName(i) + ' · ' + fmtMs(durCol[i])
      }));
      var row = el('div', {
        class: 'row' + (current.matched[i] ? '' : ' dim') + (state.span === i ? ' selected' : ''),
        'data-testid': kind[i] ? 'function-row' : 'waterfall-call-row', 'data-span': i, role: 'button', tabindex: '0'
      }, [
        el('div', { class: 'name', style: 'padding-left:' + (12 + Math.min(depthCol[i], 40) * 16) + 'px', title: spanName(i) }, [
          el('span', { class: 'dot ' + kindClass(i) }), spanName(i),
          modelCol[i] >= 0 ? el('span', { class: 'model', text: STR[modelCol[i]] }) : null,
          errorCol[i] >= 0 ? el('span', { class: 'mark', text: '✕', title: STR[errorCol[i]] }) : null
        ]),
        track,
        el('div', { class: 'dur', text: fmtMs(durCol[i]) })
      ]);
      row.addEventListener('click', function () { openSpan(i); });
      row.addEventListener('keydown', function (e) { if (e.key === 'Enter') { openSpan(i); } });
      box.appendChild(row);
    });
    if (order.length > WATERFALL_ROWS) { box.appendChild(el('div', { class: 'empty', text: (order.length - WATERFALL_ROWS) + ' more spans not drawn.' })); }
    clear($('trace-view')).appendChild(box);
  }

  // ---- the call drawer -----------------------------------------------------------------

  /* A compacted string ({"$chars": n, "head": "..."}) or any value, as display text. */
  function textOf(value) {
    if (value === null || value === undefined) { return ''; }
    if (typeof value === 'string') { return value; }
    if (typeof value.$chars === 'number') { return value.head + ' … (' + fmtInt(value.$chars) + ' characters)'; }
    return JSON.stringify(value, null, 2);
  }

  /* Message content in any of the shapes providers use: a string, OpenAI parts, Gemini parts. */
  function contentParts(content) {
    if (content === null || content === undefined) { return []; }
    if (typeof content === 'string' || typeof content.$chars === 'number') { return [{ text: textOf(content) }]; }
    if (!Array.isArray(content)) { content = content.parts || [content]; }
    return content.map(function (part) {
      if (typeof part === 'string') { return { text: part }; }
      if (part.thought === true && part.text) { return { reasoning: textOf(part.text) }; }
      if (part.text !== undefined) { return { text: textOf(part.text) }; }
      if (part.functionCall) { return { call: { name: part.functionCall.name, args: part.functionCall.args } }; }
      if (part.functionResponse) { return { result: { name: part.functionResponse.name, value: part.functionResponse.response } }; }
      if (part.type === 'image_url' || part.inlineData || part.inline_data || part.fileData) { return { note: '[' + (part.type || Object.keys(part)[0]) + ']' }; }
      return { text: textOf(part) };
    });
  }

  function bubble(role, parts, extraClass) {
    var box = el('div', { class: 'msg role-' + role.replace(/[^a-z_]/gi, '') + (extraClass ? ' ' + extraClass : ''), 'data-testid': 'chat-message', 'data-role': role }, [
      el('div', { class: 'msg-role', text: role })
    ]);
    parts.forEach(function (p) {
      if (p.text !== undefined) { box.appendChild(el('div', { class: 'msg-text', text: p.text })); }
      if (p.reasoning !== undefined) { box.appendChild(el('details', { class: 'reasoning', 'data-testid': 'chat-reasoning', open: true }, [el('summary', { text: 'Reasoning' }), el('div', { class: 'msg-text', text: p.reasoning })])); }
      if (p.call) {
        var args = p.call.args;
        if (typeof args === 'string') { try { args = JSON.stringify(JSON.parse(args), null, 2); } catch (e) { /* shown as written */ } } else { args = JSON.stringify(args, null, 2); }
        box.appendChild(el('div', { class: 'tool-call', 'data-testid': 'chat-tool-call' }, [
          el('div', {}, [el('span', { class: 'tool-label', text: 'tool call ' }), el('code', { text: p.call.name || '?' }), p.call.id ? el('span', { class: 'muted', text: ' ' + p.call.id }) : null]),
          el('pre', { text: args || '' })
        ]));
      }
      if (p.result) {
        box.appendChild(el('div', { class: 'tool-result' }, [
          el('div', {}, [el('span', { class: 'tool-label', text: 'result of ' }), el('code', { text: p.result.name || '?' })]),
          el('pre', { text: textOf(p.result.value) })
        ]));
      }
      if (p.note) { box.appendChild(el('div', { class: 'muted', text: p.note })); }
      if (p.node) { box.appendChild(p.node); }
    });
    return box;
  }

  function openaiMessage(m) {
    var parts = contentParts(m.content);
    (m.tool_calls || []).forEach(function (c) {
      var fn = c.function || c;
      parts.push({ call: { name: fn.name, args: fn.arguments, id: c.id } });
    });
    if (m.role === 'tool') { return bubble('tool', [{ result: { name: m.name || m.tool_call_id, value: m.content } }]); }
    if (m.reasoning_content) { parts.unshift({ reasoning: textOf(m.reasoning_content) }); }
    return bubble(m.role || 'user', parts);
  }

  function embeddingNode(response) {
    var data = Array.isArray(response.data) ? response.data : [];
    var vectors = data.map(function (d) { return d.embedding; }).filter(function (e) { return e !== undefined; });
    if (!vectors.length && response.embeddings) { vectors = response.embeddings.map(function (e) { return e.values || e; }); }
    if (!vectors.length && response.embedding) { vectors = [response.embedding.values || response.embedding]; }
    var dims = response.embedding_dimensions;
    var first = vectors[0];
    if (dims === undefined || dims === null) {
      dims = Array.isArray(first) ? first.length : first && typeof first.$numbers === 'number' ? first.$numbers : null;
    }
    var head = Array.isArray(first) ? first.slice(0, 8) : first && first.head ? first.head : null;
    var count = response.embedding_count !== undefined && response.embedding_count !== null ? response.embedding_count : vectors.length;
    return el('div', { class: 'embedding', 'data-testid': 'chat-embedding' }, [
      el('strong', { text: fmtInt(count) + ' embedding' + (count === 1 ? '' : 's') + (dims !== null ? ' × ' + fmtInt(dims) + ' dimensions' : '') }),
      typeof first === 'string' ? el('div', { class: 'muted', text: 'base64-encoded vectors' }) : null,
      head ? el('div', { class: 'muted', text: '[' + head.map(function (v) { return Number(v).toFixed(4); }).join(', ') + (dims > head.length ? ', …' : '') + ']' }) : null
    ]);
  }

  function videoNode(response) {
    var videos = (response.generated_videos || []).map(function (v) { return v.video || v; });
    return el('div', { class: 'video', 'data-testid': 'chat-video' }, [
      el('div', {}, [el('span', { class: 'tool-label', text: 'operation ' }), el('code', { text: response.operation_name || '?' })]),
      el('div', { class: 'muted', text: (response.done ? 'done' : 'running') + (response.polls ? ' · ' + response.polls + ' poll(s)' : '') }),
      el('div', {}, videos.map(function (v) {
        return v.uri ? el('div', {}, [el('a', { href: v.uri, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'video-link', text: v.uri })]) : el('div', { class: 'muted', text: 'video without a link' });
      }))
    ]);
  }

  function isPayloadValue(p) { return p !== undefined && p !== null && !(p && p.$truncated === true); }
  function payloadValue(p) { return p && p.$compacted === true ? p.value : p; }

  /* The call as a conversation: the system prompt, the messages, tool calls and results,
     then the output (text, reasoning, tool calls, embeddings, a video operation). */
  function chat(request, response) {
    var nodes = [];
    if (request && typeof request === 'object' && !Array.isArray(request)) {
      var system = request.system_instruction || request.instructions || (request.config && (request.config.systemInstruction || request.config.system_instruction));
      if (system) { nodes.push(bubble('system', contentParts(system))); }
      if (Array.isArray(request.messages)) { request.messages.forEach(function (m) { nodes.push(openaiMessage(m)); }); }
      var contents = request.contents;
      if (contents !== undefined && contents !== null) {
        if (!Array.isArray(contents)) { contents = [contents]; }
        contents.forEach(function (c) {
          if (typeof c === 'string' || !c.parts) { nodes.push(bubble('user', contentParts(c))); return; }
          var parts = contentParts(c.parts);
          var calls = parts.filter(function (p) { return p.result; });
          nodes.push(bubble(c.role === 'model' ? 'assistant' : calls.length === parts.length && parts.length ? 'tool' : (c.role || 'user'), parts));
        });
      }
      var input = request.input;
      if (input !== undefined && input !== null) {
        if (Array.isArray(input) && input.length && typeof input[0] === 'object' && input[0] !== null && input[0].role) {
          input.forEach(function (m) { nodes.push(openaiMessage(m)); });
        } else if (Array.isArray(input)) {
          nodes.push(bubble('input', input.map(function (t) { return { text: textOf(t) }; })));
        } else {
          nodes.push(bubble('user', contentParts(input)));
        }
      }
      if (request.prompt !== undefined && request.prompt !== null) { nodes.push(bubble('user', contentParts(request.prompt))); }
    }
    if (response && typeof response === 'object' && !Array.isArray(response)) {
      var out = [];
      if (Array.isArray(response.choices) && response.choices.length) {
        response.choices.forEach(function (c) {
          if (c.reasoning) { out.push({ reasoning: textOf(c.reasoning) }); }
          if (c.text !== null && c.text !== undefined) { out.push({ text: textOf(c.text) }); }
          (c.tool_calls || []).forEach(function (t) { out.push({ call: { name: t.name, args: t.arguments, id: t.id } }); });
        });
      } else if (response.text !== null && response.text !== undefined) {
        out.push({ text: textOf(response.text) });
      }
      if (response.embedding_dimensions !== undefined || response.embedding_count !== undefined ||
        (Array.isArray(response.data) && response.data.length && response.data[0].embedding !== undefined)) {
        out.push({ node: embeddingNode(response) });
      }
      if (response.operation_name !== undefined || response.generated_videos !== undefined) { out.push({ node: videoNode(response) }); }
      if (response.image_count !== undefined && Array.isArray(response.data)) {
        out.push({ note: fmtInt(response.image_count || response.data.length) + ' image(s)' });
      }
      if (out.length) { nodes.push(bubble('output', out, 'output')); }
    }
    return nodes;
  }

  function rawBlock(title, payload) {
    if (payload === undefined) { return []; }
    var nodes = [el('h4', { text: title })];
    if (payload && payload.$truncated === true) {
      nodes.push(el('div', { class: 'note', text: 'Larger than ' + fmtInt(META.max_payload_bytes) + ' bytes (' + fmtInt(payload.bytes) + ' bytes): first characters shown. Re-run with a higher --max-payload-bytes to embed it whole.' }));
      nodes.push(el('pre', { text: payload.preview + ' …' }));
    } else {
      if (payload && payload.$compacted === true) {
        nodes.push(el('div', { class: 'note', text: 'Larger than ' + fmtInt(META.max_payload_bytes) + ' bytes (' + fmtInt(payload.bytes) + ' bytes): long number arrays (and, where needed, long strings) are cut to their first values.' }));
      }
      nodes.push(el('pre', { 'data-testid': 'raw-json', text: JSON.stringify(payloadValue(payload), null, 2) }));
    }
    return nodes;
  }

  function factList(facts) {
    var list = el('dl');
    facts.filter(function (f) { return f[1] !== undefined && f[1] !== null && f[1] !== ''; }).forEach(function (f) {
      list.appendChild(el('dt', { text: f[0] }));
      list.appendChild(el('dd', { text: String(f[1]) }));
    });
    return list;
  }

  var drawerToken = 0;
  function renderDrawer() {
    var i = state.span;
    if (i < 0) { $('detail').hidden = true; return; }
    var token = ++drawerToken;
    $('detail-title').textContent = spanName(i);
    $('detail-raw').textContent = state.raw ? 'Conversation' : 'Raw JSON';
    $('detail-raw').hidden = !!kind[i];
    $('detail').hidden = false;
    var body = clear($('detail-body'));
    body.appendChild(el('div', { class: 'empty', text: 'Loading…' }));
    detailOf(i).then(function (d) {
      if (token !== drawerToken) { return; }
      var request = payloadValue(d.request), response = payloadValue(d.response);
      var tin = tinCol[i], tout = toutCol[i];
      clear(body);
      body.setAttribute('data-span', String(i));
      body.appendChild(factList([
        ['Kind', kind[i] ? 'function' : 'provider call'], ['Session', sessionName(i)], ['Model', str(modelCol[i])], ['Response model', d.response_model],
        ['Started', fmtTime(spanTime(i))], ['Duration', fmtMs(durCol[i])],
        ['Tokens', tin >= 0 || tout >= 0 ? fmtInt(Math.max(tin, 0)) + ' in · ' + fmtInt(Math.max(tout, 0)) + ' out' +
          (d.cached_tokens ? ' · ' + fmtInt(d.cached_tokens) + ' cached' : '') + (d.reasoning_tokens ? ' · ' + fmtInt(d.reasoning_tokens) + ' reasoning' : '') : null],
        ['Estimated cost', kind[i] ? null : isNaN(costCol[i]) ? 'unknown (model not in price table or no usage)' : fmtUsd(costCol[i]) + (d.price_entry ? ' (' + d.price_entry + ')' : '')],
        ['Attempt', attemptCol[i] >= 0 ? attemptCol[i] + (attemptCol[i] > 1 ? ' (retry)' : ' (first try)') : null],
        ['HTTP status', response && response.http_status],
        ['Module', d.module], ['Callsite', d.callsite ? (d.callsite.file || '?') + ':' + (d.callsite.line || '?') + (d.callsite.function ? ' in ' + d.callsite.function : '') : null],
        ['enh_prompt_id', d.enh_prompt_id], ['auto_enhance_after', d.auto_enhance_after],
        ['Span id', spanIds[i]], ['Parent span id', d.parent_span_id], ['Trace id', str(traceIdCol[i])], ['Note', d.anomaly]
      ]));
      if (errorCol[i] >= 0) { body.appendChild(el('h4', { text: 'Error' })); body.appendChild(el('div', { class: 'error-box', 'data-testid': 'detail-error', text: STR[errorCol[i]] })); }
      if (response && response.headers && typeof response.headers === 'object' && Object.keys(response.headers).length) {
        body.appendChild(el('h4', { text: 'Response headers' }));
        var headers = response.headers;
        body.appendChild(el('dl', { class: 'headers', 'data-testid': 'response-headers' }, Object.keys(headers).sort().reduce(function (list, name) {
          return list.concat([el('dt', {}, [el('code', { text: name })]), el('dd', { text: String(headers[name]) })]);
        }, [])));
      }
      var blocks;
      if (kind[i]) {
        blocks = rawBlock('Args', d.args).concat(rawBlock('Kwargs', d.kwargs), rawBlock('Result', d.result));
      } else if (state.raw) {
        blocks = rawBlock('Request', d.request).concat(rawBlock('Response', d.response));
      } else {
        var messages = chat(isPayloadValue(d.request) ? request : null, isPayloadValue(d.response) ? response : null);
        blocks = [el('h4', { text: 'Conversation' })];
        if (!isPayloadValue(d.request) || (d.response && d.response.$truncated)) {
          blocks.push(el('div', { class: 'note', text: 'A payload is too large to show as a conversation; see the raw JSON.' }));
        }
        blocks.push(messages.length ? el('div', { class: 'chat', 'data-testid': 'chat' }, messages) : el('div', { class: 'empty', text: 'No messages in this call.' }));
      }
      blocks.forEach(function (b) { body.appendChild(b); });
      body.setAttribute('data-loaded', 'true');
    }).catch(function (e) { body.textContent = 'Could not read this span: ' + e; });
  }

  // ---- wiring --------------------------------------------------------------------------

  function render() {
    current = aggregate();
    renderCards(current);
    renderTimeCharts(current);
    renderTab();
    renderTrace();
    var active = FILTER_KEYS.filter(function (k) { return state[k]; });
    $('filter-note').textContent = active.length ? 'Filtered by ' + active.map(function (k) { return k === 'errors' ? 'errors only' : k + ' = ' + state[k]; }).join(', ') : '';
    $('filter-note').appendChild(el('span', { class: 'muted', text: state.q && !searchIndex ? ' (searching prompts…)' : '' }));
  }

  /* Counts finished updates, so tests and timings can wait for the next one. */
  var updates = 0;
  function updated() { document.body.setAttribute('data-rendered', String(++updates)); }

  function update(changes) {
    var filtersChanged = false;
    Object.keys(changes).forEach(function (key) {
      if (FILTER_KEYS.indexOf(key) >= 0 && state[key] !== changes[key]) { filtersChanged = true; }
      state[key] = changes[key];
    });
    if (changes.tab && !changes.sort) { state.sort = TAB_SORTS[state.tab].slice(); }
    if (filtersChanged || changes.tab || changes.sort) { shown = {}; }
    writeUrl();
    syncControls();
    if (state.q && !searchIndex) { loadSearch().then(function () { render(); updated(); }); }
    if (filtersChanged) {
      render();
    } else {
      // Same rows: only the table, the open trace and the drawer can have changed.
      renderTab();
      renderTrace();
    }
    renderDrawer();
    updated();
  }

  function openSpan(i) {
    state.raw = false;
    update({ span: i, trace: traceCol[i] });
    var row = document.querySelector('#trace-view [data-span="' + i + '"]');
    if (row && row.scrollIntoView) { row.scrollIntoView({ block: 'nearest' }); }
  }

  function openTrace(t) {
    update({ trace: t, span: -1 });
    $('trace-panel').scrollIntoView({ block: 'start' });
  }

  /* Shows what the URL asks for: filters, search, tab and sort, an open trace or span. */
  function applyUrl() {
    readUrl();
    syncControls();
    shown = {};
    if (state.q && !searchIndex) { loadSearch().then(function () { render(); updated(); }); }
    render();
    renderDrawer();
    updated();
  }

  function init() {
    $('meta').textContent = META.files.join(', ') + ' · ' + SESSIONS.length + ' session(s) · ' +
      N + ' spans · prices as of ' + META.prices_as_of + ' · ' + META.tool;
    ['provider', 'model', 'session', 'label'].forEach(function (key) {
      $('filter-' + key).addEventListener('change', function (e) { var c = {}; c[key] = e.target.value; update(c); });
    });
    $('filter-errors').addEventListener('change', function (e) { update({ errors: e.target.checked ? '1' : '', err: '' }); });
    var typing = null;
    $('filter-q').addEventListener('input', function (e) {
      clearTimeout(typing);
      typing = setTimeout(function () { update({ q: e.target.value }); }, 150);
    });
    ['from', 'to'].forEach(function (key) {
      $('filter-' + key).addEventListener('change', function (e) { var c = {}; c[key] = e.target.value.trim(); update(c); });
    });
    $('filter-reset').addEventListener('click', function () {
      var c = {};
      FILTER_KEYS.forEach(function (k) { c[k] = ''; });
      update(c);
    });
    document.querySelectorAll('#tabs button').forEach(function (b) { b.addEventListener('click', function () { update({ tab: b.getAttribute('data-tab') }); }); });
    document.querySelectorAll('#views button').forEach(function (b) {
      b.addEventListener('click', function () { update({ sort: [VIEWS[b.getAttribute('data-view')], 'desc'] }); });
    });
    $('trace-close').addEventListener('click', function () { update({ trace: -1, span: -1 }); });
    $('detail-raw').addEventListener('click', function () { update({ raw: !state.raw }); });
    $('detail-close').addEventListener('click', function () { update({ span: -1 }); });
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && state.span >= 0) { update({ span: -1 }); } });
    window.addEventListener('hashchange', applyUrl);
    performance.mark('report:facts');
    applyUrl();
    performance.mark('report:drawn');
    document.body.setAttribute('data-ready', 'true');
    // Inflate the search text while the reader looks at the page, so a search answers at once.
    requestAnimationFrame(function () {
      setTimeout(function () { loadSearch().then(function () { document.body.setAttribute('data-search-ready', 'true'); }); }, 0);
    });
  }

  init();
}());
