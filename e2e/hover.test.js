// The teaching layer end to end: hover card numbers against the reference vectors, the lens,
// slow motion, dragging an input, typing a parameter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, openPage, shot, eventually, OUT } from './harness.js';
const part = (page, sel, name) => page.locator(sel).screenshot({ path: path.join(OUT, `${name}.png`) });

const here = path.dirname(fileURLToPath(import.meta.url));
const ref = JSON.parse(fs.readFileSync(path.resolve(here, '..', 'tests', 'vectors', 'millidge_numerics.out.json'), 'utf8'));

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const rel = (a, b) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));
const cardNum = async (page, q) => Number(await page.getAttribute(`#card [data-q="${q}"]`, 'data-value'));
const classOf = (page, id) => page.getAttribute(`g.node[data-id="${id}"]`, 'class');

test('hover card: y2 after 5 fixed-prediction steps matches the reference vectors; the lens dims the rest', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('g.node[data-id="y2"]');
  for (let k = 0; k < 5; k++) await page.click('#step');
  await eventually(() => page.textContent('#iter'), '5', { label: '#iter' });
  await page.hover('g.node[data-id="y2"] .card');
  await page.waitForSelector('#card[data-node="y2"]');
  const snap = ref.variants.fixed_pred.find((s) => s.step === 5);
  const v = await cardNum(page, 'v');
  const eps = await cardNum(page, 'eps');
  assert.ok(rel(v, snap.v.y2) < 1e-6, `v_y2 ${v} vs reference ${snap.v.y2}`);
  assert.ok(rel(eps, snap.eps.y2) < 1e-6, `ε_y2 ${eps} vs reference ${snap.eps.y2}`);
  const delta = await cardNum(page, 'delta');
  assert.ok(rel(delta, -ref.bp_grad.y2) < 1e-6, `δ_y2 ${delta} vs reference ${-ref.bp_grad.y2}`);
  // the rule is MathML with the numbers filled in
  assert.equal(await page.evaluate(() => document.querySelector('#card math').namespaceURI), 'http://www.w3.org/1998/Math/MathML');
  assert.match(await page.textContent('#card math'), /Δ/);
  // lens: y2 reads y1 (parent) and t (child) only
  assert.match(await classOf(page, 'y2'), /lens-focus/);
  assert.match(await classOf(page, 'y1'), /lens-near/);
  assert.match(await classOf(page, 't'), /lens-near/);
  for (const id of ['y0', 'th', 'y3', 's', 'y4']) assert.match(await classOf(page, id), /lens-dim/, id);
  await shot(page, 'hover-card');
  await part(page, '.graph-panel', 'hover-card-panel');
  // keyboard: Tab to a node shows its card
  await page.focus('g.node[data-id="th"]');
  await page.waitForSelector('#card[data-node="th"]');
  const ghat = await cardNum(page, 'ghat');
  const snapTh = snap.pc_grad.th;
  assert.ok(rel(ghat, snapTh) < 1e-6, `ĝ_θ ${ghat} vs reference ${snapTh}`);
  await page.keyboard.press('Escape');
  await page.waitForSelector('#card.empty');
  // while playing, an open card keeps following the run (the page renders at the text rate
  // then, although the counter and plots alone would not need it)
  await page.click('g.node[data-id="y2"] .card');
  await page.waitForSelector('#card[data-node="y2"]');
  await page.click('#play');
  // (the first frames change the run's status, which re-renders the page anyway)
  await page.waitForFunction(() => window.__pc.step > 8);
  const eps0 = await cardNum(page, 'eps');
  // within 3 s (≈ 70 ticks: the run is far from settling, which would re-render the page too)
  await eventually(() => cardNum(page, 'eps'), (e) => e !== eps0, { label: 'the card follows the run', timeout: 3000 });
  await page.click('#play');
  await page.waitForFunction(() => !window.__pc.playing);
  const step = await page.evaluate(() => window.__pc.step);
  assert.ok(step > 5, `played to ${step}`);
  await page.click('#card .card-close');
  await page.waitForSelector('#card.empty');
  assert.deepEqual(errors, []);
});

