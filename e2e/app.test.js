// The playground end to end: first screen, relaxation, Z-IL exactness, divergence guard, looks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serve, launch, openPage, shot, eventually, OUT } from './harness.js';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const num = (s) => Number.parseFloat(String(s).split(',')[0]);
async function nodeAttr(page, id, attr) {
  return page.getAttribute(`g.node[data-id="${id}"]`, attr);
}
async function noNonFinite(page) {
  const bad = await page.evaluate(() => {
    const hits = [];
    const re = /NaN|Infinity/;
    if (re.test(document.body.innerText)) hits.push('innerText');
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) if (re.test(a.value)) hits.push(`${el.tagName}[${a.name}=${a.value.slice(0, 40)}]`);
    }
    return hits;
  });
  assert.deepEqual(bad, [], 'nothing non-finite is rendered');
}
async function select(page, sel, value) {
  await page.selectOption(sel, value);
}

test('first screen: the paper graph relaxes by itself and the input-side error approaches backprop', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.waitForSelector('g.node[data-id="y4"]');
  for (const id of ['y0', 'y1', 'y2', 'y3', 'y4']) assert.ok(await page.$(`g.node[data-id="${id}"]`), id);
  assert.match(await page.textContent('.intro'), /error/);
  assert.match(await page.textContent('#variant-explain'), /Fixed prediction/);
  const bp = num(await nodeAttr(page, 'y1', 'data-bp'));
  const e0 = num(await nodeAttr(page, 'y1', 'data-eps'));
  // at the start only the output's error equals backprop: only its check shows
  const shown = (id) => page.$eval(`g.node[data-id="${id}"] .match`, (p) => getComputedStyle(p).display !== 'none');
  assert.equal(await shown('y4'), true);
  assert.equal(await shown('y1'), false);
  await page.waitForFunction(() => window.__pc && window.__pc.step >= 40, null, { timeout: 10000 });
  const e1 = num(await nodeAttr(page, 'y1', 'data-eps'));
  assert.ok(Math.abs(e1 - bp) < Math.abs(e0 - bp), `ε_y1 moved toward δ: ${e0} → ${e1} (δ = ${bp})`);
  assert.ok(Number(await page.textContent('#iter')) >= 40);
  await shot(page, 'first-screen');
  // it settles on backprop by itself (fast-forward the rest with Relax)
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 20000 });
  const e2 = num(await nodeAttr(page, 'y1', 'data-eps'));
  assert.ok(Math.abs(e2 - bp) < 1e-6, `settled on backprop: ${e2} vs ${bp}`);
  assert.equal(await page.getAttribute('#status', 'data-status'), 'settled');
  await page.waitForTimeout(400);
  await shot(page, 'settled');
  await noNonFinite(page);
  assert.deepEqual(errors, []);
});

test('keyboard: space pauses, s steps, r resets while the widget has focus', async () => {
  const { page } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#step');
  await page.focus('.app');
  await page.keyboard.press('s');
  await page.keyboard.press('ArrowRight');
  const iter = () => page.textContent('#iter');
  await eventually(iter, '2', { label: '#iter after s, →' });
  await page.keyboard.press('r');
  await eventually(iter, '0', { label: '#iter after r' });
  await page.keyboard.press(' ');
  await page.waitForFunction(() => window.__pc.step > 3);
  await page.keyboard.press(' ');
  assert.equal(await page.evaluate(() => window.__pc.playing), false);
});

test('Z-IL on a levelled preset is exact when finished', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#preset');
  await select(page, '#preset', 'diamond');
  await select(page, '#variant', 'zil');
  assert.match(await page.textContent('#variant-explain'), /Z-IL/);
  await page.click('#play');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 10000 });
  assert.equal(await page.getAttribute('#status', 'data-status'), 'finished');
  const gap = Number.parseFloat(await page.textContent('#gap-overall'));
  assert.ok(Number.isFinite(gap) && gap < 1e-9, `#gap-overall = ${gap}`);
  // every node shows its check (PC equals backprop there), drawn by the stylesheet
  const checks = await page.$$eval('g.node', (gs) => gs.map((g) => [g.getAttribute('data-match'), getComputedStyle(g.querySelector('.match')).display]));
  assert.ok(checks.length > 3 && checks.every(([m, d]) => m === '1' && d !== 'none'), JSON.stringify(checks));
  // and screen readers hear it
  await eventually(() => page.getAttribute('g.node[data-id="x"]', 'aria-label'), /PC equals backprop here/, { label: 'x aria-label' });
  await shot(page, 'zil-diamond');
  assert.deepEqual(errors, []);
});

