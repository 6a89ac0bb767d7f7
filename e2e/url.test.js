// State in the URL: links round-trip the full state, bad links fall back with a notice, and the
// share bar builds links, embed snippets and lesson links.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import fs from 'node:fs';
import { serve, launch, openPage, shot } from './harness.js';

let server, browser;
before(async () => { server = await serve({ headers: { 'access-control-allow-origin': '*' } }); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function typeNumber(page, sel, value) {
  await page.fill(sel, String(value));
  await page.dispatchEvent(sel, 'change');
}

test('a link round-trips the full state, without history entries or foreign requests', async () => {
  const { page, errors, requests } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#preset');
  const len0 = await page.evaluate(() => history.length);
  await page.selectOption('#preset', 'diamond');
  await page.selectOption('#variant', 'strict');
  await typeNumber(page, '#rate', 0.05);
  await typeNumber(page, '#speed', 120);
  await typeNumber(page, '#target-0', 2.5);
  await page.selectOption('#scale', 'layer');
  await page.waitForFunction(() => location.hash.includes('scale=layer'));
  assert.match(await page.textContent('.legend'), /scaled per layer/);
  await page.selectOption('#scale', 'global');
  await page.waitForFunction(() => location.hash.includes('scale=global'));
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /^#v=1&p=diamond&var=strict&eta=0\.05&speed=120&t=2\.5&scale=global/);
  assert.equal(await page.evaluate(() => history.length), len0, 'replaceState: no history spam');
  const want = await page.evaluate(() => ({ preset: __pc.preset, variant: __pc.variant, eta: __pc.eta }));

  const b = await openPage(browser, `${server.url}${hash}`, { reducedMotion: 'reduce' });
  await b.page.waitForSelector('g.node');
  const got = await b.page.evaluate(() => ({ preset: __pc.preset, variant: __pc.variant, eta: __pc.eta }));
  assert.deepEqual(got, want);
  assert.equal(await b.page.inputValue('#speed'), '120');
  assert.equal(await b.page.inputValue('#target-0'), '2.5');
  assert.equal(await b.page.inputValue('#scale'), 'global');
  assert.equal(await b.page.evaluate(() => location.hash), hash, 'the loaded link is already canonical');
  assert.equal(await b.page.$eval('#alert', (e) => e.textContent), '');
  assert.deepEqual([...errors, ...b.errors], []);
  const origin = new URL(server.url).origin;
  assert.deepEqual([...requests, ...b.requests].filter((u) => !u.startsWith(origin)), []);
  await b.context.close();
});

test('a malformed or unknown fragment shows a notice and the default graph', async () => {
  const cases = [
    ['#v=1&p=diamond&eta=abc', "The link's rate `abc` is not a number; showing the default graph."],
    ['#v=7&p=chain', "The link's version `v=7` is newer than this playground understands; showing the default graph."],
    ['#v=1&p=nosuchgraph', "The link's graph `nosuchgraph` is not a built-in graph; showing the default graph."],
    ['#v=1&var=quantum', "The link's variant `quantum` is not one of fixed, strict, zil, fixed_eta1; showing the default graph."],
    ['#v=1&g=%%%', "The link's custom graph `%%%` is not valid base64; showing the default graph."],
    ['#totally-not-a-link', "The link's fragment `totally-not-a-link` is not a playground link; showing the default graph."],
  ];
  for (const [frag, notice] of cases) {
    const { page, errors, context } = await openPage(browser, `${server.url}${frag}`, { reducedMotion: 'reduce' });
    await page.waitForSelector('g.node[data-id="y4"]');
    assert.equal(await page.textContent('#alert .alert-text'), notice, frag);
    assert.equal(await page.evaluate(() => __pc.preset), 'paper', frag);
    assert.equal(await page.evaluate(() => __pc.variant), 'fixed', frag);
    if (frag.startsWith('#v=1&p=diamond')) await shot(page, 'bad-link');
    assert.deepEqual(errors, [], frag);
    await context.close();
  }
});

test('a custom graph travels deflated in the link (made by another implementation)', async () => {
  const file = JSON.parse(fs.readFileSync(new URL('../src/engine/presets/chain.json', import.meta.url)));
  file.name = 'my custom chain';
  const g = zlib.deflateRawSync(Buffer.from(JSON.stringify(file))).toString('base64url');
  const { page, errors, context } = await openPage(browser, `${server.url}#v=1&g=${g}&var=zil`, { reducedMotion: 'reduce' });
  await page.waitForSelector('g.node');
  assert.equal(await page.evaluate(() => __pc.preset), 'custom');
  assert.equal(await page.evaluate(() => __pc.variant), 'zil');
  const ids = await page.$$eval('g.node', (ns) => ns.map((n) => n.dataset.id));
  for (const n of file.nodes) assert.ok(ids.includes(n.id), n.id);
  // the app writes its own link back; it opens to the same graph
  await page.selectOption('#variant', 'strict');
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /^#v=1&g=[A-Za-z0-9_-]+&var=strict/);
  const b = await openPage(browser, `${server.url}${hash}`, { reducedMotion: 'reduce' });
  await b.page.waitForSelector('g.node');
  assert.deepEqual(await b.page.$$eval('g.node', (ns) => ns.map((n) => n.dataset.id)), ids);
  assert.equal(await b.page.evaluate(() => __pc.variant), 'strict');
  assert.deepEqual([...errors, ...b.errors], []);
  await b.context.close();
  await context.close();
});

test('Copy link, the embed dialog (snippet + live preview) and the lesson link', async () => {
  const { page, errors, context } = await openPage(browser, `${server.url}#v=1&p=chain`, { reducedMotion: 'reduce' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
  await page.waitForSelector('#copy-link');
  await page.click('#copy-link');
  await page.waitForSelector('.copy-status');
  assert.equal(await page.textContent('.copy-status'), 'Link copied.');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await page.evaluate(() => location.href));

  await page.click('#open-embed');
  await page.waitForSelector('#embed-dialog');
  await page.selectOption('#embed-theme', 'dark');
  await page.uncheck('#embed-panel-controls');
  const code = await page.inputValue('#embed-code');
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/#v=1&amp;p=chain&amp;embed=1&amp;panels=graph,plots&amp;theme=dark"/);
  for (const a of ['width="100%"', 'height="640"', 'title="Predictive Coding Playground"', 'loading="lazy"', 'sandbox="allow-scripts']) {
    assert.ok(code.includes(a), a);
  }
  assert.match(code, /<script src="http:\/\/127\.0\.0\.1:\d+\/host\/pc-embed\.js" defer><\/script>$/);
  const preview = await (await page.waitForSelector('#embed-preview')).contentFrame();
  await preview.waitForFunction(() => window.__pc && document.querySelector('.app.embed'), null, { timeout: 20000 });
  assert.equal(await preview.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.click('#copy-embed');
  await page.waitForFunction(() => document.querySelector('#embed-dialog .copy-status').textContent === 'Copied.');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code);
  await page.waitForTimeout(500);
  await shot(page, 'embed-dialog');
  await page.keyboard.press('Escape');
  assert.equal(await page.$('#embed-dialog'), null);

  await page.click('#open-lesson');
  await page.check('#hide-rate');
  await page.check('#hide-variant');
  const lesson = await page.inputValue('#lesson-link');
  assert.match(lesson, /#v=1&p=chain&hide=variant,rate$/);
  await shot(page, 'lesson-dialog');
  const b = await openPage(browser, lesson, { reducedMotion: 'reduce' });
  await b.page.waitForSelector('#speed');
  assert.equal(await b.page.isVisible('#rate'), false);
  assert.equal(await b.page.isVisible('#variant'), false);
  assert.equal(await b.page.isVisible('#speed'), true);
  assert.equal(await b.page.isVisible('#preset'), true);
  assert.deepEqual([...errors, ...b.errors], []);
  await b.context.close();
  await context.close();
});
