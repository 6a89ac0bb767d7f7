// Frame-time budget of the playground, measured in headless Chromium against dist/.
//   node scripts/perf.mjs [--preset rnn3] [--seconds 6] [--rates 1,4] [--eta 0.002] [--css '…'] [--warmup MS]
// For each CPU throttling rate (1× and 4×): loads the page, picks the preset, sets the speed to
// the maximum, plays, and records requestAnimationFrame intervals and long tasks (> 50 ms) for
// the given seconds. Also: time from navigation to the first graph drawn, and the gzip size of
// everything the page downloads. Prints a JSON summary (medians / p95 / max).
import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { DIST } from '../e2e/harness.js';
import { serve, launch, arg, openPlaying } from './playing.mjs';
const PRESET = arg('preset', 'rnn3');
const SECONDS = Number(arg('seconds', '6'));
// --css 'selector { … }': extra CSS injected before playing (experiments: what does a part cost?)
const CSS = arg('css', '');
// The inference rate while measuring: small, so the graph keeps relaxing (every mark moves on
// every frame) instead of settling and being reset by the kicker below every few frames.
const ETA = arg('eta', '0.002');
const RATES = arg('rates', '1,4').split(',').map(Number);
const WARMUP = arg('warmup', '0');

function quantile(xs, q) { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; }

const server = await serve();
const browser = await launch();
const out = { preset: PRESET, seconds: SECONDS, eta: Number(ETA), runs: [] };

// Download size: every file of dist/ the page loads (html, js, wasm, css), gzip -9.
const sizes = {};
for (const f of fs.readdirSync(DIST)) {
  if (!/\.(html|js|wasm|css|svg)$/.test(f)) continue;
  const b = fs.readFileSync(path.join(DIST, f));
  sizes[f] = { raw: b.length, gzip: zlib.gzipSync(b, { level: 9 }).length };
}
out.sizes = sizes;
out.gzip_total = Object.values(sizes).reduce((s, x) => s + x.gzip, 0);

for (const rate of RATES) {
  const { page, context } = await openPlaying(browser, server, {
    rate, preset: PRESET, eta: ETA, css: CSS,
    init: () => {
      window.__perf = { frames: [], long: [], firstGraph: null };
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__perf.long.push([e.duration, e.startTime]); })
        .observe({ type: 'longtask', buffered: true });
      const mo = new MutationObserver(() => {
        if (!window.__perf.firstGraph && document.querySelector('g.node')) { window.__perf.firstGraph = performance.now(); mo.disconnect(); }
      });
      mo.observe(document, { childList: true, subtree: true });
    },
  });
  const firstGraph = await page.evaluate(() => window.__perf.firstGraph);
  // --warmup MS: let the page play this long after the preset switch before measuring (the
  // switch, the new graph's first layout and paint are a command, not playing)
  await page.waitForTimeout(Number(WARMUP));
  await page.evaluate(() => { window.__perf.long = []; window.__perf.t0 = performance.now(); });
  const frames = await page.evaluate((ms) => new Promise((resolve) => {
    const ts = []; const t0 = performance.now();
    const f = (t) => { ts.push(t); if (t - t0 < ms) requestAnimationFrame(f); else resolve(ts); };
    requestAnimationFrame(f);
  }), SECONDS * 1000);
  const longAll = await page.evaluate(() => window.__perf.long);
  // long tasks that start within KICK_MS after the kicker's reset / play clicks (a command, not
  // playing) are reported apart
  const kicks = await page.evaluate(() => window.__kickTimes || []);
  const KICK_MS = 300;
  const byKick = ([, t]) => kicks.some((k) => t >= k - 5 && t - k < KICK_MS);
  const long = longAll.filter((x) => !byKick(x)).map(([d]) => d);
  const kickLong = longAll.filter(byKick).map(([d]) => Math.round(d));
  const t0 = await page.evaluate(() => window.__perf.t0);
  const longAt = longAll.filter((x) => !byKick(x)).map(([, t]) => Math.round(t - t0));
  // the app's own measurements (window.__pc): smoothed view+plot work per frame, last plot draw
  const own = await page.evaluate(() => ({ render: window.__pc.renderMs, plot: window.__pc.plotMs, spans: window.__pc.spans }));
  const iv = frames.slice(1).map((t, i) => t - frames[i]);
  out.runs.push({
    cpu_throttling: rate,
    first_graph_ms: rate === 1 ? Math.round(firstGraph) : undefined,
    frames: iv.length,
    fps: +(1000 / (iv.reduce((a, b) => a + b, 0) / iv.length)).toFixed(1),
    frame_median_ms: +quantile(iv, 0.5).toFixed(2),
    frame_p95_ms: +quantile(iv, 0.95).toFixed(2),
    frame_max_ms: +Math.max(...iv).toFixed(2),
    long_tasks: long.length,
    restarts: await page.evaluate(() => window.__kicks),
    long_tasks_after_kicks: kickLong,
    longest_task_ms: long.length ? Math.round(Math.max(...long)) : 0,
    long_tasks_at_ms: longAt,
    ticks_per_frame_budget: 'adaptive',
    view_work_ms: own.render === undefined ? undefined : +own.render.toFixed(2),
    last_plot_draw_ms: own.plot === undefined ? undefined : +own.plot.toFixed(2),
    // the app's own spans over the whole page life: ms per frame drawn, calls per frame, ms per call
    spans_per_frame: own.spans && Object.fromEntries(Object.entries(own.spans).map(([k, [ms, n]]) => [k, `${(ms / iv.length).toFixed(2)} ms, ${(n / iv.length).toFixed(2)}× (${(ms / Math.max(n, 1)).toFixed(2)} ms per call)`])),
  });
  await context.close();
}
await browser.close();
await server.close();
console.log(JSON.stringify(out, null, 1));
