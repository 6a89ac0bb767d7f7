// Where a frame goes while playing rnn3 at 5000 ticks/s: Chrome trace event totals (CDP Tracing,
// devtools.timeline) over 4 s. Usage: node scripts/frame-trace.mjs [cpu-throttling-rate]
import { serve, launch, openPlaying } from './playing.mjs';
const rate = Number(process.argv[2] || 4);
const server = await serve();
const browser = await launch();
const { page, cdp } = await openPlaying(browser, server, { rate });
const events=[]; cdp.on("Tracing.dataCollected", d => events.push(...d.value)); const done = new Promise(r => cdp.once("Tracing.tracingComplete", r));
await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });

await page.waitForTimeout(4000);
await cdp.send('Tracing.end'); await done;
console.log('kicks', await page.evaluate(() => window.__kicks), 'step', await page.evaluate(() => window.__pc.step));
const agg = new Map();
for (const e of events) { if (e.ph !== 'X' || !e.dur) continue; const a = agg.get(e.name) || [0,0]; a[0] += e.dur; a[1]++; agg.set(e.name, a); }
for (const [k, v] of [...agg.entries()].sort((a,b)=>b[1][0]-a[1][0]).slice(0,25)) console.log((v[0]/1000).toFixed(0).padStart(7),'ms', String(v[1]).padStart(6), k);
await browser.close(); server.close?.();
process.exit(0);
