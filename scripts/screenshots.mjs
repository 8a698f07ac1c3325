// Screenshots for the docs, taken with the tests' headless Debian Chromium:
// the demo page mid-conversation (with a "why this?" panel open) and the
// widget in the foreign bookshop page, and the page with friendlier wording on.
//
//     node scripts/screenshots.mjs      # needs www/ staged (./scripts/test or ./scripts/demo)
//
// Writes docs/img/demo.png, docs/img/widget.png and docs/img/phrasing.png.
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
  // Friendlier wording on: the phrasing model rewrites, the guard checks.
  const b3 = await browser();
  const p3 = await b3.ctx.newPage();
  await p3.setViewportSize({ width: 1280, height: 900 });
  await p3.goto(`${server.url}/www/index.html`);
  await p3.waitForSelector('body[data-ready=true]', { timeout: 120000 });
  await p3.check('#phrasing');
  await p3.waitForFunction(() => /Friendlier wording is on/.test(document.getElementById('phrasing-status').textContent), null, { timeout: 120000 });
  await p3.fill('#say', 'I loved Dune for its world-building and political intrigue');
  await p3.press('#say', 'Enter');
  await p3.waitForFunction(() => {
    const m = document.getElementById('phrasing-status').textContent.match(/(\d+) sentences kept, (\d+) replaced/);
    return m && Number(m[1]) + Number(m[2]) >= 3;
  }, null, { timeout: 120000, polling: 500 });
  await p3.evaluate(() => window.scrollTo(0, 0));
  await p3.screenshot({ path: path.join(REPO, 'docs/img/phrasing.png') });
  await b3.close();
  console.log('wrote docs/img/demo.png, docs/img/widget.png and docs/img/phrasing.png');
} finally {
  await b.close();
  server.close();
}