test('a random start: fixed prediction still reaches backprop, Z-IL is no longer exact, rate 1 forgets it; kept in the link', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#start');
  await select(page, '#preset', 'diamond');
  await select(page, '#start', 'r3');
  await eventually(() => page.evaluate(() => window.__pc.energy > window.__pc.loss * 1.001), true, { label: 'F(0) > L from a random start' });
  assert.match(await page.evaluate(() => location.hash), /init=r3/);
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 10000 });
  assert.ok(await page.evaluate(() => window.__pc.gapOverall) < 1e-5, 'fixed prediction relaxes to backprop from anywhere');
  await select(page, '#variant', 'zil');
  assert.match(await page.textContent('#start-note'), /C1/);
  await page.click('#play');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 10000 });
  assert.equal(await page.getAttribute('#status', 'data-status'), 'finished');
  const zil = Number.parseFloat(await page.textContent('#gap-overall'));
  assert.ok(zil > 1e-3, `Z-IL from a random start is not exact: gap ${zil}`);
  await shot(page, 'random-start-zil');
  await select(page, '#variant', 'fixed_eta1');
  await page.click('#play');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 10000 });
  assert.ok(Number.parseFloat(await page.textContent('#gap-overall')) < 1e-9, 'rate 1 forgets the start');
  // a link reopens the same start; a bad one says what and keeps the default
  const { page: again } = await openPage(browser, `${server.url}#v=1&p=diamond&init=r3&play=0`);
  await again.waitForSelector('#start');
  assert.equal(await again.inputValue('#start'), 'r3');
  const { page: bad } = await openPage(browser, `${server.url}#v=1&init=rr&play=0`);
  await bad.waitForSelector('#alert');
  assert.match(await bad.textContent('#alert'), /start/);
  assert.equal(await bad.inputValue('#start'), 'ff');
  await noNonFinite(page);
  assert.deepEqual(errors, []);
});

test('learning step: after relaxing, θ moves by −α·∂L/∂θ and the loss drops; L and a lesson link too', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#learn');
  assert.equal(await page.textContent('#learn-result'), '');
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 10000 });
  const theta0 = Number(await page.inputValue('#leaf-th'));
  const grad = num(await nodeAttr(page, 'th', 'data-bp'));
  const loss0 = num(await page.textContent('#loss'));
  await page.fill('#lr', '0.5');
  await page.press('#lr', 'Enter');
  await page.click('#learn');
  await eventually(() => page.textContent('#iter'), '0', { label: '#iter after the learning step' });
  // (the field follows its prop in an effect: poll)
  const theta1 = await eventually(async () => Number(await page.inputValue('#leaf-th')),
    (t) => Math.abs(t - (theta0 - 0.5 * grad)) < 1e-6, { label: `θ = ${theta0} − 0.5·${grad}` });
  const loss1 = await eventually(async () => num(await page.textContent('#loss')), (l) => l < loss0, { label: 'loss falls' });
  assert.ok(loss1 < loss0, `loss ${loss0} → ${loss1}`);
  const msg = await page.textContent('#learn-result');
  assert.match(msg, /α = 0\.5/);
  assert.match(msg, /matched backprop's/);
  // L right away: the errors have not relaxed, so the PC gradient is zero and θ stays
  await page.focus('.app');
  await page.keyboard.press('l');
  await eventually(async () => /100 % off/.test(await page.textContent('#learn-result')), true, { label: 'unrelaxed step' });
  assert.equal(Number(await page.inputValue('#leaf-th')), theta1);
  await shot(page, 'learning-step');
  await noNonFinite(page);
  assert.deepEqual(errors, []);
  // a lesson link can hide it
  const { page: lesson } = await openPage(browser, `${server.url}#v=1&hide=learn&play=0`);
  await lesson.waitForSelector('#learn', { state: 'attached' });
  assert.equal(await lesson.isVisible('.learn-step'), false);
  assert.equal(await lesson.isVisible('.leaves'), true);
});

