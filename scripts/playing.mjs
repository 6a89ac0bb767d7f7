// Shared by the measuring scripts (perf, cpu-profile, frame-split, frame-trace,
// frame-mutations): open the built app in headless Chromium and keep a preset relaxing at
// full speed under a CPU throttling rate.
import { serve, launch } from '../e2e/harness.js';

/** The value of `--name` on the command line, or `fallback`. */
export const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

/**
 * A page of `server` playing `preset` at 5000 ticks/s at inference rate `eta` (small, so the
 * graph keeps relaxing instead of settling), with `css` injected; whenever the run stops it is
 * reset and played again (`window.__kicks` counts that). Returns {page, context, cdp}.
 */
export async function openPlaying(browser, server, { rate = 4, preset = 'rnn3', eta = '0.002', css = '', init } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  if (init) await page.addInitScript(init);
  await page.goto(server.url);
  await page.waitForSelector('g.node');
  if (css) await page.addStyleTag({ content: css });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  await page.selectOption('#preset', preset);
  await page.fill('#speed', '5000');
  await page.press('#speed', 'Enter');
  await page.fill('#rate', String(eta));
  await page.press('#rate', 'Enter');
  await page.evaluate(() => {
    window.__kicks = 0;
    window.__kickTimes = [];
    const kick = () => {
      const pc = window.__pc;
      if (!pc || pc.playing) return;
      window.__kicks++;
      window.__kickTimes.push(performance.now());
      if (pc.settled || pc.diverged || pc.status === 'finished') document.querySelector('#reset').click();
      document.querySelector('#play').click();
    };
    kick();
    setInterval(kick, 50);
  });
  return { page, context, cdp };
}

export { serve, launch };
