import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, shot } from './harness.js';

let server, browser;
before(async () => { server = await serve({ prefix: '/some/sub/path/' }); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('the app loads under a sub-path, renders and reacts to a click', async () => {
  const { page, errors, requests } = await openPage(browser, server.url);
  await page.waitForSelector('#step');
  const origin = new URL(server.url).origin;
  assert.equal(await page.textContent('#count'), '0');
  const painted = await page.evaluate(() => {
    const c = document.querySelector('#plot');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) n++;
    return n;
  });
  assert.ok(painted > 1000, `chart drawn (${painted} non-white pixels)`);
  await page.click('#step');
  await page.click('#step');
  assert.equal(await page.textContent('#count'), '2');
  await shot(page, 'shell');
  assert.deepEqual(errors, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin)), [], 'no third-party requests');
});
