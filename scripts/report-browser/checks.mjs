// The HTML report in headless Chromium, used as a person would: sort, pick views, search,
// filter (and share the URL), open a call and read its chat, follow an error to its trace,
// load deep links. Expected values are computed here from the export files themselves.
//
//   node scripts/report-browser/checks.mjs AIOBS_BIN ARTIFACTS_DIR
//
// Prints one line per check and "N passed, M failed"; exits 1 when any check failed.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser } from './cdp.mjs';

const [aiobs, artifacts] = process.argv.slice(2);
// A browser that stops answering fails the test instead of hanging it.
setTimeout(() => { console.error('FAIL the checks did not finish within 5 minutes'); process.exit(1); }, 300000).unref();
const FIXTURES = 'tests/fixtures/exports';
const PROVIDERS = 'tests/fixtures/providers';
let passed = 0;
let failed = 0;

function check(name, ok, detail) {
  if (ok) { passed += 1; console.log(`ok   ${name}`); } else { failed += 1; console.error(`FAIL ${name}${detail === undefined ? '' : ': ' + detail}`); }
}
function equal(name, actual, expected) {
  check(`${name} = ${JSON.stringify(expected)}`, JSON.stringify(actual) === JSON.stringify(expected), `got ${JSON.stringify(actual)}`);
}

function report(name, files) {
  const out = join(artifacts, `${name}.html`);
  execFileSync(aiobs, ['report', '-o', out, ...files]);
  return `file://${out}`;
}

// ---- the fixture exports, and the truths the page must show -----------------------------

const files = ['pipeline_openai.json', 'gemini_media.json', 'multi_session.json', 'tricky_tree.json'].map((f) => join(FIXTURES, f));
const exports = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
const calls = exports.flatMap((e) => e.events);
const sessions = exports.flatMap((e) => e.sessions);
const slowest = calls.reduce((a, b) => (b.duration_ms > a.duration_ms ? b : a));
const fastest = calls.reduce((a, b) => (b.duration_ms < a.duration_ms ? b : a));
const payloadText = (c) => JSON.stringify([c.request, c.response]).toLowerCase();

// ---- a gallery of calls as the core captures them: tool calls, reasoning, Veo, embeddings

function providerCase(name) {
  return JSON.parse(readFileSync(join(PROVIDERS, name, 'expected.json'), 'utf8'));
}
const gallery = ['openai_chat_tool_calls', 'gemini_generate_thinking', 'gemini_video_sequence', 'openai_embeddings',
  'gemini_generate_function_call', 'openai_chat_retry_1_rate_limited', 'openai_chat_retry_2_succeeds'];
const T = 1767400000;
const galleryEvents = gallery.map((name, k) => {
  const c = providerCase(name);
  return {
    provider: c.provider, api: c.api, request: c.request, response: c.response, error: c.error,
    started_at: T + k, ended_at: T + k + 0.5, duration_ms: 500, callsite: null,
    span_id: `a0000000000000${String(k).padStart(2, '0')}`, parent_span_id: null,
    trace_id: `b00000000000000000000000000000${String(k).padStart(2, '0')}`, session_id: 'gallery-session',
  };
});
const galleryFile = join(artifacts, 'gallery.json');
writeFileSync(galleryFile, JSON.stringify({
  sessions: [{ id: 'gallery-session', name: 'gallery', started_at: T, ended_at: T + 10, meta: {}, labels: { environment: 'test' } }],
  events: galleryEvents, function_events: [], trace_tree: [], enh_prompt_traces: null, generated_at: T + 10, version: 1,
}));

const PAGE = report('report', files);
const GALLERY = report('gallery', [galleryFile]);
const EMPTY = report('empty', [join(FIXTURES, 'empty.json')]);