test('releasing the output: every error drains, the charts mark the tick, replay shows it; clamped again, back to backprop', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#clamp-out');
  assert.equal(await page.getAttribute('#clamp-out', 'aria-pressed'), 'true');
  assert.match(await nodeAttr(page, 'y4', 'class'), /\bclamped\b/);
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 10000 });
  const t = await page.evaluate(() => window.__pc.step);
  const e0 = await page.evaluate(() => window.__pc.energy);
  const g0 = await page.evaluate(() => window.__pc.gapOverall);
  assert.ok(e0 > 1e-3 && g0 < 1e-5, `relaxed onto backprop: F ${e0}, gap ${g0}`);
  assert.equal(await page.evaluate(() => window.__pc.released), null);
  // release: nothing changes at this tick; the run goes on from it
  await page.click('#clamp-out');
  await eventually(() => page.evaluate(() => window.__pc.released), t, { label: 'released at the settled tick' });
  assert.equal(await page.getAttribute('#clamp-out', 'aria-pressed'), 'false');
  assert.match(await page.textContent('#clamp-state'), new RegExp(`released at tick ${t}`));
  await eventually(async () => /\breleased\b/.test(await nodeAttr(page, 'y4', 'class')) && !/\bclamped\b/.test(await nodeAttr(page, 'y4', 'class')), true, { label: 'the output looks free' });
  assert.ok(await page.isVisible('.legend .released-demo'), 'the legend explains the dashed border');
  await page.click('#relax');
  await page.waitForFunction((t) => window.__pc.settled && window.__pc.step > t, t, { timeout: 10000 });
  const s = await page.evaluate(() => ({ ...window.__pc }));
  assert.ok(s.energy < 1e-12 * e0, `nothing left to explain: F ${e0} → ${s.energy}`);
  assert.ok(s.gapOverall > 0.05, `PC no longer equals backprop: gap ${s.gapOverall}`);
  for (const id of ['y1', 'y2', 'y3', 'y4']) {
    const eps = num(await nodeAttr(page, id, 'data-eps'));
    assert.ok(Math.abs(eps) < 1e-6, `${id}: ε = ${eps}`);
  }
  for (const c of ['#plot-energy', '#plot-gap']) {
    await eventually(() => page.getAttribute(c, 'data-clamps'), `${t}:free`, { label: `${c} marks the release` });
  }
  await page.locator('.grid').screenshot({ path: path.join(OUT, 'output-released.png') });
  // kept for comparison, the run says it was released
  await page.click('#kept-pin');
  await eventually(() => page.textContent('.kept-key'), new RegExp(`output released at ${t}`), { label: 'kept label' });
  await page.click('#kept-clear');
  // replay: before the release the output is held; at the end it is free again
  const scrub = (k) => page.$eval('#replay', (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, k);
  await scrub(t - 3);
  await eventually(() => page.evaluate(() => window.__pc.released), null, { label: 'held before the release' });
  assert.match(await nodeAttr(page, 'y4', 'class'), /\bclamped\b/);
  assert.ok(await page.evaluate(() => window.__pc.energy) > 0.5 * e0);
  await scrub(s.step);
  await eventually(() => page.evaluate(() => window.__pc.energy), (e) => e < 1e-12 * e0, { label: 'the replayed end is the same' });
  assert.equal(await page.evaluate(() => window.__pc.released), t);
  // C clamps it again: the target pulls and PC relaxes back onto backprop
  await page.focus('.app');
  await page.keyboard.press('c');
  await eventually(() => page.getAttribute('#clamp-out', 'aria-pressed'), 'true', { label: 'clamped again' });
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled && window.__pc.gapOverall < 1e-5, null, { timeout: 10000 });
  await eventually(() => page.getAttribute('#plot-energy', 'data-clamps'), new RegExp(`^${t}:free,\\d+:clamped$`), { label: 'both changes marked' });
  // Reset starts the usual run: clamped from tick 0, nothing marked
  await page.click('#reset');
  await eventually(() => page.getAttribute('#plot-energy', 'data-clamps'), '', { label: 'reset clears the marks' });
  // the exact variants need the clamp: the switch is off with a reason
  await select(page, '#variant', 'zil');
  assert.equal(await page.isDisabled('#clamp-out'), true);
  assert.match(await page.getAttribute('#clamp-out', 'title'), /fixed schedule/);
  await noNonFinite(page);
  assert.deepEqual(errors, []);
  // without reduced motion a settled run goes on by itself when the output is released
  const { page: live, errors: errs2 } = await openPage(browser, server.url);
  await live.waitForFunction(() => window.__pc && window.__pc.settled, null, { timeout: 20000 });
  await live.click('#clamp-out');
  await live.waitForFunction(() => window.__pc.released !== null && window.__pc.settled && window.__pc.energy < 1e-9, null, { timeout: 20000 });
  assert.deepEqual(errs2, []);
  // a lesson link can hide the switch and keep the inputs
  const { page: lesson } = await openPage(browser, `${server.url}#v=1&hide=clamp&play=0`);
  await lesson.waitForSelector('#clamp-out', { state: 'attached' });
  assert.equal(await lesson.isVisible('.clamp-field'), false);
  assert.equal(await lesson.isVisible('.leaves'), true);
});