test('slow motion: six phases with captions, the engine in step', async () => {
  // every read after a click or key polls (eventually): under load the re-render can land late
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#slow-start');
  await page.click('#slow-start');
  const phase = () => page.getAttribute('#slowmo', 'data-phase');
  const caption = () => page.textContent('#slow-caption');
  const iter = () => page.textContent('#iter');
  const isPhase = (k) => eventually(phase, k, { label: 'phase' });
  const says = (re) => eventually(caption, re, { label: 'caption' });
  await page.waitForSelector('#slowmo[data-phase="1"]');
  await says(/forward/);
  await page.click('#slow-next');
  await isPhase('2');
  await says(/target/);
  await page.click('#slow-next');
  await isPhase('3');
  await says(/ε_out = y − ŷ/);
  await page.click('#slow-next');
  await isPhase('4');
  await eventually(iter, '1', { label: '#iter' });
  await says(/Tick 1: the error front reached t, s/);
  await shot(page, 'slowmo-phase4');
  await part(page, '#slowmo', 'slowmo-phase4-panel');
  await part(page, '#graph', 'slowmo-phase4-graph');
  // keys while the panel has focus (each press waits for its tick before the next)
  await page.focus('#slowmo');
  await page.keyboard.press('ArrowRight');
  await eventually(iter, '2', { label: '#iter' });
  await says(/Tick 2: the error front reached y2, y3/);
  await page.keyboard.press('ArrowLeft');
  await eventually(iter, '1', { label: '#iter' });
  await page.keyboard.press('ArrowRight');
  await eventually(iter, '2', { label: '#iter' });
  await page.keyboard.press('ArrowRight');
  await says(/Tick 3.*y1/);
  await page.keyboard.press('ArrowRight');
  await isPhase('5');
  await says(/Equilibrium/);
  await eventually(async () => Number(await iter()), (n) => n > 100, { label: '#iter' });
  await shot(page, 'slowmo-phase5');
  const loss0 = Number(await page.textContent('#loss'));
  await page.click('#slow-next');
  await isPhase('6');
  await says(/Δθ = −α ĝ/);
  const loss1 = Number(await eventually(() => page.textContent('#loss'), (l) => Number(l) < loss0, { label: 'loss' }));
  assert.ok(loss1 < loss0, `loss ${loss0} → ${loss1}`);
  await shot(page, 'slowmo-phase6');
  await part(page, '#slowmo', 'slowmo-phase6-panel');
  await page.click('#slow-exit');
  await page.waitForSelector('#slow-caption', { state: 'detached' });
  assert.deepEqual(errors, []);
});

test('direct manipulation: dragging the input changes it and restarts; clicking θ types a value', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('g.node[data-id="y0"]');
  for (let k = 0; k < 4; k++) await page.click('#step');
  await eventually(() => page.textContent('#iter'), '4', { label: '#iter' });
  const v0 = Number(await page.getAttribute('g.node[data-id="y0"]', 'data-v'));
  const box = await page.locator('g.node[data-id="y0"] .card').boundingBox();
  const x = box.x + box.width / 2, y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + 20, y, { steps: 4 });
  await page.mouse.move(x + 40, y, { steps: 4 });
  await page.mouse.up();
  const v1 = Number(await page.getAttribute('g.node[data-id="y0"]', 'data-v'));
  assert.ok(Math.abs(v1 - (v0 + 0.4)) < 0.05, `y0 dragged by 40 px: ${v0} → ${v1}`);
  assert.equal(await page.textContent('#iter'), '0');
  // the target too
  const tb = await page.locator('g.node[data-id="y4"] .card').boundingBox();
  await page.mouse.move(tb.x + tb.width / 2, tb.y + tb.height / 2);
  await page.mouse.down();
  await page.mouse.move(tb.x + tb.width / 2 - 30, tb.y + tb.height / 2, { steps: 5 });
  await page.mouse.up();
  const y4 = Number(await page.getAttribute('g.node[data-id="y4"]', 'data-v'));
  assert.ok(Math.abs(y4 - 0.7) < 0.03, `target dragged to ${y4}`);
  // click θ → inline field; Esc cancels, Enter applies
  await page.click('g.node[data-id="th"] .card');
  await page.waitForSelector('#inline-edit');
  await shot(page, 'inline-edit');
  await part(page, '.graph-wrap', 'inline-edit-graph');
  await page.keyboard.press('Escape');
  assert.equal(await page.$('#inline-edit'), null);
  assert.equal(await page.getAttribute('g.node[data-id="th"]', 'data-v'), '2');
  await page.click('g.node[data-id="th"] .card');
  await page.fill('#inline-edit', '1.8');
  await page.keyboard.press('Enter');
  assert.equal(await page.$('#inline-edit'), null);
  assert.equal(await page.getAttribute('g.node[data-id="th"]', 'data-v'), '1.8');
  assert.equal(await page.textContent('#iter'), '0');
  await shot(page, 'after-manipulation');
  // θ's card previews the learning step with the rate the learning step uses
  await page.fill('#lr', '0.5');
  await page.press('#lr', 'Enter');
  for (let k = 0; k < 6; k++) await page.click('#step');
  await page.hover('g.node[data-id="th"] .card');
  await page.waitForSelector('#card[data-node="th"] [data-q="step"]');
  const ghat = Number(await page.getAttribute('#card [data-q="ghat"]', 'data-value'));
  const step = Number(await page.getAttribute('#card [data-q="step"]', 'data-value'));
  assert.ok(ghat !== 0 && Math.abs(step - -0.5 * ghat) < 1e-12, `Δθ ${step} = −0.5 · ${ghat}`);
  assert.match(await page.textContent('#card [data-q="step"] dt'), /α = 0\.5/);
  assert.deepEqual(errors, []);
});
