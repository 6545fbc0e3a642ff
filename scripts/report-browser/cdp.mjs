// A small driver for headless Chromium over the DevTools protocol, spoken on a pipe
// (--remote-debugging-pipe: commands on fd 3, replies on fd 4, each message ended by NUL),
// so nothing listens on a port and no npm package is needed. Clicks and typing go through
// Input.* events, as a person's would.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Browser {
  static async launch({ chromium = process.env.CHROMIUM || 'chromium', width = 1400, height = 1000 } = {}) {
    const profile = mkdtempSync(join(tmpdir(), 'aiobs-chromium-'));
    const child = spawn(chromium, [
      '--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
      `--user-data-dir=${profile}`, `--window-size=${width},${height}`, '--hide-scrollbars',
      '--no-first-run', '--no-default-browser-check', '--disable-extensions', 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => { log += d; });
    const browser = new Browser(child, profile, () => log);
    const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(browser, sessionId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  constructor(child, profile, log) {
    this.child = child;
    this.profile = profile;
    this.log = log;
    this.next = 1;
    this.pending = new Map();
    this.listeners = [];
    let buffer = Buffer.alloc(0);
    child.stdio[4].on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      let end;
      while ((end = buffer.indexOf(0)) >= 0) {
        const message = JSON.parse(buffer.subarray(0, end).toString('utf8'));
        buffer = buffer.subarray(end + 1);
        this.dispatch(message);
      }
    });
    child.on('exit', (code) => {
      for (const { reject } of this.pending.values()) { reject(new Error(`chromium exited (${code}): ${log()}`)); }
      this.pending.clear();
    });
  }

  dispatch(message) {
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) { return; }
      if (message.error) { waiter.reject(new Error(`${waiter.method}: ${message.error.message}`)); } else { waiter.resolve(message.result); }
      return;
    }
    for (const listener of this.listeners) { listener(message); }
  }

  send(method, params = {}, sessionId) {
    const id = this.next++;
    const message = { id, method, params };
    if (sessionId) { message.sessionId = sessionId; }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.child.stdio[3].write(JSON.stringify(message) + '\0');
    });
  }

  async close() {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill();
    await exited;
    // Chromium's helper processes can still be writing the profile when the browser process
    // has exited: removing it retries, and a profile left behind is reported, not a failure.
    try {
      rmSync(this.profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    } catch (error) {
      console.error(`could not remove the browser profile ${this.profile}: ${error.message}`);
    }
  }
}

export class Page {
  constructor(browser, sessionId) {
    this.browser = browser;
    this.sessionId = sessionId;
    this.errors = [];
    browser.listeners.push((m) => {
      if (m.sessionId !== sessionId) { return; }
      if (m.method === 'Runtime.exceptionThrown') {
        const d = m.params.exceptionDetails;
        this.errors.push((d.exception && d.exception.description) || d.text);
      }
      if (m.method === 'Runtime.consoleAPICalled' && m.params.type === 'error') {
        this.errors.push(m.params.args.map((a) => a.value ?? a.description).join(' '));
      }
    });
  }

  send(method, params) { return this.browser.send(method, params, this.sessionId); }
  close() { return this.browser.close(); }

  /** Runs `expression` in the page (awaiting a promise) and returns its value. */
  async eval(expression) {
    const { result, exceptionDetails } = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (exceptionDetails) {
      throw new Error(`evaluate failed: ${(exceptionDetails.exception && exceptionDetails.exception.description) || exceptionDetails.text}\n${expression}`);
    }
    return result.value;
  }

  /** Waits until `expression` is truthy in the page; returns its value. */
  async until(expression, what, timeoutMs = 30000) {
    const started = Date.now();
    for (;;) {
      const value = await this.eval(`(function () { try { return ${expression}; } catch (e) { return false; } })()`);
      if (value) { return value; }
      if (Date.now() - started > timeoutMs) { throw new Error(`timed out waiting for ${what || expression}`); }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Opens `url` and waits until the report has rendered. */
  async open(url) {
    await this.send('Page.navigate', { url });
    await this.until(`document.readyState === 'complete' && document.body.getAttribute('data-ready') === 'true' && location.href === ${JSON.stringify(url)}`, `page ${url}`, 120000);
  }

  /** Resolves after the next frame has been laid out and painted. */
  frame() { return this.eval('new Promise(function (r) { requestAnimationFrame(function () { setTimeout(r, 0); }); })'); }

  /** A real mouse click in the middle of the first element matching `selector`. */
  async click(selector) {
    const box = await this.eval(`(function () {
      var node = document.querySelector(${JSON.stringify(selector)});
      if (!node) { return null; }
      node.scrollIntoView({ block: 'center', inline: 'center' });
      var r = node.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    if (!box) { throw new Error(`nothing to click: ${selector}`); }
    for (const type of ['mouseMoved', 'mousePressed', 'mouseReleased']) {
      await this.send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 });
    }
  }

  /** Focuses `selector`, selects what it holds and types `text` over it. */
  async type(selector, text) {
    await this.click(selector);
    await this.eval(`document.querySelector(${JSON.stringify(selector)}).select()`);
    await this.send('Input.insertText', { text });
  }

  /** Chooses `value` in a <select>, as picking it from the list does. */
  async choose(selector, value) {
    await this.eval(`(function () {
      var s = document.querySelector(${JSON.stringify(selector)});
      s.focus();
      s.value = ${JSON.stringify(value)};
      if (s.value !== ${JSON.stringify(value)}) { throw new Error('no option ' + ${JSON.stringify(value)}); }
      s.dispatchEvent(new Event('change', { bubbles: true }));
    })()`);
  }

  async screenshot(path, fullPage = false) {
    const params = { format: 'png' };
    if (fullPage) { params.captureBeyondViewport = true; }
    const { data } = await this.send('Page.captureScreenshot', params);
    writeFileSync(path, Buffer.from(data, 'base64'));
  }
}
