// Time to the first recommendation on the demo page, cold (empty browser
// cache and storage) and warm (a second visit: the service worker's cache),
// with the bytes the server sent each time. Headless Chromium, localhost:
// the cold figure has no network time in it, so an estimate at 50 Mbit/s
// is printed beside it.
//
//     node benchmarks/browser/first-recommendation.mjs   # needs www/ staged (./scripts/demo or ./scripts/test)
import { serve, browser } from '../../tests/browser/harness.mjs';

const DUNE = 'I loved Dune for its world-building and political intrigue';
const server = await serve();
const runs = [];
try {
  for (let round = 0; round < 3; round++) {
    const b = await browser();
    try {
      const page = await b.ctx.newPage();
      for (const visit of ['cold', 'warm']) {
        const before = server.sent();
        const t0 = Date.now();
        if (visit === 'cold') await page.goto(`${server.url}/www/index.html`);
        else await page.reload();
        await page.waitForSelector('body[data-ready=true]', { timeout: 120000 });
        const ready = Date.now() - t0;
        const lists = await page.locator('.recs').count();
        const t1 = Date.now();
        await page.fill('#say', DUNE);
        await page.press('#say', 'Enter');
        await page.waitForFunction((n) => document.querySelectorAll('.recs').length > n, lists);
        const first = ready + (Date.now() - t1);
        runs.push({ visit, ready, first, bytes: server.sent() - before });
        if (visit === 'cold') {
          // Let the service worker finish precaching before the warm visit.
          await page.waitForFunction(async () => {
            const k = (await caches.keys()).find((x) => x.startsWith('kith-'));
            return k && (await (await caches.open(k)).keys()).length >= 12 && navigator.serviceWorker.controller !== null;
          }, null, { timeout: 120000 });
        }
      }
    } finally {
      await b.close();
    }
  }
} finally {
  server.close();
}
const med = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
for (const visit of ['cold', 'warm']) {
  const r = runs.filter((x) => x.visit === visit);
  const mb = med(r.map((x) => x.bytes)) / 1e6;
  const est = visit === 'cold' ? `; at 50 Mbit/s add ≈ ${((mb * 8) / 50).toFixed(1)} s of download` : '';
  console.log(`${visit}: page ready ${med(r.map((x) => x.ready))} ms, first recommendation ${med(r.map((x) => x.first))} ms, ` +
    `${mb.toFixed(1)} MB from the server (median of ${r.length})${est}`);
}