test('releasing an input under strict PC: the network infers the input that explains the target', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#preset');
  await select(page, '#preset', 'chain');
  assert.equal(await page.isDisabled('#hold-x'), true, 'fixed prediction holds the inputs');
  await select(page, '#variant', 'strict');
  await page.click('#hold-x');
  await eventually(() => page.getAttribute('#hold-x', 'aria-pressed'), 'false', { label: 'x released' });
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 20000 });
  // y = w2·tanh(w1·x) = 0.4 with w1 = 1.5, w2 = −0.9: x = atanh(0.4 / −0.9) / 1.5
  const want = Math.atanh(0.4 / -0.9) / 1.5;
  const x = await eventually(async () => Number(await page.inputValue('#leaf-x')), (v) => Math.abs(v - want) < 1e-4, { label: `x → ${want}` });
  assert.ok(await page.evaluate(() => window.__pc.energy) < 1e-9, 'the target is explained: F ≈ 0');
  assert.match(await nodeAttr(page, 'x', 'class'), /\breleased\b/);
  assert.match(await page.textContent('#inputs-state'), /Released: x\..*no longer measures/);
  assert.match(await page.textContent('#gap-free-note'), /Inferring x: measured against backprop at the data/);
  assert.match(await nodeAttr(page, 'x', 'aria-label'), /moves down the energy's gradient/);
  await shot(page, 'input-released');
  assert.match(await page.evaluate(() => location.hash), /free=x/);
  const { page: again } = await openPage(browser, `${server.url}#v=1&p=chain&var=strict&free=x&play=0`);
  await again.waitForSelector('#hold-x');
  assert.equal(await again.getAttribute('#hold-x', 'aria-pressed'), 'false');
  const { page: bad } = await openPage(browser, `${server.url}#v=1&p=chain&free=x&play=0`);
  await bad.waitForSelector('#alert');
  assert.match(await bad.textContent('#alert'), /free input `x` was refused.*strict PC/);
  // held again: a new run from the data
  await page.click('#hold-x');
  await eventually(async () => Number(await page.inputValue('#leaf-x')), 0.8, { label: 'x back on its data' });
  assert.equal(await page.$('#inputs-state'), null, 'no words when every input is held');
  assert.equal(await page.$('#gap-free-note'), null, 'nor under the gap chart');
  assert.ok(x !== 0.8);
  await noNonFinite(page);
  assert.deepEqual(errors, []);
});

test('a kept run: fixed prediction kept, strict PC run over it; both curves, keys and readout; cleared and dropped with a new graph', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#kept-pin');
  // nothing to keep before a run
  await page.click('#kept-pin');
  await eventually(() => page.textContent('#alert'), /no run to keep/, { label: '#alert' });
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 20000 });
  await page.click('#kept-pin');
  await page.waitForSelector('#kept-clear');
  await select(page, '#variant', 'strict');
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 20000 });
  // both charts draw the kept run's points (the draw code counts them on the canvas)
  await eventually(async () => Number(await page.getAttribute('#plot-gap', 'data-kept')), (n) => n > 50, { label: 'gap chart kept points' });
  assert.ok(Number(await page.getAttribute('#plot-energy', 'data-kept')) > 50);
  assert.equal(await page.locator('.kept-key').count(), 2);
  assert.match(await page.textContent('.kept-key'), /kept: Fixed prediction, η 0\.1, L 0\.6179/);
  const box = await page.locator('#plot-gap').boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  await eventually(() => page.textContent('#readout'), /kept: Fixed prediction, η 0\.1, L 0\.6179 at \d+: F = /, { label: '#readout' });
  await page.locator('.plots-panel').screenshot({ path: path.join(OUT, 'kept-run.png') });
  await page.click('#kept-clear');
  await eventually(async () => Number(await page.getAttribute('#plot-gap', 'data-kept')), 0, { label: 'cleared' });
  assert.equal(await page.locator('.kept-key').count(), 0);
  // a new graph drops it
  await page.click('#kept-pin');
  await page.waitForSelector('#kept-clear');
  await select(page, '#preset', 'chain');
  await page.waitForSelector('#kept-pin');
  assert.deepEqual(errors, []);
});

