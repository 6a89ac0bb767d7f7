// The learning panel end to end: PC and BP trained side by side (engine::learn).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serve, launch, openPage, OUT } from './harness.js';

let server, browser;
before(async () => { server = await serve(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function colourPixels(page, sel, [r, g, b]) {
  return page.$eval(sel, (c, [r, g, b]) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) < 40 && Math.abs(d[i + 1] - g) < 40 && Math.abs(d[i + 2] - b) < 40) n++;
    return n;
  }, [r, g, b]);
}

test('learning: PC and BP both learn XOR from the same start; curves drawn, losses fall', async () => {
  const { page, errors } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#learn-play');
  assert.equal(await page.inputValue('#learn-task'), 'xor');
  const l0pc = Number(await page.getAttribute('#learn-loss-pc', 'data-value'));
  const l0bp = Number(await page.getAttribute('#learn-loss-bp', 'data-value'));
  assert.equal(l0pc, l0bp, 'same initial weights: same initial loss');
  await page.click('#learn-play');
  await page.waitForFunction(() => window.__learn.epoch >= 150, null, { timeout: 20000 });
  const mid = await page.evaluate(() => ({ ...window.__learn }));
  await page.waitForFunction(() => !window.__learn.playing, null, { timeout: 60000 });
  const end = await page.evaluate(() => ({ ...window.__learn }));
  assert.ok(end.epoch >= 1000, `trained ${end.epoch} epochs`);
  const lpc = Number(await page.getAttribute('#learn-loss-pc', 'data-value'));
  const lbp = Number(await page.getAttribute('#learn-loss-bp', 'data-value'));
  assert.ok(mid.lossPc < l0pc && lpc < mid.lossPc, `PC loss falls: ${l0pc} → ${mid.lossPc} → ${lpc}`);
  assert.ok(mid.lossBp < l0bp && lbp < mid.lossBp, `BP loss falls: ${l0bp} → ${mid.lossBp} → ${lbp}`);
  assert.ok(lpc < 0.05 && lbp < 0.05, `both learn XOR: ${lpc}, ${lbp}`);
  assert.ok(end.cosine > 0.9, `cosine ${end.cosine}`);
  // both curves are drawn on the loss chart (orange PC, blue BP: palette::POS / NEG), both
  // regions painted
  assert.ok(await colourPixels(page, '#learn-loss', [0xd8, 0x65, 0x00]) > 100, 'PC curve');
  assert.ok(await colourPixels(page, '#learn-loss', [0x4a, 0x85, 0xe0]) > 100, 'BP curve');
  for (const sel of ['#learn-region-pc', '#learn-region-bp']) {
    assert.ok(await colourPixels(page, sel, [0xd8, 0x65, 0x00]) > 50, `${sel} has class-1 area`);
  }
  await page.locator('.learn-panel').screenshot({ path: path.join(OUT, 'teach-learn-xor.png') });
  // the regression and the moons train too (a few epochs), without blocking
  await page.selectOption('#learn-task', 'sine');
  await page.click('#learn-play');
  await page.waitForFunction(() => window.__learn.epoch >= 100, null, { timeout: 20000 });
  await page.click('#learn-play');
  await page.locator('.learn-panel').screenshot({ path: path.join(OUT, 'teach-learn-sine.png') });
  await page.selectOption('#learn-task', 'moons');
  await page.fill('#learn-seed', '7');
  await page.press('#learn-seed', 'Enter');
  await page.click('#learn-play');
  await page.waitForFunction(() => window.__learn.epoch >= 40, null, { timeout: 30000 });
  await page.click('#learn-play');
  await page.locator('.learn-panel').screenshot({ path: path.join(OUT, 'teach-learn-moons.png') });
  assert.deepEqual(errors, []);
});
