// What the long main-thread tasks contain while playing: Chrome trace (CDP Tracing) for 4 s of
// rnn3 relaxing at full speed; for every top-level task over the threshold on the renderer's
// main thread, the time of its children by kind, and a summary of all tasks by size.
// Usage: node scripts/long-tasks.mjs [--rate 4] [--over 30] [--css '…'] [--init file.js]
// (--init: a script run before the page's own, e.g. to patch an API for an experiment)
import { serve, launch, openPlaying, arg } from './playing.mjs';
const rate = Number(arg('rate', '4'));
const over = Number(arg('over', '30'));
const server = await serve();
const browser = await launch();
const { page, cdp } = await openPlaying(browser, server, { rate, css: arg('css', ''), init: arg('init', '') ? { path: arg('init', '') } : undefined });
const events = [];
cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
await page.waitForTimeout(4000);
await cdp.send('Tracing.end');
await done;
const kicks = await page.evaluate(() => window.__kicks);
const main = events.find((e) => e.name === 'FireAnimationFrame');
const mine = events.filter((e) => e.ph === 'X' && e.pid === main.pid && e.tid === main.tid && e.dur);
const tasks = mine.filter((e) => e.name === 'RunTask').sort((a, b) => a.ts - b.ts);
const kinds = ['FireAnimationFrame', 'FunctionCall', 'TimerFire', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'Commit', 'MinorGC', 'MajorGC'];
const rows = [];
for (const t of tasks) {
  if (t.dur / 1000 < over) continue;
  const kids = mine.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && kinds.includes(e.name));
  const by = {};
  for (const k of kids) by[k.name] = (by[k.name] || 0) + k.dur / 1000;
  rows.push({ ms: +(t.dur / 1000).toFixed(1), ...Object.fromEntries(Object.entries(by).map(([k, v]) => [k, +v.toFixed(1)])) });
}
const busy = tasks.reduce((s, t) => s + t.dur, 0) / 1000;
const frames = mine.filter((e) => e.name === 'FireAnimationFrame').length;
const per = {};
for (const e of mine) if (kinds.includes(e.name)) per[e.name] = (per[e.name] || 0) + e.dur / 1000 / frames;
const perFrame = Object.fromEntries(Object.entries(per).map(([k, v]) => [k, +v.toFixed(2)]));
console.log(JSON.stringify({ rate, kicks, frames, main_busy_ms: Math.round(busy), tasks: tasks.length, over, long: rows.length, per_frame_ms: perFrame }));
if (!process.argv.includes('--quiet')) for (const r of rows) console.log(JSON.stringify(r));
await browser.close();
server.close?.();
process.exit(0);
