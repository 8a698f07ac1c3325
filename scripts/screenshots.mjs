// Screenshots for the docs, taken with the tests' headless Debian Chromium:
// the demo page mid-conversation (with a "why this?" panel open) and the
// widget in the foreign bookshop page.
//
//     node scripts/screenshots.mjs      # needs www/ staged (./scripts/test or ./scripts/demo)
//
// Writes docs/img/demo.png and docs/img/widget.png.
import path from 'node:path';
import { REPO, serve, browser } from '../tests/browser/harness.mjs';

const server = await serve();
const b = await browser();
try {
  const page = await b.ctx.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.url}/www/index.html`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 120000 });
  const turn = async (text) => {
    const n = await page.locator('.recs').count();
    await page.fill('#say', text);
    await page.press('#say', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('.recs').length > n, n);
  };
  await turn('I loved Dune for its world-building and political intrigue');
  await page.locator('.recs').last().locator('[data-why]').first().click();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(REPO, 'docs/img/demo.png') });

  // A fresh browser for the widget, so it starts from an empty profile.
  const b2 = await browser();
  const shop = await b2.ctx.newPage();
  await shop.setViewportSize({ width: 1100, height: 900 });
  await shop.goto(`${server.url}/tests/browser/pages/bookshop.html`);
  await shop.waitForFunction(() => window.kithEvents.some((e) => e.type === 'kith-ready'), null, { timeout: 120000 });
  await shop.fill('kith-recommender input', 'cozy village mysteries with an amateur sleuth');
  await shop.press('kith-recommender input', 'Enter');
  await shop.waitForFunction(() => window.kithEvents.some((e) => e.type === 'kith-shown'));
  await shop.screenshot({ path: path.join(REPO, 'docs/img/widget.png') });
  await b2.close();
  console.log('wrote docs/img/demo.png and docs/img/widget.png');
} finally {
  await b.close();
  server.close();
}
