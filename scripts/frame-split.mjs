// Per-frame split of the main thread while playing a preset at full speed under CPU throttling:
// Chrome trace totals (script, style, layout, paint) divided by the frames drawn. Optional CSS
// experiments: each --css value is run as its own variant ('' = as built).
//   PC_DIST=dist node scripts/frame-split.mjs [--rate 4] [--preset rnn3] [--seconds 3] [--css '#graph{display:none}']…
import { serve, launch, arg, openPlaying } from './playing.mjs';
const RATE = Number(arg('rate', '4'));
const PRESET = arg('preset', 'rnn3');
const SECONDS = Number(arg('seconds', '3'));
const variants = [''];
process.argv.forEach((a, i) => { if (a === '--css') variants.push(process.argv[i + 1]); });

const server = await serve();
const browser = await launch();
const GROUPS = {
  script: ['FunctionCall', 'TimerFire', 'FireAnimationFrame', 'EventDispatch'],
  style: ['UpdateLayoutTree'], layout: ['Layout'], paint: ['Paint', 'PrePaint', 'Layerize', 'Commit'],
};
for (const css of variants) {
  const { page, context, cdp } = await openPlaying(browser, server, { rate: RATE, preset: PRESET, eta: arg('eta', '0.002'), css });
  await page.waitForTimeout(300);
  const events = [];
  cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline', transferMode: 'ReportEvents' });
  await page.waitForTimeout(SECONDS * 1000);
  await cdp.send('Tracing.end'); await done;
  // only top-level events of the renderer main thread (nested ones would count twice)
  const main = events.find((e) => e.name === 'FireAnimationFrame');
  const tid = main ? main.tid : null;
  // one frame may run several animation-frame callbacks (the app's clock, a chart's turn):
  // callbacks closer than 4 ms belong to the same frame
  const fired = events.filter((e) => e.name === 'FireAnimationFrame' && e.tid === tid).map((e) => e.ts).sort((a, b) => a - b);
  const frames = fired.filter((t, i) => i === 0 || t - fired[i - 1] > 4000).length || 1;
  const tot = {};
  for (const [g, names] of Object.entries(GROUPS)) {
    tot[g] = events.filter((e) => e.ph === 'X' && e.tid === tid && names.includes(e.name)).reduce((s, e) => s + e.dur / 1000, 0) / frames;
  }
  console.log(`${(css || 'as built').padEnd(40)} fps ${(frames / SECONDS).toFixed(1).padStart(5)}  per frame ms: ` +
    Object.entries(tot).map(([g, v]) => `${g} ${v.toFixed(1)}`).join('  '));
  await context.close();
}
await browser.close();
await server.close();
