import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, shot } from './harness.js';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'";
let server, browser;
before(async () => {
  server = await serve({ headers: { 'content-security-policy': CSP } });
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); });

test('the built app runs under a strict Content-Security-Policy sent as a header', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const resp = await page.goto(server.url);
  assert.equal(resp.headers()['content-security-policy'], CSP);
  await page.waitForSelector('g.node[data-id="y4"]');
  await page.waitForFunction(() => window.__pc && window.__pc.step > 0, null, { timeout: 10000 });
  const violations = await page.evaluate(() => window.__cspViolations);
  assert.deepEqual(violations, [], 'no CSP violations');
  assert.deepEqual(errors, []);
  const inline = await page.evaluate(() => [...document.scripts].filter((s) => !s.src).length);
  assert.equal(inline, 0, 'no inline scripts in the built page');
  await shot(page, 'csp');
  await context.close();
});
