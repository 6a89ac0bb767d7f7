// Robustness end to end: the phone layout (390×844, touch targets ≥ 44 px, no page-wide
// horizontal scroll), hostile text shown as text, and a divergence sweep through the UI
// (presets × variants × rates) with no NaN/Infinity anywhere and a sentence in the alert.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { serve, launch, openPage, shot } from './harness.js';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function noNonFinite(page, where) {
  const bad = await page.evaluate(() => {
    const hits = [];
    const re = /NaN|Infinity/;
    if (re.test(document.body.innerText)) hits.push('innerText');
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) if (re.test(a.value)) hits.push(`${el.tagName}[${a.name}=${a.value.slice(0, 40)}]`);
    }
    for (const el of document.querySelectorAll('input')) if (re.test(el.value)) hits.push(`input#${el.id}.value=${el.value}`);
    return hits;
  });
  assert.deepEqual(bad, [], `${where}: nothing non-finite is rendered`);
}

test('phone 390×844: touch targets ≥ 44 px, no page-wide horizontal scroll, screenshot', async () => {
  const { page, errors, context } = await openPage(browser, server.url, { viewport: { width: 390, height: 844 }, reducedMotion: 'reduce' });
  await page.waitForSelector('g.node[data-id="y4"]');
  const small = await page.evaluate(() => {
    const out = [];
    const targets = document.querySelectorAll('button, select, input:not([type=checkbox]), label.check, summary');
    for (const el of targets) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered
      if (r.height < 44 || r.width < 44) out.push(`${el.tagName}#${el.id || el.className} ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
    return out;
  });
  assert.deepEqual(small, [], 'touch targets under 44 px');
  // the first screen tells the story: the output (on top of the stacked graph, where the
  // error appears first) is on screen without scrolling, right under the transport buttons;
  // the pickers and sliders follow the graph
  const first = await page.evaluate(() => ({
    out: document.querySelector('g.node[data-id="y4"]').getBoundingClientRect().bottom,
    input: document.querySelector('g.node[data-id="y0"]').getBoundingClientRect().top,
    order: [...document.querySelectorAll('#play, #graph-area, #preset, #plot-energy')].map((e) => e.id).join(' '),
  }));
  assert.ok(first.out <= 844, `the output's card ends at ${first.out} px, below the first screen`);
  assert.ok(first.input > first.out, 'the inputs are below the output');
  assert.equal(first.order, 'play graph-area preset plot-energy');
  // a tapped node's card opens on screen (a sheet at the bottom), not below the tall graph,
  // and its × closes it
  await page.click('g.node[data-id="t"]');
  await page.waitForSelector('#card[data-node="t"]');
  const sheet = await page.evaluate(() => {
    const r = document.querySelector('#card').getBoundingClientRect();
    const x = document.querySelector('#card .card-close').getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, close: Math.min(x.width, x.height) };
  });
  assert.ok(sheet.top >= 0 && sheet.bottom <= 844, `the card at ${sheet.top}–${sheet.bottom} px is off screen`);
  assert.ok(sheet.close >= 44, `its close button is ${sheet.close} px`);
  await shot(page, 'phone-390-card');
  await page.click('#card .card-close');
  await page.waitForSelector('#card.empty');
  // the settings are one tap away: the button under the transport scrolls to them and
  // focuses the graph picker (the fragment, which holds the app's state, stays as it was)
  const hash = await page.evaluate(() => location.hash);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.click('#to-settings');
  await page.waitForFunction(() => document.activeElement?.id === 'preset');
  const box = await page.evaluate(() => document.querySelector('#preset').getBoundingClientRect());
  assert.ok(box.top >= 0 && box.bottom <= 844, `the graph picker at ${box.top} px is on screen`);
  assert.equal(await page.evaluate(() => location.hash), hash);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
  await shot(page, 'phone-390');
  await page.click('#table-toggle');
  await page.waitForSelector('#values-table');
  const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow2 <= 0, `table view: the page scrolls sideways by ${overflow2} px`);
  await shot(page, 'phone-390-table');
  assert.deepEqual(errors, []);
  await context.close();
});

test('phone 390×844: every preset\'s graph fits the width (stacked), every node on screen, labels legible', async () => {
  const { page, errors, context } = await openPage(browser, server.url, { viewport: { width: 390, height: 844 }, reducedMotion: 'reduce' });
  await page.waitForSelector('g.node[data-id="y4"]');
  const keys = await page.$$eval('#preset option', (os) => os.map((o) => o.value));
  assert.ok(keys.includes('rnn3') && keys.includes('residual'), keys.join());
  for (const k of keys) {
    await page.selectOption('#preset', k);
    await page.waitForFunction((key) => window.__pc.preset === key && document.querySelector('svg#graph.stacked'), k);
    const m = await page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const nodes = [...document.querySelectorAll('svg#graph g.node')].map((g) => {
        const r = g.getBoundingClientRect();
        return { id: g.getAttribute('data-id'), left: r.left, right: r.right };
      });
      // the rendered size of a node's number text (11.5 px in the picture's units)
      const t = document.querySelector('svg#graph g.node text.num').getBoundingClientRect().height;
      return { vw, nodes, textPx: t, scrollX: document.querySelector('.graph-wrap').scrollWidth - document.querySelector('.graph-wrap').clientWidth };
    });
    const off = m.nodes.filter((n) => n.left < 0 || n.right > m.vw).map((n) => `${n.id} [${Math.round(n.left)}, ${Math.round(n.right)}]`);
    assert.deepEqual(off, [], `${k}: nodes outside the ${m.vw} px viewport`);
    assert.ok(m.scrollX <= 1, `${k}: the graph panel scrolls sideways by ${m.scrollX} px`);
    assert.ok(m.textPx >= 11, `${k}: number text only ${m.textPx.toFixed(1)} px tall`);
    // the edges run in the gutter left of the boxes, each in a lane (vertical run) of its own
    // instead of a bundle of arcs (the geometry is tested natively: layout.rs check_stacked)
    const e = await page.evaluate(() => {
      const left = Math.min(...[...document.querySelectorAll('svg#graph g.node')].map((g) => g.getBoundingClientRect().left));
      const es = [...document.querySelectorAll('svg.marks path[data-from]')].map((p) => p.getBoundingClientRect());
      // two edges whose vertical runs are at one x must not overlap there
      let shared = 0;
      for (let i = 0; i < es.length; i++) {
        for (let j = i + 1; j < es.length; j++) {
          const [a, b] = [es[i], es[j]];
          if (Math.abs(a.left - b.left) < 0.5 && !(a.bottom < b.top || b.bottom < a.top)) shared++;
        }
      }
      return { n: es.length, right: Math.max(...es.map((r) => r.right)) - left, shared };
    });
    assert.ok(e.n > 0 && e.right <= 1, `${k}: ${e.n} edges, reaching ${e.right} px past the boxes' left side`);
    assert.equal(e.shared, 0, `${k}: ${e.shared} pairs of edges share a stretch of lane`);
    if (k === 'paper' || k === 'rnn3') await shot(page, `phone-390-graph-${k}`);
  }
  // wider again (a rotated phone, a resized window): the layered picture comes back, and the
  // settings above it
  await page.setViewportSize({ width: 1100, height: 844 });
  await page.waitForFunction(() => !document.querySelector('svg#graph.stacked'));
  assert.equal(await page.evaluate(() => [...document.querySelectorAll('#play, #preset, #graph-area')].map((e) => e.id).join(' ')), 'play preset graph-area');
  assert.deepEqual(errors, []);
  await context.close();
});

