// Embedding end to end: the host demo page (two sandboxed iframes), auto-height, the postMessage
// API both ways, lazy start, themes and the same-origin-only rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot, OUT } from './harness.js';

let server, browser;
// A sandboxed (opaque-origin) iframe loads the app's module script and wasm with CORS:
// static hosts such as GitHub Pages send this header; the README says so.
before(async () => { server = await serve({ headers: { 'access-control-allow-origin': '*' } }); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

/** The Playwright frame of the iframe with this id. */
async function frameOf(page, id) {
  const el = await page.waitForSelector(`iframe#${id}`);
  const f = await el.contentFrame();
  await f.waitForFunction(() => window.__pc && document.querySelector('.app'), null, { timeout: 20000 });
  return f;
}

/** Wait until the iframe's height equals its document's height (±2 px). */
async function heightsMatch(page, frame, id) {
  // browsers pause rendering (and ResizeObserver) in off-screen cross-origin frames
  await page.evaluate((id) => document.getElementById(id).scrollIntoView({ block: 'nearest' }), id);
  let last;
  for (let i = 0; i < 60; i++) {
    const inner = await frame.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height));
    const outer = await page.evaluate((id) => document.getElementById(id).getBoundingClientRect().height, id);
    last = { inner, outer };
    if (Math.abs(inner - outer) <= 2) return last;
    await page.waitForTimeout(50);
  }
  assert.fail(`iframe ${id} height ${last.outer} never matched its content ${last.inner}`);
}

const post = (page, id, msg) => page.evaluate(({ id, msg }) => {
  document.getElementById(id).contentWindow.postMessage({ ns: 'pc-playground', v: 1, ...msg }, '*');
}, { id, msg });

/** Embed mode shows no page chrome: no intro or theme toggle; the h1 is visually hidden (a page
 * still needs a heading one for screen readers). Runs in the page. */
const chromeHidden = () => {
  const gone = (sel) => getComputedStyle(document.querySelector(sel)).display === 'none';
  const h1 = document.querySelector('.top h1').getBoundingClientRect();
  return gone('.top .intro') && gone('.top .theme-toggle') && h1.width <= 1 && h1.height <= 1;
};

