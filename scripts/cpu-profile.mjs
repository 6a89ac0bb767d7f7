// Where the main thread's script time goes while playing a preset at full speed: a CDP CPU
// profile (self time per function) at a CPU throttling rate. Function names need a build that
// keeps the wasm name section, e.g. add `-g` to data-wasm-opt-params in a copy of index.html:
//   trunk build --release=true --dist /tmp/profdist index.prof.html
//   PC_DIST=/tmp/profdist node scripts/cpu-profile.mjs [--rate 4] [--preset rnn3] [--seconds 4]
import { serve, launch, arg, openPlaying } from './playing.mjs';

const RATE = Number(arg('rate', '4'));
const PRESET = arg('preset', 'rnn3');
const SECONDS = Number(arg('seconds', '4'));
const TOP = Number(arg('top', '40'));

const server = await serve();
const browser = await launch();
const { page, cdp } = await openPlaying(browser, server, { rate: RATE, preset: PRESET, eta: arg('eta', '0.002') });
await page.waitForTimeout(500);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await cdp.send('Profiler.start');
await page.waitForTimeout(SECONDS * 1000);
const { profile } = await cdp.send('Profiler.stop');
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
let total = 0;
profile.samples.forEach((id, i) => {
  const n = byId.get(id); const d = (dt[i] || 0) / 1000; total += d;
  const name = n.callFrame.functionName || `(${n.callFrame.url.split('/').pop() || 'anon'})`;
  self.set(name, (self.get(name) || 0) + d);
});
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP);
console.log(`total ${total.toFixed(0)} ms over ${SECONDS} s at ${RATE}x, step ${await page.evaluate(() => window.__pc.step)}`);
for (const [name, ms] of rows) console.log(`${ms.toFixed(1).padStart(8)} ms ${(100 * ms / total).toFixed(1).padStart(5)}%  ${name.slice(0, 110)}`);
// grouped: what kind of work (the throttling's stalls show up as "(program)")
const group = (name) => {
  if (/^\((program|idle|garbage collector)\)$/.test(name)) return name;
  if (/^yew::|<yew::|yew::/.test(name)) return 'yew (vdom, diff, components)';
  if (/dlmalloc|__rdl_|__rust_(alloc|dealloc|realloc)|raw_vec|drop_in_place|to_vec|clone/.test(name)) return 'alloc / clone / drop';
  if (/core\[[0-9a-f]+\]::(fmt|num::flt2dec)|fmt::|float_to_decimal|pad_/.test(name)) return 'core::fmt (number formatting)';
  if (/plotters/.test(name)) return 'plotters';
  if (/pc_playground::engine/.test(name)) return 'engine';
  if (/pc_playground::app/.test(name)) return 'app (wasm)';
  if (/^__wbg_|wasm-to-js|js-to-wasm|getStringFromWasm|decode|passStringToWasm|makeMutClosure|encode/.test(name)) return 'wasm-bindgen glue / strings';
  if (/^[a-z][A-Za-z]*$/.test(name)) return 'DOM / canvas natives (' + name + ')';
  return 'other';
};
const groups = new Map();
for (const [name, ms] of self) { const g = group(name).replace(/ \(.*\)$/, (m) => (m.includes('DOM') ? '' : m)); groups.set(g, (groups.get(g) || 0) + ms); }
console.log('--- grouped');
for (const [g, ms] of [...groups.entries()].sort((a, b) => b[1] - a[1])) console.log(`${ms.toFixed(1).padStart(8)} ms ${(100 * ms / total).toFixed(1).padStart(5)}%  ${g}`);
// inclusive time (self + callees) of the functions matching --incl REGEX (default: the app's
// components and the frame handler), counted once per sample
const INCL = new RegExp(arg('incl', 'CompStateInner<[^>]*app::|App as yew|update_inner|publish|fresh_series|GraphView|Plots|Transport|Controls|reconcile'));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
const incl = new Map();
profile.samples.forEach((id, i) => {
  const d = (dt[i] || 0) / 1000; const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur); const name = n.callFrame.functionName;
    if (name && INCL.test(name) && !seen.has(name)) { seen.add(name); incl.set(name, (incl.get(name) || 0) + d); }
  }
});
console.log('--- inclusive (matching --incl)');
for (const [name, ms] of [...incl.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${ms.toFixed(1).padStart(8)} ms ${(100 * ms / total).toFixed(1).padStart(5)}%  ${name.slice(0, Number(arg("width", "150")))}`);
await browser.close();
await server.close();