// every card's header (id, then its formula or kind) ends before the check mark's place, in
// the real font: for every preset, and for a custom graph with a long id and a long formula,
// which are cut with "…" (the full texts stay in the tooltip)
test('card headers stop short of the check mark: every preset, long ids and formulas cut', async () => {
  const { page, errors, context } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('g.node[data-id="y4"]');
  const overlaps = () => page.$$eval('svg#graph g.node', (gs) => gs.flatMap((g) => {
    const t = g.querySelector('text.node-id').getBBox();
    const x = Number.parseFloat(g.querySelector('path.match').getAttribute('d').slice(1));
    return t.x + t.width > x + 0.5 ? [`${g.getAttribute('data-id')}: header to ${(t.x + t.width).toFixed(1)}, check at ${x}`] : [];
  }));
  const keys = await page.$$eval('#preset option', (os) => os.map((o) => o.value));
  for (const k of keys) {
    await page.selectOption('#preset', k);
    await page.waitForFunction((key) => window.__pc.preset === key, k);
    assert.deepEqual(await overlaps(), [], k);
  }
  const long = 'activation_of_the_hidden_layer';
  const graph = {
    format: 1, name: 'long names',
    nodes: [
      { id: 'x', op: 'input', value: 0.5 },
      { id: 'weight_of_the_first_layer', op: 'param', value: 0.8 },
      { id: long, op: 'mul', parents: ['weight_of_the_first_layer', 'x'] },
      { id: 'y', op: 'tanh', parents: [long] },
    ],
    output: 'y', target: 0.3, inference_rate: 0.1, steps: 50,
  };
  const g = zlib.deflateRawSync(Buffer.from(JSON.stringify(graph)), { level: 9 }).toString('base64url');
  await page.goto(`${server.url}#v=1&g=${g}`);
  await page.waitForSelector(`g.node[data-id="${long}"]`);
  assert.deepEqual(await overlaps(), [], 'long names');
  const head = await page.textContent(`g.node[data-id="${long}"] text.node-id`);
  assert.ok(head.includes('…') && head.length < long.length, `cut: ${head}`);
  assert.ok((await page.textContent(`g.node[data-id="${long}"] title`)).includes(long), 'the tooltip keeps the full id');
  await shot(page, 'long-names');
  assert.deepEqual(errors, []);
  await context.close();
});