const page = await Browser.launch();
const text = (testid) => page.eval(`(function () { var n = document.querySelector('[data-testid="${testid}"]'); return n ? n.textContent : null; })()`);
const count = (selector) => page.eval(`document.querySelectorAll(${JSON.stringify(selector)}).length`);
const hash = () => page.eval('decodeURIComponent(location.hash)');
const firstRowSpan = () => page.eval(`(function () { var r = document.querySelector('[data-testid="call-row"]'); return r ? +r.getAttribute('data-span') : null; })()`);
const drawerSpanId = () => page.eval(`(function () {
  var dts = document.querySelectorAll('#detail-body dt');
  for (var k = 0; k < dts.length; k++) { if (dts[k].textContent === 'Span id') { return dts[k].nextSibling.textContent; } }
  return null;
})()`);
const drawerLoaded = () => page.until(`!document.getElementById('detail').hidden && document.getElementById('detail-body').getAttribute('data-loaded') === 'true'`, 'the drawer');
async function cleanRender(name) {
  check(`${name}: rendered`, await page.eval(`document.body.getAttribute('data-ready') === 'true'`));
  const banner = await text('js-error');
  check(`${name}: no script error`, banner === null && page.errors.length === 0, banner || page.errors.join('\n'));
}

try {
  // Overview.
  await page.open(PAGE);
  await cleanRender('overview');
  equal('overview: calls', await text('calls-count'), String(calls.length));
  equal('overview: traces', await text('traces-count'), '18');
  equal('overview: functions', await text('functions-count'), String(exports.reduce((n, e) => n + (e.function_events || []).length, 0)));
  equal('overview: errors', await text('errors-count'), '7');
  equal('overview: five charts over time', await count('[data-testid^="chart-time-"]'), 5);
  equal('overview: a row per call', await count('[data-testid="call-row"]'), calls.length);
  await page.screenshot(join(artifacts, 'report.png'));

  // Sort: the slowest call comes first, then the fastest.
  await page.click('[data-testid="sort-duration"]');
  await page.frame();
  await page.click('[data-testid="call-row"]');
  await drawerLoaded();
  const durationOf = async () => { const id = await drawerSpanId(); const c = calls.find((x) => x.span_id === id); return c ? c.duration_ms : null; };
  equal('sort by duration: the slowest call first', await durationOf(), slowest.duration_ms);
  await page.click('#detail-close');
  await page.click('[data-testid="sort-duration"]');
  await page.frame();
  await page.click('[data-testid="call-row"]');
  await drawerLoaded();
  equal('sort again: the fastest call first', await durationOf(), fastest.duration_ms);
  check('sort is in the URL', (await hash()).includes('sort=duration-asc'), await hash());
  await page.click('#detail-close');

  // Views: most expensive calls, then sessions by cost.
  await page.click('[data-testid="view-expensive"]');
  await page.frame();
  const costs = await page.eval(`Array.from(document.querySelectorAll('[data-testid="call-row"] td:nth-child(7)')).map(function (td) { return td.textContent; })`);
  const priced = costs.filter((c) => c.startsWith('$')).map((c) => parseFloat(c.slice(1)));
  check('most expensive: costs never increase down the table', priced.length > 3 && priced.every((c, k) => k === 0 || c <= priced[k - 1]), costs.join(' '));
  check('most expensive: unpriced calls last', costs.indexOf('unknown') < 0 || costs.slice(costs.indexOf('unknown')).every((c) => c === 'unknown'), costs.join(' '));
  await page.click('[data-testid="tab-sessions"]');
  await page.frame();
  equal('sessions tab: a row per session', await count('[data-testid="session-row"]'), new Set(sessions.map((s) => s.id)).size);
  await page.click('[data-testid="view-expensive"]');
  await page.frame();
  const sessionCosts = await page.eval(`Array.from(document.querySelectorAll('[data-testid="session-row"] td:nth-child(6)')).map(function (td) { return td.textContent; })`);
  const sessionPriced = sessionCosts.map((c) => parseFloat(c.replace(/^[^0-9]*/, ''))).filter((c) => !Number.isNaN(c));
  check('sessions by cost: never increasing', sessionPriced.length > 1 && sessionPriced.every((c, k) => k === 0 || c <= sessionPriced[k - 1]), sessionCosts.join(' '));
  await page.screenshot(join(artifacts, 'report-sessions.png'));

  // Search over prompts and outputs, and over ids.
  await page.open(PAGE);
  await page.type('[data-testid="search"]', 'rest vs graphql');
  await page.until(`/q=rest/.test(location.hash) && document.body.getAttribute('data-search-ready') === 'true'`, 'the search');
  await page.until(`document.querySelector('[data-testid="calls-count"]').textContent === '${calls.filter((c) => payloadText(c).includes('rest vs graphql')).length}'`, 'the search result');
  check('search: prompt text finds its call', true);
  const someSpan = calls[calls.length - 1].span_id;
  await page.type('[data-testid="search"]', someSpan);
  await page.until(`document.querySelector('[data-testid="calls-count"]').textContent === '1'`, 'search by span id');
  check('search: a span id finds its call', true);
  await page.type('[data-testid="search"]', 'no such text anywhere 7c1e');
  await page.until(`document.querySelector('[data-testid="calls-count"]').textContent === '0'`, 'an empty search');
  check('search: unknown text finds nothing', true);

  // Filters, combined, in the URL, and the URL reloaded elsewhere.
  await page.open(PAGE);
  await page.choose('[data-testid="filter-provider"]', 'gemini');
  await page.click('[data-testid="filter-errors"]');
  await page.frame();
  const geminiErrors = calls.filter((c) => c.provider === 'gemini' && c.error).length;
  equal('provider + errors only: calls', await text('calls-count'), String(geminiErrors));
  const shared = await page.eval('location.href');
  check('filters are in the URL', /provider=gemini/.test(shared) && /errors=1/.test(shared), shared);
  await page.open(PAGE + '#provider=gemini');
  equal('#provider=gemini: calls', await text('calls-count'), String(calls.filter((c) => c.provider === 'gemini').length));
  await page.open(shared);
  equal('the shared URL shows the same view', await text('calls-count'), String(geminiErrors));
  equal('the shared URL restores the controls', await page.eval(`document.querySelector('[data-testid="filter-errors"]').checked && document.querySelector('[data-testid="filter-provider"]').value`), 'gemini');
  await page.open(PAGE.replace('.html', '.html?provider=openai'));
  equal('?provider=openai: calls', await text('calls-count'), String(calls.filter((c) => c.provider === 'openai').length));
  await page.open(PAGE + '#label=environment=production');
  equal('#label=environment=production: calls', await text('calls-count'), '11');
  const model = 'gpt-4o-mini';
  await page.open(PAGE + `#model=${model}`);
  equal('#model: calls', await text('calls-count'), String(calls.filter((c) => c.request && c.request.model === model).length));
  const times = calls.map((c) => c.started_at).sort((a, b) => a - b);
  const iso = (t) => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const from = Math.floor(times[3]), to = Math.ceil(times[times.length - 4]);
  await page.open(PAGE + `#from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`);
  equal('time range: calls', await text('calls-count'), String(calls.filter((c) => c.started_at >= from && c.started_at <= to).length));
  await page.open(PAGE);
  await page.click('[data-testid="chart-time-calls"] .bucket');
  await page.frame();
  check('a click on a chart bar sets the time range', /from=.*to=/.test(await hash()), await hash());

  // Errors: grouped, and followed to their trace.
  await page.open(PAGE);
  await page.click('.card.clickable');
  await page.frame();
  check('the errors card shows the errors tab', (await hash()).includes('tab=errors') && (await hash()).includes('errors=1'), await hash());
  const groupCounts = await page.eval(`Array.from(document.querySelectorAll('[data-testid="error-group"] td:nth-child(3)')).map(function (td) { return +td.textContent; })`);
  equal('error groups add up to every error', groupCounts.reduce((a, b) => a + b, 0), 7);
  check('errors are grouped (fewer groups than errors)', groupCounts.length < 7, groupCounts.join(','));
  await page.click('[data-testid="error-group"] [data-testid="span-link"]');
  await drawerLoaded();
  check('the error link opens the failing call', (await text('detail-error')) !== null);
  equal('… in its trace', await page.eval(`(function () {
    var span = document.getElementById('detail-body').getAttribute('data-span');
    return !document.getElementById('trace-panel').hidden && !!document.querySelector('#trace-view [data-span="' + span + '"]');
  })()`), true);
  check('… with its span id in the URL', /span=[0-9a-f]+/.test(await hash()), await hash());
  await page.screenshot(join(artifacts, 'report-error-trace.png'));
  await page.click('#detail-close');
  await page.click('[data-testid="error-filter"]');
  await page.frame();
  equal('"all" of a group filters to it', await text('errors-count'), String(groupCounts[0]));

  // Deep links by span id.
  const nested = exports[3].events.concat(exports[3].function_events || []).find((e) => e.parent_span_id && e.span_id);
  await page.open(PAGE + `#span=${nested.span_id}`);
  await drawerLoaded();
  equal('deep link: the drawer shows the span', await drawerSpanId(), nested.span_id);
  check('deep link: its trace is drawn', !(await page.eval(`document.getElementById('trace-panel').hidden`)));
  await cleanRender('deep link');

  // A call as a chat, and its raw JSON.
  const chatCall = calls.find((c) => c.request && Array.isArray(c.request.messages) && c.response && c.response.text);
  await page.open(PAGE + `#span=${chatCall.span_id}`);
  await drawerLoaded();
  const roles = await page.eval(`Array.from(document.querySelectorAll('[data-testid="chat-message"]')).map(function (m) { return m.getAttribute('data-role'); })`);
  equal('chat: roles in order', roles, chatCall.request.messages.map((m) => m.role).concat(['output']));
  check('chat: the output text', (await page.eval(`document.querySelector('.msg.output').textContent`)).includes(chatCall.response.text));
  await page.click('[data-testid="detail-raw"]');
  await page.until(`document.querySelector('[data-testid="raw-json"]')`, 'the raw JSON');
  check('raw JSON is one click away', (await page.eval(`document.querySelector('[data-testid="raw-json"]').textContent`)).includes(`"model": "${chatCall.request.model}"`));

  // The gallery: tool calls, tool results, reasoning, Veo, embeddings, attempt and headers.
  await page.open(GALLERY);
  await cleanRender('gallery');
  const open = async (k) => { await page.open(GALLERY + `#span=${galleryEvents[k].span_id}`); await drawerLoaded(); };
  await open(0);
  const toolCalls = await page.eval(`Array.from(document.querySelectorAll('[data-testid="chat-tool-call"]')).map(function (n) { return n.textContent; })`);
  check('tool calls with their arguments', toolCalls.some((t) => t.includes('get_weather') && t.includes('Tokyo')) && toolCalls.some((t) => t.includes('Oslo')), toolCalls.join(' | '));
  check('the tool result', (await page.eval(`document.querySelector('[data-role="tool"]').textContent`)).includes('temp_c'));
  equal('the system prompt first', await page.eval(`document.querySelector('[data-testid="chat-message"]').getAttribute('data-role')`), 'system');
  await page.screenshot(join(artifacts, 'report-chat.png'));
  await open(1);
  check('reasoning shown', (await text('chat-reasoning') || '').includes('Locating clauses'));
  await open(2);
  check('Veo: the operation and its video link', (await text('chat-video') || '').includes('operations/') &&
    (await page.eval(`document.querySelector('[data-testid="video-link"]').getAttribute('href')`)).includes('download'));
  await open(3);
  check('embeddings as dimensions', (await text('chat-embedding') || '').includes('1 embedding × 8 dimensions'), await text('chat-embedding'));
  await open(4);
  check('Gemini function call', (await text('chat-tool-call') || '').includes('set_light'));
  // A retried call: request.attempt and the kept response headers.
  await open(5);
  check('the rate-limited first attempt: error and retry-after header', (await text('detail-error') || '').includes('Rate limit') &&
    (await text('response-headers') || '').includes('retry-after'), await text('response-headers'));
  await open(6);
  check('request.attempt shown', (await page.eval(`document.getElementById('detail-body').textContent`)).includes('2 (retry)'));
  check('response.headers shown', (await text('response-headers') || '').includes(galleryEvents[6].response.headers['x-request-id']));
  equal('the calls table marks the retry', await page.eval(`document.querySelector('[data-testid="call-row"][data-span="6"]').textContent.includes('attempt 2')`), true);
  await cleanRender('gallery drawers');

  // An export with nothing in it still makes a page, with every tab empty.
  await page.open(EMPTY);
  equal('empty export: calls', await text('calls-count'), '0');
  for (const tab of ['calls', 'traces', 'sessions', 'errors', 'labels', 'models', 'enh']) {
    await page.click(`[data-testid="tab-${tab}"]`);
  }
  await page.type('[data-testid="search"]', 'anything');
  await page.until(`/q=anything/.test(location.hash)`, 'the search');
  await cleanRender('empty export');
} catch (e) {
  check('the checks ran to the end', false, e.stack);
} finally {
  await page.close();
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
