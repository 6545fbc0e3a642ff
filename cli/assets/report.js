/* aiobs report: draws everything from the JSON embedded in #aiobs-data.
   No network, no libraries. Filters come from the URL (#provider=gemini&session=ID&label=k=v,
   or the same as a ?query) and are written back to the hash, so a filtered view can be shared. */
(function () {
  'use strict';

  var DATA = JSON.parse(document.getElementById('aiobs-data').textContent);
  var SPANS = DATA.spans;
  var SESSIONS = DATA.sessions;
  var TRACES_PER_PAGE = 25;
  var state = { provider: '', session: '', label: '', tracesShown: TRACES_PER_PAGE, selected: -1 };
  var current = null; // the latest aggregate, reused when more traces are shown

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

  function fmtInt(n) { return Math.round(n).toLocaleString('en-US'); }

  function fmtMs(ms) { return Math.abs(ms) < 1000 ? ms.toFixed(1) + ' ms' : (ms / 1000).toFixed(2) + ' s'; }

  function fmtUsd(usd) {
    if (usd === 0) { return '$0'; }
    return '$' + usd.toFixed(usd >= 1 ? 2 : usd >= 0.01 ? 4 : 6);
  }

  function fmtTime(seconds) { return new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC'; }

  function percentile(sorted, q) {
    if (!sorted.length) { return null; }
    var rank = q * (sorted.length - 1), below = Math.floor(rank), above = Math.ceil(rank);
    return sorted[below] + (sorted[above] - sorted[below]) * (rank - below);
  }

  function kindClass(span) {
    if (span.kind === 'function') { return 'k-function'; }
    return span.provider === 'openai' || span.provider === 'gemini' ? 'k-' + span.provider : 'k-other';
  }

  function spanName(span) {
    return span.kind === 'function' ? (span.name || span.api) : span.provider + ' · ' + span.api;
  }

  function sessionName(span) {
    var session = span.session === undefined ? null : SESSIONS[span.session];
    return session ? session.name : span.session_id;
  }

  // ---- filters -------------------------------------------------------------------------

  function readFilters() {
    var params = new URLSearchParams(location.search.slice(1));
    new URLSearchParams(location.hash.slice(1)).forEach(function (value, key) { params.set(key, value); });
    state.provider = params.get('provider') || '';
    state.session = params.get('session') || '';
    state.label = (params.get('label') || '').replace(':', '=');
    var span = parseInt(params.get('span'), 10);
    state.selected = span >= 0 && span < SPANS.length ? span : -1;
    state.tracesShown = TRACES_PER_PAGE;
  }

  function writeFilters() {
    var params = new URLSearchParams();
    ['provider', 'session', 'label'].forEach(function (key) { if (state[key]) { params.set(key, state[key]); } });
    if (state.selected >= 0) { params.set('span', String(state.selected)); }
    var hash = params.toString();
    try {
      history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search);
    } catch (e) {
      location.hash = hash;
    }
  }

  function sessionHasLabel(span, label) {
    var session = span.session === undefined ? null : SESSIONS[span.session];
    if (!session) { return false; }
    return session.labels.some(function (pair) { return pair[0] + '=' + pair[1] === label; });
  }

  function matches(span) {
    if (state.session && span.session_id !== state.session) { return false; }
    if (state.label && !sessionHasLabel(span, state.label)) { return false; }
    if (state.provider && (span.kind !== 'provider' || span.provider !== state.provider)) { return false; }
    return true;
  }

  function fillSelect(select, allText, options, current) {
    clear(select);
    select.appendChild(el('option', { value: '', text: allText }));
    options.forEach(function (option) {
      select.appendChild(el('option', { value: option[0], text: option[1], selected: option[0] === current }));
    });
    if (current && !options.some(function (o) { return o[0] === current; })) {
      select.appendChild(el('option', { value: current, text: current + ' (not in data)', selected: true }));
    }
  }

  function buildFilterControls() {
    var providers = {};
    SPANS.forEach(function (span) { if (span.kind === 'provider') { providers[span.provider] = true; } });
    fillSelect(document.getElementById('filter-provider'), 'All providers',
      Object.keys(providers).sort().map(function (p) { return [p, p]; }), state.provider);
    fillSelect(document.getElementById('filter-session'), 'All sessions',
      SESSIONS.map(function (s) { return [s.id, s.name + ' (' + s.id.slice(0, 8) + ')']; }), state.session);
    var labels = {};
    SESSIONS.forEach(function (s) { s.labels.forEach(function (pair) { labels[pair[0] + '=' + pair[1]] = pair[0].indexOf('aiobs_') === 0; }); });
    var labelKeys = Object.keys(labels).sort(function (a, b) { return (labels[a] - labels[b]) || (a < b ? -1 : a > b ? 1 : 0); });
    fillSelect(document.getElementById('filter-label'), 'All labels', labelKeys.map(function (l) { return [l, l]; }), state.label);
  }

  // ---- aggregation ---------------------------------------------------------------------

  function aggregate() {
    var totals = { calls: 0, functions: 0, errors: 0, input: 0, output: 0, cost: 0, priced: 0, unpriced: 0, durations: [] };
    var models = {};
    var traceHits = {};
    SPANS.forEach(function (span) {
      if (!matches(span)) { return; }
      traceHits[span.trace] = (traceHits[span.trace] || 0) + 1;
      if (span.error) { totals.errors += 1; }
      if (span.kind === 'function') { totals.functions += 1; return; }
      var tokens = span.tokens || {};
      totals.calls += 1;
      totals.input += tokens.input || 0;
      totals.output += tokens.output || 0;
      totals.durations.push(span.duration_ms);
      var key = span.model || '(no model)';
      var model = models[key] || (models[key] = { name: key, calls: 0, input: 0, output: 0, durations: [], cost: 0, priced: 0, unpriced: 0 });
      model.calls += 1;
      model.input += tokens.input || 0;
      model.output += tokens.output || 0;
      model.durations.push(span.duration_ms);
      if (span.cost_usd === undefined || span.cost_usd === null) {
        model.unpriced += 1; totals.unpriced += 1;
      } else {
        model.cost += span.cost_usd; model.priced += 1;
        totals.cost += span.cost_usd; totals.priced += 1;
      }
    });
    var sortNum = function (a, b) { return a - b; };
    totals.durations.sort(sortNum);
    var modelList = Object.keys(models).sort().map(function (key) {
      var m = models[key];
      m.durations.sort(sortNum);
      m.p50 = percentile(m.durations, 0.5);
      m.p95 = percentile(m.durations, 0.95);
      return m;
    });
    var traces = [];
    DATA.traces.forEach(function (order, traceIndex) { if (traceHits[traceIndex]) { traces.push(traceIndex); } });
    return { totals: totals, models: modelList, traces: traces };
  }

  function costText(cost, priced, unpriced) {
    if (!priced && unpriced) { return 'unknown'; }
    return (unpriced ? '≥ ' : '') + fmtUsd(cost);
  }

  // ---- rendering: cards and charts -----------------------------------------------------

  function card(testid, label, value, sub, bad) {
    return el('div', { class: 'card' + (bad ? ' bad' : '') }, [
      el('div', { class: 'label', text: label }),
      el('div', { class: 'value', 'data-testid': testid, text: value }),
      sub ? el('div', { class: 'sub', text: sub }) : null
    ]);
  }

  function renderCards(agg) {
    var t = agg.totals;
    var p50 = percentile(t.durations, 0.5), p95 = percentile(t.durations, 0.95);
    var cards = clear(document.getElementById('cards'));
    [
      card('calls-count', 'Provider calls', String(t.calls)),
      card('traces-count', 'Traces', String(agg.traces.length)),
      card('functions-count', 'Functions', String(t.functions)),
      card('errors-count', 'Errors', String(t.errors), null, t.errors > 0),
      card('tokens-in', 'Tokens in', fmtInt(t.input)),
      card('tokens-out', 'Tokens out', fmtInt(t.output)),
      card('latency', 'Latency p50 / p95', p50 === null ? '–' : fmtMs(p50), p95 === null ? '' : 'p95 ' + fmtMs(p95)),
      card('cost-total', 'Estimated cost', costText(t.cost, t.priced, t.unpriced),
        t.unpriced ? t.unpriced + ' call(s) not priced' : 'prices as of ' + DATA.meta.prices_as_of)
    ].forEach(function (c) { cards.appendChild(c); });
  }

  /* A horizontal bar chart: one row per model; `series` are [key, colour, label] drawn side
     by side (grouped) or end to end (stacked). */
  function barChart(host, rows, series, stacked, format) {
    clear(host);
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
        var rect = svg('rect', {
          x: stacked ? x : labelWidth, y: y + 5 + (stacked ? 0 : k * barHeight), width: w, height: barHeight - (stacked ? 0 : 1),
          rx: 2, fill: s[1]
        });
        rect.appendChild(svg('title', {}, row.name + ' · ' + s[2] + ': ' + format(value)));
        chart.appendChild(rect);
        if (stacked) { x += w; }
      });
      chart.appendChild(svg('text', { x: width - 4, y: y + rowHeight / 2 + 4, 'text-anchor': 'end', class: 'value' }, row.valueText));
    });
    host.appendChild(chart);
    host.appendChild(el('div', { class: 'legend' }, series.map(function (s) {
      return el('span', {}, [el('i', { style: 'background:' + s[1] }), s[2]]);
    })));
  }

  function renderCharts(agg) {
    var models = agg.models;
    barChart(document.getElementById('chart-tokens'), models.map(function (m) {
      return { name: m.name, input: m.input, output: m.output, valueText: fmtInt(m.input + m.output) };
    }), [['input', 'var(--input)', 'input'], ['output', 'var(--output)', 'output']], true, fmtInt);
    barChart(document.getElementById('chart-latency'), models.map(function (m) {
      return { name: m.name, p50: m.p50, p95: m.p95, valueText: fmtMs(m.p95) };
    }), [['p50', 'var(--input)', 'median'], ['p95', 'var(--p95)', 'p95']], false, fmtMs);
    barChart(document.getElementById('chart-cost'), models.map(function (m) {
      return { name: m.name, cost: m.priced ? m.cost : null, valueText: costText(m.cost, m.priced, m.unpriced) };
    }), [['cost', 'var(--openai)', 'estimated cost']], true, fmtUsd);
  }

  // ---- rendering: traces ---------------------------------------------------------------

  function ticks(span) {
    var box = el('div', { class: 'ticks' });
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
      box.appendChild(el('span', { style: 'left:' + (f * 100) + '%', text: fmtMs(span * f * 1000) }));
    });
    return box;
  }

  function renderTrace(traceIndex) {
    var order = DATA.traces[traceIndex];
    var root = SPANS[order[0]];
    var start = Infinity, end = -Infinity, errors = 0, cost = 0, calls = 0;
    order.forEach(function (i) {
      var s = SPANS[i];
      start = Math.min(start, s.started_at);
      end = Math.max(end, s.ended_at);
      if (s.error) { errors += 1; }
      if (s.kind === 'provider') { calls += 1; }
      if (s.cost_usd) { cost += s.cost_usd; }
    });
    var total = Math.max(end - start, 1e-6);
    var head = el('div', { class: 'trace-head' }, [
      el('span', { class: 'dot ' + kindClass(root) }),
      el('span', { class: 'title', text: spanName(root) }),
      el('span', { class: 'muted', text: sessionName(root) + ' · ' + fmtTime(start) }),
      el('span', { class: 'pill', text: order.length + (order.length === 1 ? ' span' : ' spans') }),
      el('span', { class: 'pill', text: calls + (calls === 1 ? ' call' : ' calls') }),
      el('span', { class: 'pill', text: fmtMs(total * 1000) }),
      cost ? el('span', { class: 'pill cost', text: fmtUsd(cost) }) : null,
      errors ? el('span', { class: 'pill err', text: errors + (errors === 1 ? ' error' : ' errors') }) : null
    ]);
    var box = el('section', { class: 'trace', 'data-testid': 'trace', 'data-trace': traceIndex }, [head,
      el('div', { class: 'axis' }, [el('div'), ticks(total), el('div')])]);
    order.forEach(function (i) {
      var s = SPANS[i];
      var left = (s.started_at - start) / total * 100;
      var width = Math.max((s.ended_at - s.started_at) / total * 100, 0.25);
      var track = el('div', { class: 'track' }, [25, 50, 75].map(function (p) { return el('span', { class: 'grid', style: 'left:' + p + '%' }); }));
      track.appendChild(el('div', {
        class: 'bar ' + kindClass(s) + (s.error ? ' error' : ''),
        style: 'left:' + left.toFixed(3) + '%;width:' + Math.min(width, 100 - left).toFixed(3) + '%',
        title: spanName(s) + ' · ' + fmtMs(s.duration_ms)
      }));
      var row = el('div', {
        class: 'row' + (matches(s) ? '' : ' dim') + (state.selected === i ? ' selected' : ''),
        'data-testid': s.kind === 'provider' ? 'call-row' : 'function-row', 'data-span': i, role: 'button', tabindex: '0'
      }, [
        el('div', { class: 'name', style: 'padding-left:' + (12 + s.depth * 16) + 'px', title: spanName(s) }, [
          el('span', { class: 'dot ' + kindClass(s) }),
          spanName(s),
          s.model ? el('span', { class: 'model', text: s.model }) : null,
          s.error ? el('span', { class: 'mark', text: '✕', title: s.error }) : null
        ]),
        track,
        el('div', { class: 'dur', text: fmtMs(s.duration_ms) })
      ]);
      row.addEventListener('click', function () { showDetail(i); });
      row.addEventListener('keydown', function (e) { if (e.key === 'Enter') { showDetail(i); } });
      box.appendChild(row);
    });
    return box;
  }

  function renderTraces(agg) {
    var host = clear(document.getElementById('traces'));
    var shown = agg.traces.slice(0, state.tracesShown);
    document.getElementById('traces-heading-count').textContent = '(' + agg.traces.length + ')';
    if (!shown.length) { host.appendChild(el('div', { class: 'empty', text: 'No traces match the filters.' })); }
    shown.forEach(function (traceIndex) { host.appendChild(renderTrace(traceIndex)); });
    var more = document.getElementById('traces-more');
    var remaining = agg.traces.length - shown.length;
    more.hidden = remaining <= 0;
    more.textContent = 'Show ' + Math.min(remaining, TRACES_PER_PAGE) + ' more (' + remaining + ' not shown)';
  }

  // ---- rendering: enh_prompt groups and sessions ----------------------------------------

  function renderEnhPrompt() {
    var groups = {};
    SPANS.forEach(function (s) {
      if (s.kind !== 'function' || !s.enh_prompt_id || !matches(s)) { return; }
      var key = s.name || s.api;
      var g = groups[key] || (groups[key] = { name: key, ids: [], threshold: null });
      g.ids.push(s.enh_prompt_id);
      if (s.auto_enhance_after !== undefined && s.auto_enhance_after !== null) { g.threshold = s.auto_enhance_after; }
    });
    var host = clear(document.getElementById('enh'));
    var names = Object.keys(groups).sort();
    if (!names.length) { host.appendChild(el('div', { class: 'empty', text: 'No enh_prompt traces match the filters.' })); return; }
    var body = el('tbody');
    names.forEach(function (name) {
      var g = groups[name];
      var reached = g.threshold !== null && g.ids.length >= g.threshold;
      var badge = g.threshold === null ? el('span', { class: 'badge none', text: 'no threshold' })
        : reached ? el('span', { class: 'badge reached', 'data-testid': 'enh-reached', text: 'threshold reached' })
          : el('span', { class: 'badge pending', text: (g.threshold - g.ids.length) + ' more to go' });
      body.appendChild(el('tr', { 'data-testid': 'enh-group' }, [
        el('td', {}, [el('code', { text: name })]),
        el('td', { class: 'num', text: String(g.ids.length) }),
        el('td', { class: 'num', text: g.threshold === null ? '–' : String(g.threshold) }),
        el('td', {}, [badge]),
        el('td', {}, [el('details', {}, [el('summary', { text: g.ids.length + ' id(s)' }),
          el('div', {}, g.ids.map(function (id) { return el('div', {}, [el('code', { text: id })]); }))])])
      ]));
    });
    host.appendChild(el('table', { class: 'grid' }, [
      el('thead', {}, [el('tr', {}, ['Function', 'Traces', 'Auto after', 'Status', 'Ids'].map(function (h) { return el('th', { text: h }); }))]),
      body
    ]));
  }

  function renderSessions() {
    var counts = SESSIONS.map(function () { return 0; });
    SPANS.forEach(function (s) { if (s.kind === 'provider' && s.session !== undefined) { counts[s.session] += 1; } });
    var host = clear(document.getElementById('sessions'));
    if (!SESSIONS.length) { host.appendChild(el('div', { class: 'empty', text: 'No sessions.' })); return; }
    var body = el('tbody');
    SESSIONS.forEach(function (s, i) {
      var user = s.labels.filter(function (pair) { return pair[0].indexOf('aiobs_') !== 0; });
      var system = s.labels.filter(function (pair) { return pair[0].indexOf('aiobs_') === 0; });
      var chips = user.map(function (pair) { return el('span', { class: 'chip', text: pair[0] + '=' + pair[1] }); });
      if (system.length) {
        chips.push(el('span', { class: 'chip sys', title: system.map(function (p) { return p[0] + '=' + p[1]; }).join('\n'), text: '+' + system.length + ' system' }));
      }
      var row = el('tr', { class: 'clickable', 'data-testid': 'session-row', title: 'Filter by this session' }, [
        el('td', {}, [el('span', { text: s.name }), ' ', el('code', { text: s.id.slice(0, 8) })]),
        el('td', { text: fmtTime(s.started_at) }),
        el('td', { class: 'num', text: s.ended_at === null ? 'open' : fmtMs((s.ended_at - s.started_at) * 1000) }),
        el('td', { class: 'num', text: String(counts[i]) }),
        el('td', {}, chips.length ? chips : ['–'])
      ]);
      row.addEventListener('click', function () { setFilter('session', s.id); });
      body.appendChild(row);
    });
    host.appendChild(el('table', { class: 'grid' }, [
      el('thead', {}, [el('tr', {}, ['Session', 'Started', 'Duration', 'Calls', 'Labels'].map(function (h) { return el('th', { text: h }); }))]),
      body
    ]));
  }

  // ---- detail drawer -------------------------------------------------------------------

  function payloadBlock(title, payload) {
    if (payload === undefined) { return []; }
    var nodes = [el('h4', { text: title })];
    if (payload && payload.$truncated === true && typeof payload.preview === 'string') {
      nodes.push(el('div', { class: 'note', text: 'Larger than ' + fmtInt(DATA.meta.max_payload_bytes) + ' bytes (' + fmtInt(payload.bytes) + ' bytes): first characters shown. Re-run with a higher --max-payload-bytes to embed it whole.' }));
      nodes.push(el('pre', { text: payload.preview + ' …' }));
    } else {
      nodes.push(el('pre', { text: JSON.stringify(payload, null, 2) }));
    }
    return nodes;
  }

  function showDetail(index) {
    var s = SPANS[index];
    state.selected = index;
    document.querySelectorAll('.row.selected').forEach(function (r) { r.classList.remove('selected'); });
    document.querySelectorAll('.row[data-span="' + index + '"]').forEach(function (r) { r.classList.add('selected'); });
    document.getElementById('detail-title').textContent = spanName(s);
    var t = s.tokens || {};
    var facts = [
      ['Kind', s.kind], ['Session', sessionName(s)], ['Model', s.model], ['Response model', s.response_model],
      ['Started', fmtTime(s.started_at)], ['Duration', fmtMs(s.duration_ms)],
      ['Tokens', s.tokens ? fmtInt(t.input || 0) + ' in · ' + fmtInt(t.output || 0) + ' out' +
        (t.cached ? ' · ' + fmtInt(t.cached) + ' cached' : '') + (t.reasoning ? ' · ' + fmtInt(t.reasoning) + ' reasoning' : '') : null],
      ['Estimated cost', s.kind === 'provider' ? (s.cost_usd === undefined ? 'unknown (model not in price table or no usage)' : fmtUsd(s.cost_usd) + (s.price_entry ? ' (' + s.price_entry + ')' : '')) : null],
      ['Module', s.module], ['Callsite', s.callsite ? (s.callsite.file || '?') + ':' + (s.callsite.line || '?') + (s.callsite.function ? ' in ' + s.callsite.function : '') : null],
      ['enh_prompt_id', s.enh_prompt_id], ['auto_enhance_after', s.auto_enhance_after],
      ['Span id', s.span_id], ['Parent span id', s.parent_span_id], ['Trace id', s.trace_id], ['Note', s.anomaly]
    ].filter(function (f) { return f[1] !== undefined && f[1] !== null; });
    var list = el('dl');
    facts.forEach(function (f) { list.appendChild(el('dt', { text: f[0] })); list.appendChild(el('dd', { text: String(f[1]) })); });
    var body = clear(document.getElementById('detail-body'));
    body.appendChild(list);
    if (s.error) { body.appendChild(el('h4', { text: 'Error' })); body.appendChild(el('div', { class: 'error-box', text: s.error })); }
    var blocks = s.kind === 'provider'
      ? payloadBlock('Request', s.request).concat(payloadBlock('Response', s.response))
      : payloadBlock('Args', s.args).concat(payloadBlock('Kwargs', s.kwargs), payloadBlock('Result', s.result));
    blocks.forEach(function (b) { body.appendChild(b); });
    document.getElementById('detail').hidden = false;
    writeFilters();
  }

  function hideDetail() {
    document.getElementById('detail').hidden = true;
    state.selected = -1;
    document.querySelectorAll('.row.selected').forEach(function (r) { r.classList.remove('selected'); });
    writeFilters();
  }

  // ---- wiring --------------------------------------------------------------------------

  function render() {
    var agg = current = aggregate();
    renderCards(agg);
    renderCharts(agg);
    renderTraces(agg);
    renderEnhPrompt();
    var active = ['provider', 'session', 'label'].filter(function (k) { return state[k]; });
    document.getElementById('filter-note').textContent = active.length
      ? 'Filtered by ' + active.map(function (k) { return k + ' = ' + state[k]; }).join(', ') : '';
  }

  function setFilter(key, value) {
    state[key] = value;
    state.tracesShown = TRACES_PER_PAGE;
    buildFilterControls();
    writeFilters();
    render();
  }

  /* Shows what the URL asks for: its filters and, with span=N, that span's details. */
  function applyUrl() {
    readFilters();
    buildFilterControls();
    render();
    if (state.selected >= 0) { showDetail(state.selected); } else { document.getElementById('detail').hidden = true; }
  }

  function init() {
    var meta = DATA.meta;
    document.getElementById('meta').textContent = meta.files.join(', ') + ' · ' + SESSIONS.length + ' session(s) · ' +
      SPANS.length + ' spans · prices as of ' + meta.prices_as_of + ' · ' + meta.tool;
    ['provider', 'session', 'label'].forEach(function (key) {
      document.getElementById('filter-' + key).addEventListener('change', function (e) { setFilter(key, e.target.value); });
    });
    document.getElementById('filter-reset').addEventListener('click', function () {
      state.provider = state.session = state.label = '';
      setFilter('provider', '');
    });
    document.getElementById('traces-more').addEventListener('click', function () {
      state.tracesShown += TRACES_PER_PAGE;
      renderTraces(current);
    });
    document.getElementById('detail-close').addEventListener('click', hideDetail);
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { hideDetail(); } });
    window.addEventListener('hashchange', applyUrl);
    renderSessions();
    applyUrl();
    document.body.setAttribute('data-ready', 'true');
  }

  init();
}());