test('loss landscape: one or two scalar params; the PC step grows onto the backprop step as the errors relax; it follows a learning step', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  const land = async (a) => Number(await page.getAttribute('#plot-land', `data-${a}`));
  await page.waitForSelector('#plot-land');
  // the paper's graph (θ alone): before any tick PC has no gradient for θ
  await eventually(() => land('ratio'), 0, { label: 'ratio at tick 0' });
  assert.match(await page.textContent('#land-readout'), /PC's step is 0 % of backprop's length/);
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 20000 });
  await eventually(() => land('ratio'), (r) => Math.abs(r - 1) < 1e-4, { label: 'ratio settled' });
  assert.equal(await land('cos'), 1);
  await eventually(() => page.textContent('#land-readout'), /PC's step is 100 % of backprop's length, at cosine 1 with it/, { label: '#land-readout' });
  assert.equal(await page.getAttribute('#plot-land', 'data-at'), '2');
  // a learning step moves θ: the landscape recentres on it
  await page.click('#learn');
  await eventually(() => page.getAttribute('#plot-land', 'data-at'), (a) => a !== '2' && Math.abs(Number(a) - 2.0879) < 1e-3, { label: 'data-at after a step' });
  // two params: a plane
  await select(page, '#preset', 'chain');
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 20000 });
  await eventually(() => land('cos'), (c) => c > 1 - 1e-9, { label: 'chain cos' });
  assert.equal((await page.getAttribute('#plot-land', 'data-at')).split(',').length, 2);
  await page.locator('#plot-land').screenshot({ path: path.join(OUT, 'landscape-chain.png') });
  // more params: no picture (it would mislead)
  await select(page, '#preset', 'mlp231');
  await page.waitForFunction(() => !document.querySelector('#plot-land'));
  assert.deepEqual(errors, []);
});

test('an absurd rate trips the guard: alert, paused, nothing non-finite', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.waitForSelector('#rate');
  await page.fill('#rate', '5');
  await page.press('#rate', 'Enter');
  await page.waitForSelector('#alert.show');
  const alert = await page.textContent('#alert');
  assert.match(alert, /stable limit/);
  assert.equal(await page.getAttribute('#alert', 'role'), 'alert');
  assert.equal(await page.evaluate(() => window.__pc.playing), false);
  await page.click('#play');
  await page.waitForTimeout(300);
  await noNonFinite(page);
  await shot(page, 'alert');
  // strict PC at a rate near the bound diverges in the engine: the engine's sentence is shown
  await page.fill('#rate', '0.1');
  await page.press('#rate', 'Enter');
  await page.waitForSelector('#alert:not(.show)', { state: 'attached' });
  assert.equal(await page.evaluate(() => window.__pc.diverged), false);
  // strict PC on the paper graph at a rate below 2 still blows up (its stable range is
  // smaller): the engine refuses the step, the app pauses and says so; nothing non-finite
  await select(page, '#variant', 'strict');
  await page.fill('#rate', '1.9');
  await page.press('#rate', 'Enter');
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.diverged || window.__pc.settled, null, { timeout: 20000 });
  const st = await page.evaluate(() => window.__pc);
  if (st.diverged) assert.match(await page.textContent('#alert'), /paused/);
  await noNonFinite(page);
  await shot(page, 'strict-fast');
  assert.deepEqual(errors, []);
});

