// DOM mutations per 2 s while playing rnn3 at 5000 ticks/s, by kind and target (what each
// frame makes the browser restyle, lay out and paint). Usage: node scripts/frame-mutations.mjs [rate]
import { serve, launch, openPlaying } from './playing.mjs';
const rate = Number(process.argv[2] || 4);
const server = await serve();
const browser = await launch();
const { page } = await openPlaying(browser, server, { rate });
const res = await page.evaluate(() => new Promise(r => {
  const agg = {}; let frames = 0;
  const mo = new MutationObserver(ms => { for (const m of ms) { const t = m.target.nodeType === 3 ? ('#text<' + (m.target.parentNode && m.target.parentNode.nodeName) + '.' + (m.target.parentNode && m.target.parentNode.getAttribute && m.target.parentNode.getAttribute('class')) ) : m.target.nodeName + '.' + (m.target.getAttribute('class')||'');
    const k = m.type + ' ' + (m.attributeName || '') + ' ' + t; agg[k] = (agg[k] || 0) + 1; } });
  mo.observe(document.body, { subtree: true, attributes: true, characterData: true, childList: true });
  const f = () => { frames++; requestAnimationFrame(f); }; requestAnimationFrame(f);
  setTimeout(() => { mo.disconnect(); r({ frames, agg }); }, 2000);
}));
console.log('frames', res.frames);
for (const [k, v] of Object.entries(res.agg).sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(String(v).padStart(6), k);
await browser.close(); server.close?.();
process.exit(0);