const EVIL = '<img src=x onerror=alert(1)>';

test('hostile text: a node id and a graph name with markup render as text, no dialog', async () => {
  const graph = {
    format: 1, name: `<script>window.__pwned=1</script>${EVIL}`,
    nodes: [
      { id: EVIL, op: 'input', value: 0.8 },
      { id: 'w', op: 'param', value: 1.5 },
      { id: 'y', op: 'mul', parents: ['w', EVIL] },
    ],
    output: 'y', target: 0.4, inference_rate: 0.1, steps: 50,
  };
  // a share link carrying the graph (raw deflate + URL-safe base64, see share_codec)
  const g = zlib.deflateRawSync(Buffer.from(JSON.stringify(graph)), { level: 9 }).toString('base64url');
  const context = await browser.newContext({ reducedMotion: 'reduce' });
  const page = await context.newPage();
  const errors = [];
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${server.url}#v=1&g=${g}`);
  await page.waitForSelector('g.node[data-id="y"]');
  await page.waitForTimeout(500); // an <img src=x> would have failed and fired onerror by now
  assert.equal(dialogs, 0, 'no dialog fired');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.$$eval('img', (x) => x.length), 0, 'no <img> element was created');
  assert.equal(await page.$$eval('script:not([src])', (x) => x.length), 0, 'no inline <script> element');
  // the id is an attribute value and text, literally
  const ids = await page.$$eval('svg#graph g.node', (gs) => gs.map((x) => x.getAttribute('data-id')));
  assert.ok(ids.includes(EVIL), `ids: ${ids}`);
  assert.ok((await page.textContent('svg#graph')).includes(EVIL), 'the id is drawn as text');
  assert.ok((await page.textContent('.graph-head h2')).includes('<script>'), 'the name is shown as text');
  await page.click('#table-toggle');
  assert.ok((await page.textContent('#params-table')).includes(EVIL), 'the table shows the id as text');
  await shot(page, 'hostile-text');
  assert.deepEqual(errors, []);
  await context.close();
});

test('divergence sweep through the UI: presets × variants × rates {1.99, 2.5, 10}', async () => {
  const { page, errors, context } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#preset');
  const presets = await page.$$eval('#preset option', (os) => os.map((o) => o.value));
  const variants = await page.$$eval('#variant option', (os) => os.map((o) => o.value));
  assert.ok(presets.length >= 6 && variants.length === 4);
  const summary = {};
  for (const preset of presets) {
    await page.selectOption('#preset', preset);
    for (const variant of variants) {
      await page.selectOption('#variant', variant);
      const usesRate = !(await page.isDisabled('#rate'));
      for (const rate of usesRate ? [1.99, 2.5, 10] : [null]) {
        const where = `${preset}/${variant}/${rate ?? 'fixed rate'}`;
        await page.click('#reset');
        if (rate !== null) {
          await page.fill('#rate', String(rate));
          await page.press('#rate', 'Enter');
        }
        await page.click('#relax');
        // at most 3 s of turbo: settled, diverged (the guard or the engine) or still going
        await page.waitForFunction(() => !window.__pc.playing, null, { timeout: 3000 }).catch(() => {});
        // pause if still going (check and click in one task: no race with the frame loop)
        await page.evaluate(() => { if (window.__pc.playing) document.querySelector('#play').click(); });
        const st = await page.evaluate(() => window.__pc);
        await noNonFinite(page, where);
        const alert = (await page.textContent('#alert')).trim();
        if (st.diverged) {
          const text = alert.replace(/×$/, '').trim();
          assert.match(text, /^[A-Z][^]{20,}[.)]$/, `${where}: the alert is a sentence: ${text}`);
          assert.ok(await page.isVisible('#alert'), `${where}: the alert is shown`);
          assert.match(text, /paused|rate|diverge|grow/i, `${where}: says what happened: ${text}`);
        }
        summary[st.status] = (summary[st.status] || 0) + 1;
        // back to a sane rate for the next variant
        if (rate !== null) { await page.fill('#rate', '0.1'); await page.press('#rate', 'Enter'); }
      }
    }
  }
  console.log('divergence sweep outcomes:', JSON.stringify(summary));
  assert.ok((summary.diverged || 0) >= presets.length * 2, 'the absurd rates were refused');
  assert.deepEqual(errors, []);
  await context.close();
});
