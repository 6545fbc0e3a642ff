// Times a (large) HTML report in headless Chromium: opening it until it is drawn, then each
// interaction until the next frame is painted: a filter, a search, a sort by a click on a
// column header, the errors-only box, a call's drawer. Prints one line per measure, the
// median over RUNS; asserts nothing (timings belong to the machine).
//
//   node scripts/report-browser/timing.mjs REPORT.html [RUNS]
import { Browser } from './cdp.mjs';

const [report, runsArg] = process.argv.slice(2);
const runs = Math.max(1, parseInt(runsArg || '3', 10));
const url = `file://${report}`;
setTimeout(() => { console.error('timing: no answer from the browser within 20 minutes'); process.exit(1); }, 1200000).unref();
const page = await Browser.launch();

const rendered = () => page.eval(`+document.body.getAttribute('data-rendered')`);
async function timed(action, done) {
  const started = process.hrtime.bigint();
  await action();
  await page.until(done, 'the interaction', 120000);
  await page.frame();
  return Number(process.hrtime.bigint() - started) / 1e6;
}
async function afterRender(action) {
  const before = await rendered();
  return timed(action, `+document.body.getAttribute('data-rendered') > ${before}`);
}

const results = {};
function record(name, ms) { (results[name] = results[name] || []).push(ms); }

try {
  for (let run = 0; run < runs; run++) {
    await page.send('Page.navigate', { url: 'about:blank' });
    await page.until(`location.href === 'about:blank'`, 'a blank page');
    const started = process.hrtime.bigint();
    await page.open(url);
    await page.frame();
    record('open (until drawn)', Number(process.hrtime.bigint() - started) / 1e6);
    const phases = await page.eval(`(function () {
      var nav = performance.getEntriesByType('navigation')[0];
      var at = function (name) { var m = performance.getEntriesByName(name)[0]; return m ? m.startTime : NaN; };
      return [['  HTML received', nav.responseEnd], ['  HTML parsed up to the script', at('report:script')],
        ['  data JSON parsed', at('report:parsed')], ['  columns typed', at('report:columns')],
        ['  whole-trace facts', at('report:facts')], ['  first view drawn', at('report:drawn')]];
    })()`);
    let previous = 0;
    for (const [name, at] of phases) { record(name + ' (step)', at - previous); previous = at; }
    await page.until(`document.body.getAttribute('data-search-ready') === 'true'`, 'the search index', 120000);
    record('open (until search ready)', Number(process.hrtime.bigint() - started) / 1e6);
    const provider = await page.eval(`document.querySelector('[data-testid="filter-provider"] option:nth-child(2)').value`);
    record(`filter provider=${provider}`, await afterRender(() => page.choose('[data-testid="filter-provider"]', provider)));
    record('filter errors only', await afterRender(() => page.click('[data-testid="filter-errors"]')));
    record('reset filters', await afterRender(() => page.click('[data-testid="filter-reset"]')));
    record('search "item 77"', await afterRender(() => page.eval(`location.hash = 'q=item+77'`)));
    record('clear search', await afterRender(() => page.eval(`location.hash = ''`)));
    record('sort calls by duration (click)', await afterRender(() => page.click('[data-testid="sort-duration"]')));
    record('sort calls by cost (click)', await afterRender(() => page.click('[data-testid="sort-cost"]')));
    record('traces tab, slowest', await afterRender(async () => { await page.click('[data-testid="tab-traces"]'); await page.click('[data-testid="view-slowest"]'); }));
    record('sessions tab', await afterRender(() => page.click('[data-testid="tab-sessions"]')));
    record('open a trace and its drawer (click)', await timed(async () => {
      await page.click('[data-testid="tab-calls"]');
      await page.click('[data-testid="call-row"]');
    }, `document.getElementById('detail-body').getAttribute('data-loaded') === 'true'`));
  }
  const heap = await page.eval('performance.memory ? performance.memory.usedJSHeapSize : 0');
  for (const [name, times] of Object.entries(results)) {
    times.sort((a, b) => a - b);
    console.log(`${name.padEnd(40)} median ${(times[times.length >> 1] / 1000).toFixed(3)} s   (min ${(times[0] / 1000).toFixed(3)} s, max ${(times[times.length - 1] / 1000).toFixed(3)} s, ${times.length} runs)`);
  }
  console.log(`JS heap after the runs: ${(heap / 1e6).toFixed(0)} MB`);
} finally {
  await page.close();
}