test('plots: each canvas is drawn at its laid-out size times the pixel ratio, and refits on resize', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce', deviceScaleFactor: 2 });
  await page.waitForSelector('#plot-grads');
  const sizes = () => page.evaluate(() => ['plot-energy', 'plot-gap', 'plot-grads'].map((id) => {
    const c = document.getElementById(id);
    // the drawn part reaches the right edge of the backing store (the x axis runs to it)
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let right = 0;
    for (let y = 0; y < c.height; y++) for (let x = right; x < c.width; x++) {
      const i = 4 * (y * c.width + x);
      if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) right = Math.max(right, x);
    }
    return { id, w: c.width, h: c.height, cw: c.clientWidth, ch: c.clientHeight, right };
  }));
  const check = (list, label) => {
    for (const s of list) {
      assert.equal(s.w, Math.round(s.cw * 2), `${label} ${s.id}: width ${s.w} for ${s.cw} CSS px at 2x`);
      assert.ok(Math.abs(s.h - 2 * s.ch) <= 2, `${label} ${s.id}: height ${s.h} for ${s.ch} CSS px at 2x`);
      assert.ok(s.right > 0.9 * s.w, `${label} ${s.id}: drawn across the canvas (rightmost ink at ${s.right} of ${s.w})`);
    }
  };
  await eventually(sizes, (l) => l.every((s) => s.w === Math.round(s.cw * 2)), { label: 'fitted' });
  const wide = await sizes();
  check(wide, 'first draw');
  // paused: only the resize itself can refit the charts
  await page.setViewportSize({ width: 900, height: 900 });
  await eventually(sizes, (l) => l[0].cw !== wide[0].cw && l.every((s) => s.w === Math.round(s.cw * 2)), { label: 'refitted' });
  check(await sizes(), 'after resize');
  assert.deepEqual(errors, []);
});

test('hovering a plot shows the values at the nearest iteration', async () => {
  const { page } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#plot-gap');
  for (let i = 0; i < 30; i++) await page.click('#step');
  const box = await page.locator('#plot-gap').boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  await page.waitForFunction(() => /iteration \d+/.test(document.querySelector('#readout').textContent));
  const t = await page.textContent('#readout');
  const k = Number(t.match(/iteration (\d+)/)[1]);
  assert.ok(k > 5 && k < 30, `readout ${t}`);
});

test('looking at a node draws its gap curve bold over the others', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#plot-gap');
  for (let i = 0; i < 30; i++) await page.click('#step');
  await eventually(() => page.getAttribute('#plot-gap', 'data-focus'), '', { label: 'nothing focused' });
  // pixels of y2's own colour (its key's swatch) on the gap chart
  const colour = await page.$eval('#plot-gap', (c) => {
    const keys = [...c.closest('figure').querySelectorAll('.key')];
    const i = keys.find((k) => k.textContent.trim() === 'y2').querySelector('i');
    return getComputedStyle(i).backgroundColor.match(/\d+/g).map(Number);
  });
  const count = () => page.$eval('#plot-gap', (c, [r, g, b]) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) < 12 && Math.abs(d[i + 1] - g) < 12 && Math.abs(d[i + 2] - b) < 12) n++;
    return n;
  }, colour);
  const plain = await count();
  await page.locator('.plots-panel').scrollIntoViewIfNeeded();
  await page.hover('g.node[data-id="y2"] .card');
  await eventually(() => page.getAttribute('#plot-gap', 'data-focus'), 'y2', { label: 'y2 focused' });
  const bold = await eventually(count, (n) => n > 1.5 * plain + 50, { label: `y2's curve drawn bold (${plain} px before)` });
  assert.ok(bold > plain);
  await page.screenshot({ path: path.join(OUT, 'gap-focus-y2.png') });
  await page.mouse.move(2, 2);
  await page.keyboard.press('Escape');
  await eventually(() => page.getAttribute('#plot-gap', 'data-focus'), '', { label: 'focus gone' });
  assert.deepEqual(errors, []);
});

test('every preset renders without overlap; narrow and dark screens look right', async () => {
  const { page, errors } = await openPage(browser, server.url, { viewport: { width: 420, height: 900 }, reducedMotion: 'reduce', colorScheme: 'dark' });
  await page.waitForSelector('#preset');
  const keys = await page.$$eval('#preset option', (os) => os.map((o) => o.value));
  assert.ok(keys.length >= 4);
  for (const k of keys) {
    await select(page, '#preset', k);
    const overlaps = await page.evaluate(() => {
      const r = [...document.querySelectorAll('g.node .card')].map((c) => c.getBoundingClientRect());
      let n = 0;
      for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {
        const a = r[i], b = r[j];
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) n++;
      }
      return n;
    });
    assert.equal(overlaps, 0, `${k}: overlapping nodes`);
  }
  await select(page, '#preset', 'mlp231');
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 20000 });
  await shot(page, 'narrow-dark-mlp');
  await noNonFinite(page);
  assert.deepEqual(errors, []);
});

