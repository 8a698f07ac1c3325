// The demo page end to end in headless Chromium: the onboarding
// conversation, persistence across a reload, recovery from a corrupt
// profile, delete, HTML staying inert, and no request leaving the origin.
// Needs www/ staged (scripts/test does: pkg/, models/goodbooks.kith and its
// parts from `kith split`). Staged loading itself: staged.test.mjs.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { REPO, session, ready, send, audit, idb } from './harness.mjs';

const DUNE = 'I loved Dune for its world-building and political intrigue';

test('demo page', async (t) => {
  const { server, b, requests, errors, newPage } = await session(t);
  const page = await newPage();
  const url = `${server.url}/www/index.html`;

  await t.test('onboarding: answer, recommendations with explanations, feedback refines', async () => {
    await page.goto(url);
    await ready(page);
    // A first visit downloads each part of the staged bundle once: the
    // core through the page's prefetch, the rest through the service
    // worker, which keeps them all (no second fetch).
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'www', 'goodbooks.json'), 'utf8'));
    const bundle = manifest.parts.reduce((a, p) => a + p.bytes, 0);
    await page.waitForSelector('body[data-understanding=full]', { timeout: 120000 });
    await page.waitForFunction(async (n) => (await (await caches.open('kith-parts')).keys()).length >= n,
      manifest.parts.length + 1, { timeout: 60000 });
    for (const p of manifest.parts) assert.equal(server.sentBy().get(`/www/${p.file}`), p.bytes, `${p.file} sent once`);
    assert.ok(server.sent() < 1.3 * bundle, `served ${server.sent()} bytes for a ${bundle}-byte bundle`);
    assert.match(await page.locator('.msg.kith').first().textContent(), /What have you enjoyed reading lately\?/);
    await send(page, DUNE);
    const titles = await page.$$eval('.recs:last-of-type .card .title', (n) => n.map((x) => x.textContent));
    assert.equal(titles.length, 10);
    assert.ok(titles.some((x) => x.startsWith('Dune Messiah')), titles.join(' | '));
    const whys = await page.$$eval('.recs:last-of-type .card .why', (n) => n.map((x) => x.textContent));
    assert.ok(whys.every((w) => w.length > 10));
    assert.match(await page.locator('.heard').last().textContent(), /you liked Dune/);
    // "Why this?" opens the signal breakdown.
    await page.locator('.card [data-why]').first().click();
    assert.ok(await page.locator('.why-panel .part').count() >= 2);
    // "More like this" on the second card: a new list, the pick in the profile.
    const second = titles[1];
    const lists = await page.locator('.recs').count();
    await page.locator('.card').nth(1).locator('button[data-kind=more_like_this]').click();
    await page.waitForFunction((n) => document.querySelectorAll('.recs').length > n, lists);
    assert.match(await page.locator('#profile').textContent(), new RegExp(second.replace(/[()#]/g, '.')));
    // An occasion is read as a mood, shown back in the visitor's terms.
    await send(page, 'something light for the beach');
    assert.match(await page.locator('.heard').last().textContent(), /light-hearted, gripping/);
  });

  await t.test('a reload continues where the conversation was', async () => {
    await page.reload();
    await ready(page);
    const said = await page.$$eval('.msg.you', (n) => n.map((x) => x.textContent));
    assert.ok(said.includes(DUNE), said.join(' | '));
    assert.ok(await page.locator('.card').count() >= 10, 'recommendations are back');
    assert.match(await page.locator('#profile').textContent(), /Dune \(Dune Chronicles #1\)/);
  });

  await t.test('a corrupt profile is kept aside, the visitor told, a fresh one started', async () => {
    await idb(page, 'put', 'profiles', 'goodbooks-10k', '{"version": 2, "picks": "this is not a list"');
    await page.reload();
    await ready(page);
    assert.equal(await page.locator('#banner').isVisible(), true);
    assert.match(await page.locator('#banner').textContent(), /could not be read .*kept aside/);
    assert.equal(await idb(page, 'count', 'backups'), 1);
    assert.equal(await page.locator('.msg.you').count(), 0);
  });

  await t.test('delete removes everything Kith stored', async () => {
    await send(page, 'something by Terry Pratchett');
    assert.equal(await idb(page, 'count', 'profiles'), 1);
    await page.click('#delete');
    await page.waitForFunction(() => document.querySelectorAll('.msg.you').length === 0);
    await page.waitForTimeout(200);
    assert.equal(await idb(page, 'count', 'backups'), 0);
    const stored = await idb(page, 'get', 'profiles', 'goodbooks-10k');
    assert.ok(stored === undefined || !JSON.parse(stored).picks.length, 'no picks remain');
  });

  await t.test('two tabs at once lose no update', async () => {
    const tabB = await newPage();
    await tabB.goto(url);
    await ready(tabB);
    // Both tabs hold the same profile; each says something at the same time.
    const a = 'I loved Dune';
    const bText = 'something by Terry Pratchett';
    await Promise.all([page.fill('#say', a), tabB.fill('#say', bText)]);
    await Promise.all([page.press('#say', 'Enter'), tabB.press('#say', 'Enter')]);
    const stored = async () => JSON.parse((await idb(page, 'get', 'profiles', 'goodbooks-10k')) || '{"history": []}');
    // Fails by timeout if either tab's turn was overwritten by the other's save.
    await page.waitForFunction(async ([a, b]) => {
      const p = await new Promise((resolve) => {
        const open = indexedDB.open('kith');
        open.onsuccess = () => {
          const r = open.result.transaction('profiles').objectStore('profiles').get('goodbooks-10k');
          r.onsuccess = () => { open.result.close(); resolve(r.result); };
        };
      });
      const said = p ? JSON.parse(p).history.map((t) => t.said) : [];
      return said.includes(a) && said.includes(b);
    }, [a, bText], { timeout: 30000, polling: 200 });
    // The tab that saved first hears of the other's turn.
    await Promise.race([page, tabB].map((p) => p.waitForFunction(
      () => [...document.querySelectorAll('.msg.kith')].some((x) => /other tab/.test(x.textContent)), null, { timeout: 30000 })));
    // A love in tab B and a turn in tab A, one after the other: all kept.
    const id = await tabB.locator('.recs').last().locator('.card').first().getAttribute('data-id');
    await tabB.locator('.recs').last().locator('.card').first().locator('button[data-kind=love]').click();
    await page.waitForTimeout(300);
    await send(page, 'shorter please');
    await page.waitForTimeout(300);
    const p = await stored();
    const said = p.history.map((t) => t.said);
    for (const x of [a, bText, 'shorter please']) assert.ok(said.includes(x), said.join(' | '));
    assert.ok(p.picks.some((x) => x.id === id && x.strength === 1), 'tab B\'s love is kept');
    assert.ok(p.revision >= 4, `revision ${p.revision}`);
    await tabB.close();
  });

  await t.test('export downloads the profile; import brings it back', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const file = await download.path();
    const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.ok(exported.history.some((t) => t.said === 'I loved Dune'));
    await page.click('#delete');
    await page.waitForFunction(() => document.querySelectorAll('.msg.you').length === 0);
    await page.setInputFiles('#import', file);
    await page.waitForFunction(() => [...document.querySelectorAll('.msg.you')].some((x) => x.textContent === 'I loved Dune'));
    const back = JSON.parse(await idb(page, 'get', 'profiles', 'goodbooks-10k'));
    assert.deepEqual(back.history.map((t) => t.said), exported.history.map((t) => t.said));
    // A file that is not a profile is refused and changes nothing.
    const junk = path.join(path.dirname(file), 'junk.json');
    fs.writeFileSync(junk, '{"version": 99}');
    await page.setInputFiles('#import', junk);
    await page.waitForFunction(() => [...document.querySelectorAll('.msg.kith')].some((x) => /could not be imported/.test(x.textContent)));
    const still = JSON.parse(await idb(page, 'get', 'profiles', 'goodbooks-10k'));
    assert.deepEqual(still.history, back.history);
  });

  await t.test('HTML in visitor text and in item titles stays text', async () => {
    // A bundle whose catalog has an HTML title, built without the encoder.
    const dir = fs.mkdtempSync(path.join(REPO, 'target', 'xss-'));
    fs.writeFileSync(path.join(dir, 'items.csv'), 'id,title,creator,tags\n1,"<img src=x onerror=window.pwned=1>",Mallory,horror\n2,Dracula,Bram Stoker,horror\n3,Emma,Jane Austen,romance\n');
    fs.writeFileSync(path.join(dir, 'interactions.csv'), 'user,item\nu1,1\nu1,2\nu2,1\nu2,3\nu3,2\nu3,3\n');
    const out = path.join(REPO, 'www', 'xss-test.kith');
    execFileSync(path.join(REPO, 'target/release/kith'), ['build', '--format', 'csv', '--data', dir, '--no-encoder', '--noun', 'book,books', '--verb', 'read', '--name', 'xss', '--out', out], { stdio: 'ignore' });
    t.after(() => { fs.rmSync(out, { force: true }); fs.rmSync(dir, { recursive: true, force: true }); });
    const p2 = await newPage();
    await p2.goto(`${url}?bundle=xss-test.kith`);
    await ready(p2);
    await send(p2, '<img src=x onerror=window.pwned=2> horror');
    const titles = await p2.$$eval('.card .title', (n) => n.map((x) => x.textContent));
    assert.ok(titles.includes('<img src=x onerror=window.pwned=1>'), titles.join(' | '));
    assert.equal(await p2.locator('#log img').count(), 0);
    assert.equal(await p2.evaluate(() => window.pwned), undefined);
    await p2.close();
  });

  await t.test('after one visit the demo works offline', async () => {
    const p3 = await newPage();
    await p3.goto(url);
    await ready(p3);
    // The service worker has precached everything and controls the page.
    await p3.evaluate(() => navigator.serviceWorker.ready);
    await p3.waitForFunction(async () => {
      const keys = await caches.keys();
      const k = keys.find((x) => x.startsWith('kith-') && x !== 'kith-parts');
      if (!k) return false;
      const c = await caches.open(k);
      const cached = (await c.keys()).map((r) => new URL(r.url).pathname);
      const parts = (await (await caches.open('kith-parts')).keys()).map((r) => new URL(r.url).pathname);
      return cached.length >= 10 && parts.some((x) => x.endsWith('/goodbooks.json'))
        && parts.filter((x) => x.endsWith('.kith')).length >= 3 && navigator.serviceWorker.controller !== null;
    }, null, { timeout: 120000 });
    await b.ctx.setOffline(true);
    try {
      await p3.reload();
      await ready(p3);
      await send(p3, 'I loved Dune');
      const titles = await p3.$$eval('.recs:last-of-type .card .title', (n) => n.map((x) => x.textContent));
      assert.ok(titles.length >= 5, 'recommendations offline');
    } finally {
      await b.ctx.setOffline(false);
      await p3.close();
    }
  });

  await t.test('on a phone: the reply in view, compact cards, keyboard and screen readers, no axe violation', async () => {
    const phone = await newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(url);
    await ready(phone);
    await phone.click('#delete');
    await phone.waitForFunction(() => document.querySelectorAll('.msg.you').length === 0);
    assert.deepEqual(await audit(phone), [], 'the page as it opens');
    await send(phone, DUNE);
    // The new reply scrolls into view from its top, whatever lies below it.
    await phone.waitForFunction(() => {
      const r = document.querySelector('.recs:last-of-type').closest('.msg').getBoundingClientRect();
      return r.top >= -1 && r.top < innerHeight / 2;
    }, null, { timeout: 5000 });
    // Compact cards: one row of actions each, and several cards per screen.
    const rows = await phone.$$eval('.recs:last-of-type .card', (cards) => cards.map((c) => {
      const tops = [...c.querySelectorAll('.actions button')].map((b) => Math.round(b.getBoundingClientRect().top));
      return { rows: new Set(tops).size, height: c.getBoundingClientRect().height };
    }));
    assert.ok(rows.every((r) => r.rows === 1), JSON.stringify(rows));
    const tallest = Math.max(...rows.map((r) => r.height));
    assert.ok(tallest < 844 / 2.5, `cards up to ${tallest}px tall on an 844px screen`);
    // Screen readers hear each reply: the conversation is a live region.
    assert.equal(await phone.$eval('.recs:last-of-type', (n) => n.closest('[aria-live]') !== null), true);
    // Every action names its item; "Why this?" works from the keyboard.
    const label = await phone.locator('.recs:last-of-type .card').first().locator('button[data-kind=love]').getAttribute('aria-label');
    assert.match(label, /^Love it: /);
    await phone.focus('#say');
    let steps = 0;
    while (!(await phone.evaluate(() => document.activeElement.matches('.card [data-why]'))) && steps++ < 20) {
      await phone.keyboard.press('Shift+Tab');
    }
    assert.ok(steps <= 20, 'Shift+Tab from the input reaches the last card');
    await phone.keyboard.press('Enter');
    assert.equal(await phone.evaluate(() => document.activeElement.getAttribute('aria-expanded')), 'true');
    assert.deepEqual(await audit(phone), [], 'after a turn, a "why" panel open');
    await phone.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(await audit(phone), [], 'on a desktop screen');
    await phone.close();
  });

  await t.test('no request leaves the page origin, and no page errors', () => {
    const foreign = requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('blob:') && !u.startsWith('data:'));
    assert.deepEqual(foreign, []);
    assert.deepEqual(errors, []);
  });
});
