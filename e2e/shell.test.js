import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot, eventually } from './harness.js';

let server, browser;
before(async () => { server = await serve({ prefix: '/some/sub/path/' }); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('the app loads under a sub-path, renders, reacts to a click and requests nothing elsewhere', async () => {
  const { page, errors, requests } = await openPage(browser, server.url, { reducedMotion: 'reduce' });
  await page.waitForSelector('#step');
  const origin = new URL(server.url).origin;
  // reduced motion: starts paused at iteration 0
  assert.equal(await page.textContent('#iter'), '0');
  const painted = await page.evaluate(() => {
    const c = document.querySelector('#plot-grads');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) n++;
    return n;
  });
  assert.ok(painted > 1000, `chart drawn (${painted} non-white pixels)`);
  await page.click('#step');
  await page.click('#step');
  await eventually(() => page.textContent('#iter'), '2', { label: '#iter' });
  await shot(page, 'shell');
  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin)), [], 'no third-party requests');
});