test('the demo page loads two embeds that size themselves, obey the host and talk back', async () => {
  const { page, errors, requests } = await openPage(browser, `${server.url}host/demo.html`);
  const origin = new URL(server.url).origin;
  const w1 = await frameOf(page, 'w1');
  // embed mode: no page chrome, only the graph panel, the "open" link
  assert.ok(await w1.evaluate(chromeHidden), 'no page chrome (the h1 stays for screen readers only)');
  assert.equal(await w1.evaluate(() => getComputedStyle(document.querySelector('.plots-panel')).display), 'none');
  assert.equal(await w1.evaluate(() => getComputedStyle(document.querySelector('#story')).display), 'none');
  // without the controls panel, no control shows: not the replay scrubber either
  assert.equal(await w1.evaluate(() => getComputedStyle(document.querySelector('.replay')).display), 'none');
  const open = await w1.getAttribute('.open-full a', 'href');
  assert.ok(open.startsWith(`${origin}/index.html#`) && !open.includes('embed='), open);
  assert.equal(await w1.getAttribute('.open-full a', 'target'), '_blank');
  await page.waitForFunction(() => window.__demoEvents.some((e) => e.frame === 'w1' && e.type === 'ready'));
  const r1 = await heightsMatch(page, w1, 'w1');
  assert.ok(r1.inner > 200, `w1 is ${r1.inner}px tall`);
  await page.screenshot({ path: `${OUT}/embed-demo-top.png` });

  // commands from the host change the widget; events come back
  await post(page, 'w1', { type: 'reset' });
  await post(page, 'w1', { type: 'step', n: 5 });
  await w1.waitForFunction(() => window.__pc.step === 5);
  assert.equal(await w1.textContent('#iter'), '5');
  await page.waitForFunction(() => window.__demoEvents.some((e) => e.frame === 'w1' && e.type === 'tick' && e.iteration === 5));
  await post(page, 'w1', { type: 'set', variant: 'strict', rate: 0.05 });
  await w1.waitForFunction(() => window.__pc.variant === 'strict' && window.__pc.eta === 0.05);
  await post(page, 'w1', { type: 'learn', rate: 0.2 });
  await w1.waitForFunction(() => /α = 0\.2/.test(document.querySelector('#learn-result').textContent));
  await post(page, 'w1', { type: 'learn', rate: -1 });
  await page.waitForFunction(() => window.__demoEvents.some((e) => e.frame === 'w1' && e.type === 'error' && /Learning rate/.test(e.message)));
  // the host lights nodes (the rest dimmed, like the locality lens) and turns it off again
  await post(page, 'w1', { type: 'highlight', nodes: ['y2', 't'] });
  await w1.waitForFunction(() => document.querySelector('svg#graph').classList.contains('lens-on'));
  assert.deepEqual(await w1.$$eval('g.node.lens-focus', (g) => g.map((n) => n.getAttribute('data-id')).sort()), ['t', 'y2']);
  assert.ok(await w1.$('g.node[data-id="y0"].lens-dim'));
  await post(page, 'w1', { type: 'highlight', nodes: ['nope'] });
  await page.waitForFunction(() => window.__demoEvents.some((e) => e.frame === 'w1' && e.type === 'error' && /'nope'/.test(e.message)));
  assert.equal(await w1.$$eval('g.node.lens-focus', (g) => g.length), 2, 'a bad name changes nothing');
  await post(page, 'w1', { type: 'highlight', nodes: [] });
  await w1.waitForFunction(() => !document.querySelector('svg#graph').classList.contains('lens-on'));
  // the colour scale by message; a bad one is refused and said
  await post(page, 'w1', { type: 'set', scale: 'layer' });
  await w1.waitForFunction(() => /scale=layer/.test(location.hash));
  await post(page, 'w1', { type: 'set', scale: 'huge' });
  await page.waitForFunction(() => window.__demoEvents.some((e) => e.frame === 'w1' && e.type === 'error' && /colour scale `huge`/.test(e.message)));
  assert.match(await w1.evaluate(() => location.hash), /scale=layer/);
  await post(page, 'w1', { type: 'set', scale: 'node' });
  await w1.waitForFunction(() => !/scale=/.test(location.hash));
  // the host releases the output and clamps it again; under Z-IL that is refused and said
  await post(page, 'w1', { type: 'clamp', output: false });
  await w1.waitForFunction(() => window.__pc.released !== null && document.querySelector('g.node[data-id="y4"]').classList.contains('released'));
  await post(page, 'w1', { type: 'clamp', output: true });
  await w1.waitForFunction(() => window.__pc.released === null);
  await post(page, 'w1', { type: 'set', variant: 'zil' });
  await w1.waitForFunction(() => window.__pc.variant === 'zil');
  await post(page, 'w1', { type: 'clamp', output: false });
  await page.waitForFunction(() => window.__demoEvents.some((e) => e.frame === 'w1' && e.type === 'error' && /output clamp/.test(e.message)));
  assert.equal(await w1.evaluate(() => window.__pc.released), null);
  await post(page, 'w1', { type: 'set', variant: 'strict' });
  await w1.waitForFunction(() => window.__pc.variant === 'strict');
  // under strict PC the host can release an input, and hold it again; a wrong name is said
  await post(page, 'w1', { type: 'clamp', input: 'y0', held: false });
  await w1.waitForFunction(() => document.querySelector('g.node[data-id="y0"]').classList.contains('released'));
  await post(page, 'w1', { type: 'clamp', input: 'nope', held: false });
  await page.waitForFunction(() => window.__demoEvents.some((e) => e.frame === 'w1' && e.type === 'error' && /input 'nope'/.test(e.message)));
  await post(page, 'w1', { type: 'clamp', input: 'y0', held: true });
  await w1.waitForFunction(() => document.querySelector('g.node[data-id="y0"]').classList.contains('clamped'));
  // the reader picks a node: the host hears which
  await w1.click('g.node[data-id="y3"] .card');
  await page.waitForFunction(() => window.__demoEvents.some((e) => e.frame === 'w1' && e.type === 'select' && e.node === 'y3'));
  await w1.press('body', 'Escape');
  await post(page, 'w1', { type: 'goto', tick: 12 });
  await w1.waitForFunction(() => window.__pc.step === 12);
  // the fragment follows (replaceState), and the "open" link with it
  assert.match(await w1.evaluate(() => location.hash), /var=strict&eta=0\.05/);
  assert.match(await w1.getAttribute('.open-full a', 'href'), /var=strict/);

  // ignored: wrong namespace, wrong version, malformed payloads, messages not from the parent
  await post(page, 'w1', { ns: 'someone-else', type: 'step', n: 3 });
  await post(page, 'w1', { v: 2, type: 'step', n: 3 });
  await post(page, 'w1', { type: 'step', n: 'many' });
  await post(page, 'w1', { type: 'teleport' });
  await page.evaluate(() => document.getElementById('w1').contentWindow.postMessage('step', '*'));
  await w1.evaluate(() => window.postMessage({ ns: 'pc-playground', v: 1, type: 'step', n: 3 }, '*'));
  await page.waitForTimeout(200);
  assert.equal(await w1.evaluate(() => window.__pc.step), 12);
  await page.waitForFunction(() => window.__demoEvents.some((e) => e.frame === 'w1' && e.type === 'error'));

  // heights follow the content: a narrower page reflows the widget
  await page.setViewportSize({ width: 700, height: 900 });
  const r2 = await heightsMatch(page, w1, 'w1');
  assert.notEqual(r2.inner, r1.inner, 'the height changed with the width');
  // and a panel change (the visitor edits the fragment inside the widget)
  await w1.evaluate(() => { location.hash = '#v=1&embed=1&panels=graph,plots,controls&id=w1&play=0'; });
  await w1.waitForFunction(() => getComputedStyle(document.querySelector('.plots-panel')).display !== 'none');
  const r3 = await heightsMatch(page, w1, 'w1');
  assert.ok(r3.inner > r2.inner + 100, `more panels, taller: ${r2.inner} → ${r3.inner}`);
  await page.setViewportSize({ width: 1280, height: 900 });

  // part 2 scrolled into view: its paragraph drives the second widget
  await page.evaluate(() => document.querySelectorAll('.steps[data-frame="w2"] p')[1].scrollIntoView({ block: 'center' }));
  const w2 = await frameOf(page, 'w2');
  await w2.waitForFunction(() => window.__pc.variant === 'strict', null, { timeout: 10000 });
  await page.waitForTimeout(600);
  await page.screenshot({ path: `${OUT}/embed-demo-part2.png` });
  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:')), [], 'only the page\'s own origin');
});

