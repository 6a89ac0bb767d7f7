// The teaching layer end to end: type a graph, typo kept, export/import round trip, replay,
// exports (SVG, PNG, CSV, JSON).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, openPage, shot, OUT, eventually } from './harness.js';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const PROGRAM = `# a two-layer chain
input u = 0.5
param k = 2, m = -1.5
h = tanh(k * u)
z = m * h
target z = 0.3
`;

async function ids(page) {
  return page.$$eval('svg#graph g.node', (gs) => gs.map((g) => g.getAttribute('data-id')));
}
async function values(page) {
  return page.$$eval('svg#graph g.node', (gs) => gs.map((g) => [g.getAttribute('data-id'), g.getAttribute('data-v'), g.getAttribute('data-eps')]));
}
async function download(page, selector) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(OUT, d.suggestedFilename());
  await d.saveAs(file);
  return { file, name: d.suggestedFilename(), text: () => fs.readFileSync(file, 'utf8') };
}
async function scrub(page, k) {
  await page.$eval('#replay', (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, k);
}

test('type a program: the graph shows its nodes; a typo shows line:column and keeps the graph', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#editor');
  await page.fill('#editor', PROGRAM);
  await page.waitForSelector('g.node[data-id="z"]');
  const good = await ids(page);
  for (const id of ['u', 'k', 'm', 'h', 'z']) assert.ok(good.includes(id), `${id} in ${good}`);
  assert.ok(!good.includes('y4'), 'the paper graph is gone');
  assert.match(await page.textContent('#editor-status'), /live: 6 nodes/);
  // under reduced motion the new graph waits for Play (e2e/a11y.test.js: both preferences)
  assert.equal(await page.evaluate(() => window.__pc.playing), false);
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 10000 });
  await shot(page, 'teach-typed');
  // a typo on line 4: the message says where, the old graph stays
  await page.fill('#editor', PROGRAM.replace('tanh(k * u)', 'tanhh(k * u)'));
  await page.waitForSelector('#editor-error');
  const msg = await page.textContent('#editor-error');
  assert.match(msg, /line 4, column 5/);
  assert.match(msg, /tanhh/);
  assert.ok(await page.isVisible('#editor-error'));
  assert.ok(await page.isVisible('.err-band'));
  assert.equal(await page.textContent('.gutter .ln.err'), '4');
  assert.deepEqual(await ids(page), good, 'the old graph stays');
  await page.locator('.editor-panel').screenshot({ path: path.join(OUT, 'teach-typo.png') });
  // the typed graph lives in the link: a reload shows it again, in the graph and the editor
  await page.waitForFunction(() => location.hash.includes('g='));
  await page.reload();
  await page.waitForSelector('g.node[data-id="z"]');
  assert.deepEqual(await ids(page), good, 'the typed graph survives a reload (link)');
  assert.match(await page.inputValue('#editor'), /z = m \* h/);
  // Ctrl+Enter applies a fix at once
  await page.fill('#editor', PROGRAM.replace('z = m * h', 'z = m * h + u'));
  await page.press('#editor', 'Control+Enter');
  await page.waitForSelector('g.node[data-id="mul2"]');
  assert.equal(await page.$('#editor-error'), null);
  // a typed graph without any param: the learning step says there is nothing to learn
  await page.fill('#editor', 'input x = 0.5\ny = tanh(x)\ntarget y = 0.2\n');
  await page.press('#editor', 'Control+Enter');
  await page.waitForFunction(() => !document.querySelector('g.node[data-id="k"]'));
  assert.equal(await page.isDisabled('#learn'), true);
  assert.match(await page.textContent('#learn-result'), /no parameter to learn/);
  assert.deepEqual(errors, []);
});

test('export the graph as JSON and import it back: the same graph', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#editor');
  await page.fill('#editor', PROGRAM);
  await page.waitForSelector('g.node[data-id="z"]');
  await page.fill('#leaf-k', '1.25');
  await page.press('#leaf-k', 'Enter');
  await page.waitForFunction(() => document.querySelector('g.node[data-id="k"]').getAttribute('data-v') === '1.25');
  await page.click('#reset'); // a new graph plays by itself: pause at tick 0
  const before = await values(page);
  const d = await download(page, '#export-json');
  assert.match(d.name, /\.graph\.json$/);
  const json = JSON.parse(d.text());
  assert.equal(json.format, 1);
  assert.equal(json.output, 'z');
  assert.deepEqual(json.nodes.map((n) => n.id), before.map((v) => v[0]));
  assert.equal(json.nodes.find((n) => n.id === 'k').value, 1.25);
  // switch to another graph, then import the file
  await page.selectOption('#preset', 'chain');
  await page.waitForFunction(() => !document.querySelector('g.node[data-id="z"]'));
  await page.setInputFiles('#import-file', d.file);
  await page.waitForSelector('g.node[data-id="z"]');
  await page.click('#reset');
  assert.deepEqual(await values(page), before, 'same node ids and values after the round trip');
  // the editor shows it as expression text
  assert.match(await page.inputValue('#editor'), /param k = 1\.25/);
  // a broken file: the message, the graph kept
  const bad = path.join(OUT, 'broken.graph.json');
  fs.writeFileSync(bad, '{"format": 1, "nodes": [\n  {"id": "x", "op": "input", "value": 1},\n  {"id": "y", "op": "tanhh", "parents": ["x"]}\n], "output": "y", "target": 0}');
  await page.setInputFiles('#import-file', bad);
  await page.waitForSelector('#editor-error');
  assert.match(await page.textContent('#editor-error'), /tanhh/);
  assert.deepEqual(await values(page), before, 'a broken file keeps the graph');
  assert.deepEqual(errors, []);
});

test('replay: scrubbing to tick k shows k and the values of stepping k times', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#step');
  const stepped = [];
  for (let k = 1; k <= 12; k++) {
    await page.click('#step');
    await page.waitForFunction((n) => window.__pc.step === n, k);
    stepped.push(await values(page));
  }
  await page.click('#relax');
  await page.waitForFunction(() => window.__pc.settled, null, { timeout: 10000 });
  const last = await page.evaluate(() => window.__pc.step);
  assert.equal(await page.getAttribute('#replay', 'max'), String(last));
  for (const k of [5, 12, 1, 9]) {
    await scrub(page, k);
    await page.waitForFunction((n) => window.__pc.step === n, k);
    assert.equal(await page.textContent('#iter'), String(k));
    assert.equal(await page.textContent('#replay-label'), `tick ${k} of ${last}`);
    assert.deepEqual(await values(page), stepped[k - 1], `values at tick ${k}`);
  }
  assert.equal(await page.evaluate(() => window.__pc.playing), false, 'scrubbing pauses');
  await page.waitForTimeout(200);
  await page.locator('.plots-panel').screenshot({ path: path.join(OUT, 'teach-replay-plots.png') });
  await shot(page, 'teach-replay');
  // scrub back to the end: the settled state again
  await scrub(page, last);
  await page.waitForFunction((n) => window.__pc.step === n, last);
  assert.deepEqual(errors, []);
});

test('exports: stand-alone SVG, plots PNG, trace CSV and JSON', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#step');
  for (let k = 0; k < 4; k++) await page.click('#step');
  await page.waitForFunction(() => window.__pc.step === 4);
  const svg = await download(page, '#export-svg');
  const s = svg.text();
  assert.match(s, /^<\?xml/);
  assert.match(s, /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(s, /style="[^"]*fill:/);
  assert.ok(!/var\(--/.test(s), 'no CSS variables left');
  // the moving marks (drawn in their own layer on the page) are merged in: a disc with a
  // radius per unit, the edges, the arrow marker
  const discs = (s.match(/<circle[^>]*\sr="[0-9.]+"[^>]*>/g) || []).length;
  const units = await page.$$eval('svg.marks circle.est', (cs) => cs.length);
  assert.ok(units > 0 && discs >= 2 * units, `discs and rings in the file: ${discs} for ${units} units`);
  assert.equal((s.match(/<path[^>]*marker-end/g) || []).length, await page.$$eval('svg.marks path.edge', (p) => p.length), 'every edge');
  assert.match(s, /<marker[^>]*id="arrow"/);
  // it renders on its own
  const view = await browser.newPage();
  await view.setContent(`<body style="margin:0;background:#888"><img id="i" src="data:image/svg+xml;base64,${Buffer.from(s).toString('base64')}"></body>`);
  await view.waitForFunction(() => document.getElementById('i').complete && document.getElementById('i').naturalWidth > 100);
  await view.screenshot({ path: path.join(OUT, 'teach-export-svg.png'), fullPage: true });
  await view.close();
  const png = await download(page, '#export-png');
  const bytes = fs.readFileSync(png.file);
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG file');
  assert.ok(bytes.length > 5000);
  // drawn afresh at a fixed size (3 × a 350-px chart), whatever the panel and the pixel ratio:
  // three charts of 1050 × 420 under captions of 72 px, the gap chart's colour keys in a row
  assert.equal(bytes.readUInt32BE(16), 1050, 'PNG width');
  assert.equal(bytes.readUInt32BE(20), 3 * (420 + 72) + 54, 'PNG height');
  const csv = (await download(page, '#export-csv')).text().trim().split('\n');
  assert.match(csv[0], /^step,energy,loss,gap_nodes,gap_params,eps_y1,/);
  assert.ok(csv[0].includes('delta_y4'));
  assert.equal(csv.length, 1 + 5, 'header + steps 0..4');
  assert.equal(csv[5].split(',')[0], '4');
  const eps = csv[0].split(',').indexOf('eps_t');
  const live = Number((await page.getAttribute('g.node[data-id="t"]', 'data-eps')));
  assert.equal(Number(csv[4 + 1].split(',')[eps]), live, 'CSV ε_t at step 4 = the shown ε_t');
  const js = JSON.parse((await download(page, '#export-trace')).text());
  assert.equal(js.history.length, 5);
  assert.equal(js.history[4].eps.t[0], live);
  assert.equal(js.graph.output, 'y4');
  assert.deepEqual(errors, []);
});

test('animation export: the run so far as an SVG that plays by itself', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#step');
  for (let k = 0; k < 6; k++) await page.click('#step');
  await page.waitForFunction(() => window.__pc.step === 6);
  const d = await download(page, '#export-anim');
  assert.equal(d.name, 'paper.relaxation.svg');
  const s = d.text();
  assert.match(s, /^<\?xml/);
  assert.ok(!/NaN|var\(--/.test(s));
  for (let k = 0; k <= 6; k++) assert.ok(s.includes(`>iteration ${k}<`), `frame ${k}`);
  assert.ok(!s.includes('>iteration 7<'), 'the run so far, not further');
  assert.ok((s.match(/<animate /g) || []).length > 20);
  // it plays: the picture at the start differs from the one a second later
  const view = await browser.newPage({ viewport: { width: 1100, height: 420 } });
  await view.setContent(`<body style="margin:0"><img id="i" src="data:image/svg+xml;base64,${Buffer.from(s).toString('base64')}"></body>`);
  await view.waitForFunction(() => document.getElementById('i').complete && document.getElementById('i').naturalWidth > 100);
  const a = await view.screenshot();
  await view.waitForTimeout(1300);
  const b = await view.screenshot({ path: path.join(OUT, 'teach-export-animation.png') });
  assert.ok(!a.equals(b), 'the animation moves');
  await view.close();
  // without the drawing (table view) it says why instead
  await page.click('#table-toggle');
  await page.click('#export-anim');
  await eventually(() => page.textContent('#alert'), /table view/, { label: '#alert' });
  assert.deepEqual(errors, []);
});

test('downloads and import work under the strict Content-Security-Policy', async () => {
  const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'";
  const csp = await serve({ headers: { 'content-security-policy': CSP } });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(csp.url);
    await page.waitForSelector('#export-json');
    for (const sel of ['#export-json', '#export-svg', '#export-png', '#export-csv', '#export-trace', '#export-anim']) {
      const d = await download(page, sel);
      assert.ok(fs.statSync(d.file).size > 100, `${sel} downloaded ${d.name}`);
    }
    await page.setInputFiles('#import-file', { name: 'g.txt', mimeType: 'text/plain', buffer: Buffer.from(PROGRAM) });
    await page.waitForSelector('g.node[data-id="z"]');
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'no CSP violations');
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await csp.close();
  }
});

test('teach panels on a phone in dark mode: no horizontal overflow, readable', async () => {
  const { page, errors } = await openPage(browser, server.url, { viewport: { width: 390, height: 844 }, colorScheme: 'dark', reducedMotion: 'reduce' });
  await page.waitForSelector('#editor');
  await page.fill('#editor', PROGRAM.replace('tanh(k * u)', 'tanhh(k * u)'));
  await page.waitForSelector('#editor-error');
  const over = await page.evaluate(() => [...document.querySelectorAll('.editor-panel, .export-panel, .learn-panel, .replay')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1).map((el) => el.className));
  assert.deepEqual(over, [], 'nothing sticks out to the right');
  await page.locator('.editor-panel').screenshot({ path: path.join(OUT, 'teach-phone-dark-editor.png') });
  await page.click('#learn-epoch');
  await page.locator('.learn-panel').screenshot({ path: path.join(OUT, 'teach-phone-dark-learn.png') });
  assert.deepEqual(errors, []);
});
