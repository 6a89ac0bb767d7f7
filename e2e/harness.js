// Shared e2e helpers: serve dist/ on an ephemeral 127.0.0.1 port and launch Debian's Chromium.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
// PC_DIST overrides the build served (scripts use it for profiling builds).
export const DIST = path.resolve(process.env.PC_DIST || path.resolve(here, '..', 'dist'));
export const OUT = path.resolve(here, 'out');
fs.mkdirSync(OUT, { recursive: true });

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png',
};

/** Serve dist/ (optionally under a sub-path prefix, with extra headers). Returns {url, close}. */
export async function serve({ prefix = '/', headers = {} } = {}) {
  const server = http.createServer((req, res) => {
    let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!p.startsWith(prefix)) { res.writeHead(404); res.end('not under prefix'); return; }
    p = p.slice(prefix.length);
    let file = path.join(DIST, p);
    if (!file.startsWith(DIST)) { res.writeHead(403); res.end(); return; }
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(DIST, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', ...headers });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}${prefix}`;
  return { url, close: () => new Promise((r) => server.close(r)) };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A page that records console errors, page errors and every requested URL. */
export async function openPage(browser, url, { viewport = { width: 1280, height: 900 }, reducedMotion = 'no-preference', colorScheme = 'light', deviceScaleFactor = 1 } = {}) {
  const context = await browser.newContext({ viewport, reducedMotion, colorScheme, deviceScaleFactor });
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  return { page, context, errors, requests };
}

export function shot(page, name) {
  return page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}

/**
 * Poll `read()` until its value matches `want` (a string/number: equal; a RegExp: matches; a
 * function: returns true), then return the value; fail with the last value after `timeout` ms.
 * Use instead of a fixed sleep or an immediate read after an action: under load the app's
 * re-render can land a few frames later.
 */
export async function eventually(read, want, { timeout = 10000, interval = 25, label = '' } = {}) {
  const ok = (v) => (want instanceof RegExp ? want.test(String(v))
    : typeof want === 'function' ? want(v) : v === want);
  const t0 = Date.now();
  let v;
  for (;;) {
    v = await read();
    if (ok(v)) return v;
    if (Date.now() - t0 > timeout) {
      throw new assert.AssertionError({ message: `${label || 'value'}: ${JSON.stringify(v)} never matched ${want} within ${timeout} ms`, actual: v, expected: String(want) });
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
