// Friendlier wording in the demo page (the optional SmolLM2 model): offered
// once after the first reply, never on a low-memory device, remembered when
// declined; once on, sentences stream in and each is either the checked
// rewrite or Kith's own template; the model and its wasm module are
// downloaded only then, and kept for offline use.
// Needs www/ staged with www/smollm2.gguf (scripts/test does it).
import test from 'node:test';
import assert from 'node:assert/strict';
import { session, ready, send } from './harness.mjs';

test('friendlier wording', async (t) => {
  const { server, errors, requests, newPage } = await session(t);
  const phrasingModule = () => requests.filter((u) => /\/kith_phrasing(_bg\.wasm|\.js)$/.test(u));
  const url = `${server.url}/www/index.html`;

  await t.test('a device with little memory is never offered the model', async () => {
    const page = await newPage();
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 1 }));
    await page.goto(url);
    await ready(page);
    await send(page, 'I loved Dune');
    assert.equal(await page.locator('#phrasing-offer').isVisible(), false);
    assert.equal(await page.locator('#phrasing').isChecked(), false);
    await page.close();
  });

  await t.test('declining is remembered', async () => {
    const page = await newPage();
    await page.goto(url);
    await ready(page);
    await send(page, 'I loved Dune');
    assert.equal(await page.locator('#phrasing-offer').isVisible(), true);
    await page.click('#phrasing-no');
    await page.reload();
    await ready(page);
    await send(page, 'more like the first one');
    assert.equal(await page.locator('#phrasing-offer').isVisible(), false);
    assert.equal(await page.locator('#phrasing').isChecked(), false);
    await page.close();
  });

  await t.test('once on, sentences are rewritten or kept as Kith wrote them', async () => {
    const page = await newPage();
    await page.goto(url);
    await ready(page);
    await send(page, 'I loved Dune');
    assert.deepEqual(phrasingModule(), [], 'the phrasing model\'s wasm is not downloaded before it is turned on');
    await page.check('#phrasing');
    await page.waitForFunction(() => /Friendlier wording is on/.test(document.getElementById('phrasing-status').textContent), null, { timeout: 120000 });
    await send(page, 'I want a good book');
    // The question and the first three explanations are each settled: either
    // the checked rewrite (marked, with Kith's own wording in its title) or the template.
    await page.waitForFunction(() => /sentences kept, \d+ replaced/.test(document.getElementById('phrasing-status').textContent)
      && (document.getElementById('phrasing-status').textContent.match(/(\d+) sentences kept, (\d+) replaced/).slice(1).map(Number).reduce((a, b) => a + b) >= 4),
    null, { timeout: 120000, polling: 500 });
    const whys = await page.locator('.recs').last().locator('.why').evaluateAll((xs) => xs.slice(0, 3).map((x) => ({
      text: x.textContent, friendly: x.classList.contains('friendly'), pending: x.classList.contains('phrasing'), title: x.title })));
    for (const w of whys) {
      assert.equal(w.pending, false, 'no sentence left half-streamed');
      if (w.friendly) assert.match(w.title, /^Kith's own wording: /);
      assert.ok(w.text.length > 5, w.text);
    }
    const cached = await page.evaluate(async () => {
      const k = (await caches.keys()).find((x) => x.startsWith('kith-') && x !== 'kith-parts');
      return k ? (await (await caches.open(k)).keys()).map((r) => new URL(r.url).pathname) : [];
    });
    assert.ok(cached.some((p) => p.endsWith('/smollm2.gguf')), 'the model is kept for offline use');
    assert.ok(cached.some((p) => p.endsWith('/pkg/kith_phrasing_bg.wasm')), 'its wasm module is kept for offline use');
    assert.ok(phrasingModule().length > 0, 'the phrasing model\'s wasm was downloaded once it was turned on');
    // Switching it off stops rewriting: the next reply keeps Kith's wording.
    await page.uncheck('#phrasing');
    await send(page, 'more like the first one');
    await page.waitForTimeout(1500);
    assert.equal(await page.locator('.recs').last().locator('.friendly, .phrasing').count(), 0);
    await page.close();
  });

  await t.test('no page errors', () => assert.deepEqual(errors, []));
});
