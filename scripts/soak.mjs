// Soak test: play the playground at full speed in headless Chromium for a long time and watch
// memory. Every `--interval` seconds (default 30) it samples the wasm linear memory
// (WebAssembly.Memory byteLength, read from Trunk's start event), the JS heap (CDP
// Runtime.getHeapUsage, after a forced GC) and the DOM node / listener counts (CDP
// Performance.getMetrics), then prints one line per sample and, at the end, the least-squares
// slope of each (per minute, warm-up samples excluded) as JSON.
//
//   node scripts/soak.mjs [--minutes 60] [--interval 30] [--dist dist] [--preset rotate|KEY]
//
// The run is kept busy: whenever it settles (it pauses itself) it is reset and played again,
// and with `--preset rotate` (the default) the graph and the variant change every sample, so
// engine sessions are created and dropped all the time. Exit code 1 if a page error happened
// or the DOM ever showed NaN/Infinity. Only 127.0.0.1 is contacted.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../e2e/harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (k, d) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : d; };
const MINUTES = Number(arg('minutes', '60'));
const INTERVAL = Number(arg('interval', '30'));
const ROOT = path.resolve(arg('dist', path.join(here, '..', 'dist')));
const PRESET = arg('preset', 'rotate');
if (!(MINUTES > 0) || !(INTERVAL > 0)) { console.error('--minutes and --interval must be positive'); process.exit(2); }
if (!fs.existsSync(path.join(ROOT, 'index.html'))) { console.error(`no build in ${ROOT}: run ./dev build first`); process.exit(2); }

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml' };
const server = http.createServer((req, res) => {
  let file = path.join(ROOT, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!file.startsWith(ROOT)) { res.writeHead(403); res.end(); return; }
  if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(ROOT, 'index.html');
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
const cdp = await context.newCDPSession(page);
await cdp.send('Performance.enable');
await page.addInitScript(() => {
  addEventListener('TrunkApplicationStarted', (e) => { window.__wasmMemory = e.detail?.wasm?.memory; });
});
await page.goto(url);
await page.waitForSelector('g.node');
const presets = await page.$$eval('#preset option', (os) => os.map((o) => o.value));
const variants = await page.$$eval('#variant option', (os) => os.map((o) => o.value));
await page.fill('#speed', '5000');
await page.press('#speed', 'Enter');
if (PRESET !== 'rotate') await page.selectOption('#preset', PRESET);
await page.evaluate(() => {
  const kick = () => {
    const pc = window.__pc;
    if (!pc || pc.playing) return;
    if (pc.settled || pc.diverged || pc.status === 'finished') document.querySelector('#reset').click();
    document.querySelector('#play').click();
  };
  kick();
  window.__soakKicker = setInterval(kick, 50);
});

async function sample(t0) {
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  const heap = await cdp.send('Runtime.getHeapUsage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  const page_ = await page.evaluate(() => ({
    wasm: window.__wasmMemory ? window.__wasmMemory.buffer.byteLength : null,
    step: window.__pc?.step ?? null,
    preset: window.__pc?.preset ?? null,
    variant: window.__pc?.variant ?? null,
    nonFinite: /NaN|Infinity/.test(document.body.innerText),
  }));
  return {
    minute: +((Date.now() - t0) / 60000).toFixed(2),
    wasm_bytes: page_.wasm,
    js_heap_used: heap.usedSize,
    js_heap_total: heap.totalSize,
    dom_nodes: m.Nodes,
    listeners: m.JSEventListeners,
    preset: page_.preset,
    variant: page_.variant,
    step: page_.step,
    non_finite: page_.nonFinite,
  };
}

function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; }
  return sxx > 0 ? sxy / sxx : 0;
}

const t0 = Date.now();
const samples = [await sample(t0)];
console.log(JSON.stringify(samples[0]));
let k = 0;
while (Date.now() - t0 < MINUTES * 60000) {
  await page.waitForTimeout(Math.min(INTERVAL * 1000, MINUTES * 60000 - (Date.now() - t0) + 10));
  if (PRESET === 'rotate') {
    k++;
    await page.selectOption('#preset', presets[k % presets.length]);
    await page.selectOption('#variant', variants[Math.floor(k / presets.length) % variants.length]);
  }
  const s = await sample(t0);
  samples.push(s);
  console.log(JSON.stringify(s));
}
const ticksTotal = await page.evaluate(() => window.__pc?.step ?? 0);
await page.evaluate(() => clearInterval(window.__soakKicker));
await browser.close();
await new Promise((r) => server.close(r));

// Warm-up: with --preset rotate, the first round through every graph (the allocator grows to
// the largest graph once); else the first two samples. Left out of the fit.
const warm = PRESET === 'rotate' ? presets.length : 2;
const fit = samples.length > warm + 2 ? samples.slice(warm) : samples;
const xs = fit.map((s) => s.minute);
const per = (key) => +slope(xs, fit.map((s) => s[key] ?? 0)).toFixed(1);
const first = samples[0], last = samples[samples.length - 1];
const summary = {
  minutes: MINUTES,
  interval_s: INTERVAL,
  samples: samples.length,
  warm_up_samples: samples.length > warm + 2 ? warm : 0,
  wasm_bytes: { first: first.wasm_bytes, last: last.wasm_bytes, max: Math.max(...samples.map((s) => s.wasm_bytes ?? 0)), slope_per_min: per('wasm_bytes') },
  js_heap_used: { first: first.js_heap_used, last: last.js_heap_used, max: Math.max(...samples.map((s) => s.js_heap_used)), slope_per_min: per('js_heap_used') },
  dom_nodes: { first: first.dom_nodes, last: last.dom_nodes, slope_per_min: per('dom_nodes') },
  listeners: { first: first.listeners, last: last.listeners, slope_per_min: per('listeners') },
  non_finite_seen: samples.some((s) => s.non_finite),
  page_errors: errors.slice(0, 10),
  last_step: ticksTotal,
};
console.log(JSON.stringify(summary, null, 1));
process.exit(errors.length || summary.non_finite_seen ? 1 : 0);
