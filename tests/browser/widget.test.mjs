// The <kith-recommender> widget embedded in a page that is not Kith's
// (tests/browser/pages/bookshop.html, with hostile CSS): it loads, talks,
// fires the host's events with the variant, keeps its styles to itself,
// and renders catalog and visitor text as text. Needs www/ staged.
import test from 'node:test';
import assert from 'node:assert/strict';
import { session, audit } from './harness.mjs';

const events = (page, type) => page.evaluate((t) => window.kithEvents.filter((e) => e.type === t).map((e) => e.detail), type);

test('widget in a foreign page', async (t) => {
  const { server, b, requests, errors, newPage } = await session(t);
  const page = await newPage();
  await page.goto(`${server.url}/tests/browser/pages/bookshop.html`);
  await page.waitForFunction(() => window.kithEvents.some((e) => e.type === 'kith-ready'), null, { timeout: 120000 });

  await t.test('it loads, talks and shows `count` explained recommendations', async () => {
    const ready = (await events(page, 'kith-ready'))[0];
    assert.ok(ready.items >= 10000);
    assert.equal(ready.variant, 'no-questions');
    assert.match(await page.locator('kith-recommender .ask').textContent(), /enjoyed reading/);
    await page.fill('kith-recommender input', 'I loved Dune for its world-building and political intrigue');
    await page.press('kith-recommender input', 'Enter');
    await page.waitForFunction(() => window.kithEvents.some((e) => e.type === 'kith-shown'), null, { timeout: 30000 });
    const items = page.locator('kith-recommender li.item');
    assert.equal(await items.count(), 5);
    const shown = (await events(page, 'kith-shown'))[0];
    assert.equal(shown.ids.length, 5);
    assert.equal(shown.variant, 'no-questions');
    assert.deepEqual(await items.evaluateAll((xs) => xs.map((x) => x.dataset.id)), shown.ids);
    for (const why of await page.locator('kith-recommender .why').allTextContents()) assert.ok(why.length > 10, why);
    assert.equal(await page.locator('kith-recommender .question').count(), 0, 'the no-questions variant asks nothing');
    const titles = await page.locator('kith-recommender .title').allTextContents();
    assert.ok(titles.some((x) => /Dune|Children|Messiah|Foundation|Hyperion/.test(x)), titles.join(' | '));
    // The page gives it a staged bundle: the text and encoder parts land
    // behind the first answer and the host hears of each.
    await page.waitForFunction(() => window.kithEvents.some((e) => e.type === 'kith-understanding' && e.detail.pending.length === 0), null, { timeout: 120000 });
    const landed = (await events(page, 'kith-understanding')).map((e) => [e.attached, e.error]);
    assert.deepEqual(landed, [['text', null], ['encoder', null]]);
    assert.equal(await page.locator('kith-recommender').getAttribute('data-understanding'), 'full');
  });

  await t.test('picking and rating fire the host events', async () => {
    const first = page.locator('kith-recommender li.item').first();
    const id = await first.getAttribute('data-id');
    await first.locator('.title a').click();
    assert.deepEqual((await events(page, 'kith-pick'))[0].id, id);
    assert.equal(new URL(page.url()).pathname, '/tests/browser/pages/bookshop.html', 'the host cancelled the navigation');
    assert.match(await first.locator('.title a').getAttribute('href'), new RegExp(`/shop/book\\?id=${id}$`));
    const shownBefore = (await events(page, 'kith-shown')).length;
    await first.locator('button[data-kind=love]').click();
    await page.waitForFunction((n) => window.kithEvents.filter((e) => e.type === 'kith-shown').length > n, shownBefore);
    assert.deepEqual(await events(page, 'kith-rate'), [{ id, kind: 'love', variant: 'no-questions' }]);
    assert.deepEqual(await events(page, 'kith-accepted'), [{ id, kind: 'love', variant: 'no-questions' }]);
    const second = page.locator('kith-recommender li.item').nth(1);
    const other = await second.getAttribute('data-id');
    await second.locator('button[data-kind=not_for_me]').click();
    await page.waitForFunction(() => window.kithEvents.some((e) => e.type === 'kith-rejected'));
    assert.deepEqual(await events(page, 'kith-rejected'), [{ id: other, kind: 'not_for_me', variant: 'no-questions' }]);
    // The same events are in the on-device profile, labelled with the variant.
    const profile = JSON.parse(await page.evaluate(() => document.getElementById('recs').exportProfile()));
    assert.equal(profile.variant, 'no-questions');
    const outcomes = profile.events.filter((e) => e.outcome !== 'shown');
    assert.deepEqual(outcomes.map((e) => [e.item, e.outcome, e.variant]).sort(),
      [[id, 'accepted', 'no-questions'], [other, 'rejected', 'no-questions']].sort());
  });

  await t.test('no accessibility violation in the widget (axe-core)', async () => {
    assert.deepEqual(await audit(page, 'kith-recommender'), []);
  });

  await t.test('styles do not leak either way', async () => {
    const style = (sel, prop) => page.evaluate(([sel, prop]) => {
      const host = document.querySelector('kith-recommender').shadowRoot;
      const n = sel.startsWith('host:') ? document.querySelector(sel.slice(5)) : host.querySelector(sel);
      return getComputedStyle(n)[prop];
    }, [sel, prop]);
    // The host hides every button and paints list items red: not inside the widget.
    assert.notEqual(await style('button[data-kind]', 'display'), 'none');
    assert.notEqual(await style('li.item', 'color'), 'rgb(255, 0, 0)');
    assert.notEqual(await style('li.item', 'textTransform'), 'uppercase');
    assert.notEqual(await style('.title', 'color'), 'rgb(0, 128, 0)');
    assert.notEqual(await style('.title', 'fontFamily'), 'Georgia, serif');
    // The widget's own .title and li rules stay inside: the host's are intact.
    assert.equal(await style('host:h2.title', 'color'), 'rgb(0, 128, 0)');
    assert.equal(await style('host:#host-list li', 'color'), 'rgb(255, 0, 0)');
    // Theming through custom properties reaches in: the accent is the host's.
    assert.equal(await style('.logo', 'backgroundColor'), 'rgb(180, 83, 9)');
  });

  await t.test('visitor HTML is inert and nothing leaves the origin', async () => {
    await page.fill('kith-recommender input', '<img src=x onerror="window.pwned=1"> more like the first one');
    await page.press('kith-recommender input', 'Enter');
    await page.waitForTimeout(500);
    await page.waitForFunction(() => document.querySelector('kith-recommender').shadowRoot.querySelectorAll('li.item').length > 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.equal(await page.evaluate(() => document.querySelector('kith-recommender').shadowRoot.querySelectorAll('img').length), 0);
    const origin = new URL(server.url).origin;
    const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
    assert.deepEqual(foreign, []);
    assert.deepEqual(errors, []);
  });

  await t.test('on the next visit the widget downloads no part again (no service worker needed)', async () => {
    const parts = () => [...server.sentBy()].filter(([p]) => p.endsWith('.kith')).reduce((a, [, n]) => a + n, 0);
    const before = parts();
    assert.ok(before > 20e6, `${before} bytes of parts on the first visit`);
    const p2 = await b.ctx.newPage();
    await p2.goto(`${server.url}/tests/browser/pages/bookshop.html`);
    await p2.waitForFunction(() => window.kithEvents.some((e) => e.type === 'kith-understanding' && e.detail.pending.length === 0), null, { timeout: 120000 });
    assert.equal(parts(), before, 'every part came from the parts cache');
    await p2.close();
  });

  await t.test('a missing bundle is a clear message and a kith-error event', async () => {
    const p2 = await b.ctx.newPage();
    await p2.goto(`${server.url}/tests/browser/pages/bookshop.html`);
    await p2.evaluate(() => {
      const w = document.createElement('kith-recommender');
      w.setAttribute('bundle', '/www/missing.kith');
      w.id = 'broken';
      document.body.append(w);
    });
    await p2.waitForFunction(() => window.kithEvents.some((e) => e.type === 'kith-error'), null, { timeout: 30000 });
    assert.match(await p2.locator('#broken .status').textContent(), /unavailable: could not download .*404/);
    await p2.close();
  });
});

test('the widget starts its worker before its client script has arrived, and the page reads the manifest', async (t) => {
  // Round trips that overlap instead of following each other, checked by
  // holding files back: kith-client.js until the worker script has been
  // asked for, and the worker's own scripts until the manifest has. A
  // widget that waited for its client script before starting the worker,
  // or a manifest only the worker (once its scripts are in) can ask for,
  // would never get there, and this test would time out.
  const gate = () => { let open; const p = new Promise((r) => { open = r; }); return { p, open }; };
  const client = gate();
  const glue = gate();
  const { server, requests, errors, newPage } = await session(t, {
    hold: (p) => (p === '/www/kith-client.js' ? client.p : p === '/www/pkg/kith.js' ? glue.p : undefined),
  });
  const page = await newPage();
  page.on('request', (r) => {
    if (r.url().endsWith('/www/kith-worker.js')) client.open();
    if (r.url().endsWith('/www/goodbooks.json')) glue.open();
  });
  await page.goto(`${server.url}/tests/browser/pages/bookshop.html`);
  await page.waitForFunction(() => window.kithEvents.some((e) => e.type === 'kith-ready'), null, { timeout: 120000 });
  const asked = (suffix) => requests.filter((u) => new URL(u).pathname === suffix).length;
  assert.equal(asked('/www/kith-worker.js'), 1);
  assert.equal(asked('/www/goodbooks.json'), 1, "the worker uses the page's copy of the manifest");
  assert.deepEqual(errors, []);
});

test('a widget whose worker cannot start tells its host, after a few tries', async (t) => {
  const { server, requests, newPage } = await session(t, { refuse: (p) => (p === '/www/kith-worker.js' ? 404 : 0) });
  const page = await newPage();
  await page.goto(`${server.url}/tests/browser/pages/bookshop.html`);
  await page.waitForFunction(() => window.kithEvents.some((e) => e.type === 'kith-error'), null, { timeout: 60000 });
  const [error] = await events(page, 'kith-error');
  assert.match(error.message, /Kith's engine keeps stopping/);
  assert.match(await page.locator('kith-recommender .status').textContent(), /Recommendations are unavailable/);
  const tries = requests.filter((u) => u.endsWith('/www/kith-worker.js')).length;
  assert.ok(tries >= 2 && tries <= 6, `${tries} requests for the worker script`);
});