test('lazy start: an embed below the fold waits, plays when scrolled into view and pauses when scrolled away', async () => {
  const { page, errors } = await openPage(browser, `${server.url}host/demo.html`, { viewport: { width: 1280, height: 800 } });
  const el = await page.waitForSelector('iframe#w2');
  // poll from the host side: an off-screen frame's own rAF-based polling is throttled
  const pc = async () => (await el.contentFrame())?.evaluate(() => window.__pc && { ...window.__pc });
  const until = async (what, ok, ms = 10000) => {
    const t0 = Date.now();
    for (;;) {
      const s = await pc().catch(() => null);
      if (s && ok(s)) return s;
      if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
      await page.waitForTimeout(50);
    }
  };
  // w2 is far below the fold: it loads lazily (or not at all) and does not play
  await page.waitForTimeout(500);
  const s0 = await pc().catch(() => null);
  assert.ok(!s0 || (s0.playing === false && s0.step === 0), `not started off-screen: ${JSON.stringify(s0)}`);
  await el.scrollIntoViewIfNeeded();
  await until('playing in view', (s) => s.playing && s.step > 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  const paused = await until('paused off-screen', (s) => !s.playing);
  await page.waitForTimeout(300);
  assert.equal((await pc()).step, paused.step, 'no ticks off-screen');
  await el.scrollIntoViewIfNeeded();
  await until('playing again', (s) => s.playing);
  assert.deepEqual(errors, []);
});

test('one tag: <pc-playground> writes a sandboxed lazy iframe from its attributes, sized and driven like the others', async () => {
  const { page, errors } = await openPage(browser, `${server.url}host/demo.html`);
  const el = await page.waitForSelector('pc-playground#w3 iframe', { state: 'attached' });
  assert.equal(await el.getAttribute('sandbox'), 'allow-scripts allow-popups allow-popups-to-escape-sandbox');
  assert.equal(await el.getAttribute('loading'), 'lazy');
  const src = await el.getAttribute('src');
  assert.equal(new URL(src).pathname, new URL(`${server.url}index.html`).pathname, 'the playground next to host/');
  assert.match(src, /#v=1&embed=1&p=chain&play=0&panels=graph,controls&hide=preset,explain&id=w3$/);
  await el.scrollIntoViewIfNeeded();
  const f = await el.contentFrame();
  await f.waitForFunction(() => window.__pc && document.querySelector('g.node'), null, { timeout: 20000 });
  assert.equal(await f.evaluate(() => window.__pc.preset), 'chain');
  // the host's API takes the element itself
  await page.evaluate(() => window.PCEmbed.send(document.getElementById('w3'), 'step', { n: 3 }));
  await f.waitForFunction(() => window.__pc.step === 3);
  // auto-height: the iframe takes its content's height (the element asked for 420 px first)
  for (let i = 0; ; i++) {
    const inner = await f.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height));
    const outer = await el.evaluate((e) => e.getBoundingClientRect().height);
    if (Math.abs(inner - outer) <= 2 && outer !== 420) break;
    if (i > 60) assert.fail(`height ${outer} never matched ${inner}`);
    await page.waitForTimeout(50);
  }
  assert.deepEqual(errors, []);
});

test('embed mode themes: light, dark and transparent', async () => {
  for (const [name, frag, scheme] of [
    ['embed-light', 'embed=1&theme=light&panels=graph,plots', 'dark'],
    ['embed-dark', 'embed=1&theme=dark&panels=graph,plots', 'light'],
    ['embed-transparent', 'embed=1&theme=dark&bg=transparent&panels=plots', 'light'],
  ]) {
    // the system scheme is the opposite: the link's theme wins
    const { page, errors, context } = await openPage(browser, `${server.url}index.html#v=1&${frag}&play=0`, { colorScheme: scheme });
    await page.waitForSelector('.app.embed');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const panel = await page.evaluate(() => getComputedStyle(document.querySelector('.plots-panel')).backgroundColor);
    if (name === 'embed-light') assert.equal(panel, 'rgb(255, 255, 255)');
    if (name === 'embed-dark') assert.equal(panel, 'rgb(27, 30, 36)');
    if (name === 'embed-transparent') assert.equal(bg, 'rgba(0, 0, 0, 0)');
    assert.ok(await page.evaluate(chromeHidden), 'no page chrome');
    await page.waitForTimeout(200);
    await shot(page, name);
    assert.deepEqual(errors, []);
    await context.close();
  }
});