test('wide graphs: "Readable size" draws the numbers legibly and scrolls sideways; pressed again, the graph fits', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#preset');
  for (const k of ['chain', 'paper']) {
    await select(page, '#preset', k);
    assert.equal(await page.$('#zoom-toggle'), null, `${k} fits legibly: no zoom offered`);
  }
  await select(page, '#preset', 'rnn3');
  await page.click('#relax');
  const look = () => page.evaluate(() => {
    const area = document.querySelector('#graph-area');
    const hs = [...document.querySelectorAll('svg#graph text.num')].map((t) => t.getBoundingClientRect().height);
    const a = document.querySelector('svg#graph').getBoundingClientRect();
    const b = document.querySelector('svg.marks').getBoundingClientRect();
    return { text: Math.min(...hs), scrolls: area.scrollWidth > area.clientWidth + 1,
      aligned: Math.abs(a.left - b.left) < 1 && Math.abs(a.width - b.width) < 1 && Math.abs(a.height - b.height) < 1,
      pressed: document.querySelector('#zoom-toggle').getAttribute('aria-pressed') };
  });
  const fit = await look();
  assert.equal(fit.pressed, 'false');
  assert.ok(fit.text < 8 && !fit.scrolls && fit.aligned, `fitted: ${JSON.stringify(fit)}`);
  await page.click('#zoom-toggle');
  await page.waitForFunction(() => document.querySelector('#zoom-toggle').getAttribute('aria-pressed') === 'true');
  const zoomed = await look();
  assert.ok(zoomed.text >= 9 && zoomed.scrolls && zoomed.aligned, `zoomed: ${JSON.stringify(zoomed)}`);
  // the marks still sit on their cards: h1's unit background and its backprop ring share a centre
  const rowY = await page.evaluate(() => {
    const c = document.querySelector('svg#graph g.node[data-id="h1"] .unit-bg').getBoundingClientRect();
    const d = document.querySelector('svg.marks g.node-marks[data-id="h1"] .ghost').getBoundingClientRect();
    return Math.abs((c.top + c.bottom) / 2 - (d.top + d.bottom) / 2);
  });
  assert.ok(rowY < 1.5, `h1's ring on its row (off by ${rowY} px)`);
  await shot(page, 'zoomed-rnn3');
  // the link keeps it: a copied address opens at the readable size
  await page.waitForFunction(() => /&zoom=1/.test(location.hash));
  const again = await openPage(browser, `${server.url}${await page.evaluate(() => location.hash)}`, { reducedMotion: 'reduce' });
  await again.page.waitForSelector('#zoom-toggle[aria-pressed="true"]');
  await again.page.context().close();
  await page.click('#zoom-toggle');
  await page.waitForFunction(() => document.querySelector('#zoom-toggle').getAttribute('aria-pressed') === 'false');
  const back = await look();
  assert.ok(!back.scrolls && back.aligned, `fitted again: ${JSON.stringify(back)}`);
  assert.ok(!(await page.evaluate(() => location.hash)).includes('zoom'), 'and the link forgets it');
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('two rates: while playing the numbers keep moving without re-rendering the graph; paused, every node shows the engine', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.waitForSelector('g.node[data-id="y4"]');
  await select(page, '#preset', 'rnn3');
  await page.fill('#rate', '0.02');
  await page.press('#rate', 'Enter');
  await page.fill('#speed', '300');
  await page.press('#speed', 'Enter');
  if (!(await page.evaluate(() => window.__pc.playing))) await page.click('#play');
  // the numbers as drawn, all computed nodes
  const texts = () => page.$$eval('svg#graph g.node.computed', (gs) => gs.map((g) =>
    [...g.querySelectorAll('text.num')].map((t) => t.textContent).join(' | ')).join(' || '));
  // they keep changing while playing: three different pictures in a row
  let seen = [await texts()];
  for (let k = 0; k < 3; k++) {
    await page.waitForFunction((before) => [...document.querySelectorAll('svg#graph g.node.computed')].map((g) =>
      [...g.querySelectorAll('text.num')].map((t) => t.textContent).join(' | ')).join(' || ') !== before, seen[seen.length - 1], { timeout: 10000 });
    seen.push(await texts());
  }
  assert.equal(new Set(seen).size, seen.length);
  // neither the page nor the graph's SVG re-renders at the text rate: the live components
  // (counter, stats, scrubber, plots) update several times a second on their own, while the
  // page and the graph's view render at most once, and the numbers behind the picture
  // (data-eps, written with the numbers) still move
  const calls = () => page.evaluate(() => { const s = window.__pc.spans; return [s.frame_page_render?.[1] ?? 0, s.view_graph?.[1] ?? 0, s.frame_text_render?.[1] ?? 0]; });
  const eps = () => page.getAttribute('g.node[data-id="h1"]', 'data-eps');
  const iter = () => page.textContent('#iter');
  const [p0, g0, t0] = await calls();
  const e0 = await eps();
  const i0 = await iter();
  await page.waitForTimeout(1500);
  const [p1, g1, t1] = await calls();
  assert.ok(t1 - t0 >= 5, `text updates in 1.5 s: ${t1 - t0}`);
  assert.ok(p1 - p0 <= 1, `page renders in 1.5 s: ${p1 - p0} (text updates: ${t1 - t0})`);
  assert.ok(g1 - g0 <= 1, `graph renders in 1.5 s: ${g1 - g0} (text updates: ${t1 - t0})`);
  assert.notEqual(await iter(), i0, 'the counter follows the text snapshot');
  assert.notEqual(await eps(), e0, 'data-eps follows the text snapshot');
  // the marks move on frames the page does not render: the discs' radii change between two reads
  const radii = () => page.$$eval('svg.marks circle.est', (cs) => cs.map((c) => c.getAttribute('r')).join(','));
  const r0 = await radii();
  await page.waitForFunction((r) => [...document.querySelectorAll('svg.marks circle.est')].map((c) => c.getAttribute('r')).join(',') !== r, r0);
  await page.click('#play'); // pause
  await page.waitForFunction(() => !window.__pc.playing);
  // paused: every node's ε text is its engine value (data-eps, full precision), rounded to
  // the 2–3 significant digits the picture shows
  await page.waitForFunction(() => [...document.querySelectorAll('svg#graph g.node.computed')].every((g) => {
    const eps = Number.parseFloat(g.getAttribute('data-eps').split(',')[0]);
    const t = [...g.querySelectorAll('text.num')].map((x) => x.textContent).find((x) => x.startsWith('ε'));
    const shown = Number.parseFloat(t.slice(1).trim());
    return Number.isFinite(shown) && Math.abs(shown - eps) <= 0.06 * Math.abs(eps) + 1e-12;
  }), null, { timeout: 5000 });
  // and exactly what a freshly mounted graph shows (the table toggle remounts every node body)
  const paused = await texts();
  await page.click('#table-toggle');
  await page.waitForSelector('#values-table');
  await page.click('#table-toggle');
  await page.waitForSelector('svg#graph g.node.computed');
  await page.waitForFunction(() => document.querySelectorAll('svg#graph text.num').length > 0);
  assert.equal(await texts(), paused, 'no node shows an older snapshot than the others');
  // the rings (backprop targets, sized by the painter) and the data values are there at once
  // in the remounted graph
  const rings = await page.$$eval('svg.marks circle.ghost', (cs) => cs.map((c) => Number.parseFloat(c.getAttribute('r'))));
  assert.ok(rings.length > 0 && rings.every((r) => r >= 1.5), `ring radii ${rings}`);
  assert.ok(await page.$$eval('svg#graph g.node', (gs) => gs.every((g) => g.hasAttribute('data-eps') && g.hasAttribute('data-bp'))));
  // the table view, open while playing, follows the run at the text rate too (the page then
  // renders at that rate)
  await page.click('#table-toggle');
  await page.waitForSelector('#values-table');
  await page.click('#play');
  await page.waitForFunction(() => window.__pc.playing);
  await page.waitForTimeout(300);
  const cells = () => page.$$eval('#values-table td[data-value]', (ts) => ts.map((t) => t.getAttribute('data-value')).join(','));
  const c0 = await cells();
  await eventually(cells, (c) => c !== c0, { label: 'the table follows the run', timeout: 3000 });
  await page.click('#play');
  await page.click('#table-toggle');
  assert.deepEqual(errors, []);
  await page.context().close();
});
