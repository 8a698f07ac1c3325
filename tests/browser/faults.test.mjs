// The browser's failure modes, tried on purpose on the demo page: files that
// are not what their names say, a missing wasm, a full disk, storage wiped
// under a running page, a browser that will not promise to keep storage, a
// worker that dies, a profile from a newer Kith, and hostile catalog text.
// Each ends in a clear message or a safe fallback; nothing stored is lost
// and nothing damaged is kept. docs/RELIABILITY.md lists what the visitor
// sees in each case.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { REPO, session, ready, send, idb } from './harness.mjs';

const DUNE = 'I loved Dune for its world-building and political intrigue';
const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'www', 'goodbooks.json'), 'utf8'));
const file = (part) => `/www/${manifest.parts.find((p) => p.part === part).file}`;
const HTML_ERROR = { status: 200, type: 'text/html', body: '<!doctype html><title>Oops</title><h1>Something went wrong</h1>' };

const said = (page) => page.$$eval('.msg.you', (n) => n.map((x) => x.textContent));
const lastTitles = (page) => page.$$eval('.recs', (lists) => [...lists[lists.length - 1].querySelectorAll('.card .title')].map((x) => x.textContent));
const kept = (page, url) => page.evaluate(async (url) => Boolean(await (await caches.open('kith-parts')).match(url)), url);

test('a part that is not what its name says is refused, not kept, and fetched again next time', async (t) => {
  let broken = true;
  const { server, newPage } = await session(t, { replace: (p) => (broken && p === file('text') ? HTML_ERROR : undefined) });
  const page = await newPage();
  await page.goto(`${server.url}/www/index.html`);
  await ready(page);
  await page.waitForSelector('body[data-understanding=failed]', { timeout: 120000 });
  assert.match(await page.locator('#understanding').textContent(), /arrived damaged or is not the file it should be.*still work/);
  assert.equal(await kept(page, `${server.url}${file('text')}`), false, 'the HTML page was not kept as the part');
  await send(page, DUNE);
  // The host is fixed: the next visit downloads the part and uses it.
  broken = false;
  await page.reload();
  await ready(page);
  await page.waitForSelector('body[data-understanding=full]', { timeout: 120000 });
  assert.equal(await kept(page, `${server.url}${file('text')}`), true);
  assert.deepEqual(await said(page), [DUNE], 'the first visit\'s turn was kept');
});

test('a truncated core part or a missing wasm: the page says so, and "Try again" recovers', async (t) => {
  const core = fs.readFileSync(path.join(REPO, 'www', path.basename(file('core'))));
  let broken = 'core';
  const { server, newPage } = await session(t, {
    replace: (p) => (broken === 'core' && p === file('core') ? { status: 200, type: 'application/octet-stream', body: core.subarray(0, 4000) } : undefined),
    refuse: (p) => (broken === 'wasm' && p === '/www/pkg/kith_bg.wasm' ? 404 : 0),
  });
  const page = await newPage();
  await page.goto(`${server.url}/www/index.html`);
  await page.waitForSelector('body[data-failed=true]', { timeout: 60000 });
  assert.match(await page.locator('#loading-text').textContent(), /Kith could not start: .*core\..*arrived damaged/);
  assert.equal(await page.locator('#retry').isVisible(), true);
  assert.equal(await kept(page, `${server.url}${file('core')}`), false);
  broken = null;
  await page.click('#retry');
  await ready(page);
  await send(page, DUNE);

  // A deploy that lost its wasm, seen by a new visitor (a fresh context).
  broken = 'wasm';
  const b2 = await (await import('./harness.mjs')).browser();
  t.after(() => b2.close());
  const p2 = await b2.ctx.newPage();
  await p2.goto(`${server.url}/www/index.html`);
  await p2.waitForSelector('body[data-failed=true]', { timeout: 60000 });
  assert.match(await p2.locator('#loading-text').textContent(), /Kith could not start: the engine \(kith_bg\.wasm\) could not be loaded/);
  broken = null;
  await p2.click('#retry');
  await ready(p2);
  await send(p2, DUNE);
});

test('a worker script that cannot start: a few tries, then a clear message', async (t) => {
  const { server, newPage, requests } = await session(t, { refuse: (p) => (p === '/www/kith-worker.js' ? 404 : 0) });
  const page = await newPage();
  await page.goto(`${server.url}/www/index.html`);
  await page.waitForSelector('body[data-failed=true]', { timeout: 60000 });
  assert.match(await page.locator('#loading-text').textContent(), /Kith could not start: Kith's engine keeps stopping/);
  await page.waitForTimeout(3000);
  const tries = requests.filter((u) => u.endsWith('/www/kith-worker.js')).length;
  assert.ok(tries >= 2 && tries <= 6, `${tries} requests for the worker script`);
});

test('a full disk: the page works, the visitor is told, and nothing is lost once there is room', async (t) => {
  const { server, newPage } = await session(t);
  const page = await newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: 1024 });
  await page.goto(`${server.url}/www/index.html`);
  await ready(page);
  await send(page, DUNE);
  await page.waitForSelector('body[data-storage=full]');
  assert.match(await page.locator('#storage-note').textContent(), /no room left.*kept in this tab.*Export/);
  assert.equal(await kept(page, `${server.url}${file('core')}`), false, 'the bundle could not be cached');
  const titles = await lastTitles(page);
  assert.ok(titles.some((x) => x.startsWith('Dune Messiah')), titles.join(' | '));
  // Room again: the next save carries the turn that could not be saved.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url });
  await send(page, 'something by Jane Austen');
  await page.waitForFunction(() => document.body.dataset.storage !== 'full');
  await page.reload();
  await ready(page);
  assert.deepEqual(await said(page), [DUNE, 'something by Jane Austen']);
});

test('the widget on a full disk answers and tells its host', async (t) => {
  const { server, newPage } = await session(t);
  const page = await newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: 1024 });
  await page.addInitScript(() => {
    window.storageEvents = [];
    document.addEventListener('kith-storage', (e) => window.storageEvents.push(e.detail));
  });
  await page.goto(`${server.url}/tests/browser/pages/bookshop.html`);
  await page.waitForFunction(() => (window.kithEvents || []).some((e) => e.type === 'kith-ready'), null, { timeout: 60000 });
  await page.evaluate(() => document.querySelector('#recs').say('I loved Dune'));
  await page.waitForFunction(() => window.storageEvents.length > 0, null, { timeout: 30000 });
  const got = await page.evaluate(() => ({ events: window.storageEvents, state: document.querySelector('#recs').dataset.storage,
    items: document.querySelector('#recs').shadowRoot.querySelectorAll('li.item').length }));
  assert.match(got.events[0].problem, /QuotaExceeded/);
  assert.equal(got.state, 'full');
  assert.equal(got.items, 5, 'the recommendations are shown');
});

test('storage wiped under a running page: the tab writes the profile back', async (t) => {
  const { server, newPage } = await session(t);
  const page = await newPage();
  const cdp = await page.context().newCDPSession(page);
  await page.goto(`${server.url}/www/index.html`);
  await ready(page);
  await send(page, DUNE);
  await send(page, 'something by Jane Austen');
  await cdp.send('Storage.clearDataForOrigin', { origin: server.url, storageTypes: 'indexeddb' });
  await send(page, 'no horror please');
  await page.waitForSelector('body[data-storage=restored]');
  assert.match(await page.locator('#storage-note').textContent(), /cleared its stored data.*saved again/);
  await page.reload();
  await ready(page);
  assert.deepEqual(await said(page), [DUNE, 'something by Jane Austen', 'no horror please']);
});

test('a browser that will not promise to keep storage: the visitor is told, export is at hand', async (t) => {
  for (const granted of [false, true]) {
    const { server, newPage } = await session(t);
    const page = await newPage();
    await page.addInitScript((granted) => {
      const storage = navigator.storage;
      storage.persisted = async () => false;
      storage.persist = async () => granted;
    }, granted);
    await page.goto(`${server.url}/www/index.html`);
    await ready(page);
    await page.waitForTimeout(300);
    assert.equal(await page.locator('#storage-note').isVisible(), false, 'not asked before there is anything to keep');
    await send(page, DUNE);
    await page.waitForTimeout(300);
    if (granted) {
      assert.equal(await page.locator('#storage-note').isVisible(), false);
    } else {
      assert.match(await page.locator('#storage-note').textContent(), /may clear your profile.*Export/);
      assert.equal(await page.evaluate(() => document.body.dataset.storage), 'best-effort');
      assert.equal(await page.locator('#export').isVisible(), true);
    }
  }
});

test('a worker that dies is restarted and the last turn is answered', async (t) => {
  const { server, newPage, errors } = await session(t);
  const page = await newPage();
  await page.goto(`${server.url}/www/index.html`);
  await ready(page);
  await send(page, DUNE);
  const workers = page.workers().filter((w) => /kith-worker\.js/.test(w.url()));
  assert.equal(workers.length, 1);
  // Abruptly, as an out-of-memory kill is: no message, no event.
  await workers[0].evaluate(() => self.close());
  await send(page, 'something by Jane Austen');
  assert.equal(await page.evaluate(() => document.body.dataset.restarts), '1');
  assert.match(await page.locator('#log').textContent(), /had to restart its engine/);
  assert.equal((await lastTitles(page)).length, 10);
  await page.reload();
  await ready(page);
  assert.deepEqual(await said(page), [DUNE, 'something by Jane Austen'], 'both turns were saved');
  assert.deepEqual(errors, []);
});

test('a profile written by a newer Kith is never overwritten, at start or mid-conversation', async (t) => {
  const { server, newPage } = await session(t);
  const page = await newPage();
  await page.goto(`${server.url}/www/index.html`);
  await ready(page);
  const newer = JSON.stringify({ version: 99, catalog: 'goodbooks-10k', picks: [], hologram: { depth: 3 } });

  // A newer tab saves while this (older) one is open: this tab's next turn
  // is answered but not saved over it.
  await send(page, DUNE);
  await idb(page, 'put', 'profiles', 'goodbooks-10k', newer);
  await send(page, 'something by Jane Austen');
  await page.waitForSelector('body[data-storage=newer]');
  assert.match(await page.locator('#storage-note').textContent(), /newer version of Kith.*Reload/);
  assert.equal(await idb(page, 'get', 'profiles', 'goodbooks-10k'), newer, 'left byte for byte');

  // An older page opened on it: it starts fresh in memory and leaves it be.
  await page.reload();
  await ready(page);
  assert.equal(await page.evaluate(() => document.body.dataset.storage), 'newer');
  await send(page, DUNE);
  assert.equal(await idb(page, 'get', 'profiles', 'goodbooks-10k'), newer);
  assert.equal(await idb(page, 'count', 'backups'), 0, 'nothing to keep aside: it was never touched');
});

test('a new deploy of a bundle under the same name is used from the next visit, and the old one offline', async (t) => {
  const dir = fs.mkdtempSync(path.join(REPO, 'target', 'deploy-'));
  const out = path.join(REPO, 'www', 'deploy-test.kith');
  t.after(() => { fs.rmSync(out, { force: true }); fs.rmSync(dir, { recursive: true, force: true }); });
  const deploy = (word) => {
    const items = ['id,title,creator,tags', ...[1, 2, 3, 4].map((i) => `${i},${word} Story ${i},Author ${i},${i % 2 ? 'horror' : 'romance'}`)].join('\n') + '\n';
    fs.writeFileSync(path.join(dir, 'items.csv'), items);
    fs.writeFileSync(path.join(dir, 'interactions.csv'), 'user,item\nu1,1\nu1,3\nu2,2\nu2,4\nu3,1\nu3,2\n');
    execFileSync(path.join(REPO, 'target/release/kith'), ['build', '--format', 'csv', '--data', dir, '--no-encoder', '--name', 'deploy', '--out', out], { stdio: 'ignore' });
  };
  deploy('Alpha');
  const { server, newPage } = await session(t);
  const page = await newPage();
  const url = `${server.url}/www/index.html?bundle=deploy-test.kith`;
  await page.goto(url);
  await ready(page);
  await send(page, 'horror');
  assert.ok((await lastTitles(page)).some((x) => x.startsWith('Alpha Story')));
  // The service worker controls the page now; the site deploys a new catalog.
  deploy('Beta');
  await page.reload();
  await ready(page);
  await send(page, 'horror');
  const titles = await lastTitles(page);
  assert.ok(titles.every((x) => x.startsWith('Beta Story')), titles.join(' | '));
  // Offline, the last copy seen still works.
  await page.context().setOffline(true);
  await page.reload();
  await ready(page);
  await send(page, 'romance');
  assert.ok((await lastTitles(page)).some((x) => x.startsWith('Beta Story')));
  await page.context().setOffline(false);
});

test('a new catalog version in parts: only the parts that changed are downloaded, the encoder is kept, the old parts are dropped', async (t) => {
  const dir = fs.mkdtempSync(path.join(REPO, 'target', 'versions-'));
  const stem = 'versions-test';
  const www = path.join(REPO, 'www');
  const ours = () => fs.readdirSync(www).filter((f) => f.startsWith(`${stem}.`));
  t.after(() => { for (const f of ours()) fs.rmSync(path.join(www, f), { force: true }); fs.rmSync(dir, { recursive: true, force: true }); });
  const kith = path.join(REPO, 'target/release/kith');
  // Two versions of one catalog, built with the same encoder, split as a site deploys them.
  const deploy = (word) => {
    const items = ['id,title,creator,tags', ...[1, 2, 3, 4, 5, 6].map((i) => `${i},${word} Story ${i},Author ${i},${i % 2 ? 'horror' : 'romance'}`)].join('\n') + '\n';
    fs.writeFileSync(path.join(dir, 'items.csv'), items);
    fs.writeFileSync(path.join(dir, 'interactions.csv'), 'user,item\nu1,1\nu1,3\nu2,2\nu2,4\nu3,1\nu3,2\nu4,5\nu4,6\n');
    execFileSync(kith, ['build', '--format', 'csv', '--data', dir, '--name', 'versions', '--out', path.join(dir, 'b.kith')], { stdio: 'ignore' });
    execFileSync(kith, ['split', '--bundle', path.join(dir, 'b.kith'), '--out-dir', www, '--stem', stem, '--prune'], { stdio: 'ignore' });
    return JSON.parse(fs.readFileSync(path.join(www, `${stem}.json`), 'utf8')).parts;
  };
  const named = (parts, part) => `/www/${parts.find((p) => p.part === part).file}`;
  const v1 = deploy('Alpha');
  const { server, newPage } = await session(t);
  const page = await newPage();
  const url = `${server.url}/www/index.html?bundle=${stem}.json`;
  const understood = async () => {
    await ready(page);
    await page.waitForSelector('body[data-understanding=full]', { timeout: 120000 });
  };
  await page.goto(url);
  await understood();
  await send(page, 'horror');
  assert.ok((await lastTitles(page)).some((x) => x.startsWith('Alpha Story')));
  const encoderBytes = server.sentBy().get(named(v1, 'encoder'));
  assert.ok(encoderBytes > 1e6, 'the encoder part was downloaded once');

  const v2 = deploy('Beta');
  assert.equal(named(v2, 'encoder'), named(v1, 'encoder'), 'the same encoder part, by name');
  assert.notEqual(named(v2, 'core'), named(v1, 'core'));
  assert.ok(!ours().includes(path.basename(named(v1, 'core'))), 'the old core part is gone from the server');
  // The kept manifest starts the next visit (offline first) and is refreshed
  // behind it; the visit after that is on the new version.
  await page.reload();
  await understood();
  await page.reload();
  await understood();
  await send(page, 'horror');
  const titles = await lastTitles(page);
  assert.ok(titles.length > 0 && titles.every((x) => x.startsWith('Beta Story')), titles.join(' | '));
  const sent = server.sentBy();
  assert.ok(sent.get(named(v2, 'core')) > 0 && sent.get(named(v2, 'text')) > 0, 'the changed parts were downloaded');
  assert.equal(sent.get(named(v2, 'encoder')), encoderBytes, 'the encoder part was not downloaded again');
  assert.equal(await kept(page, `${server.url}${named(v2, 'encoder')}`), true);
  assert.equal(await kept(page, `${server.url}${named(v2, 'core')}`), true);
  assert.equal(await kept(page, `${server.url}${named(v1, 'core')}`), false, 'the old core part was dropped from the cache');
  assert.equal(await kept(page, `${server.url}${named(v1, 'text')}`), false, 'the old text part was dropped from the cache');
});

test('hostile catalog text renders inert and keeps the layout, on the page and in the widget', async (t) => {
  const long = 'Supercalifragilistic'.repeat(60);
  const items = [
    'id,title,creator,tags',
    `1,"<script>window.pwned=1</script>${long}",Mallory,horror`,
    '2,"\u202Eevil reversed title\u202C and more",M\u200Ball\u200Dory\u200B,horror',
    '3,"\u0645\u0631\u062D\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 (Arabic, #1)",Someone,romance',
    '4,Dracula,Bram Stoker,horror',
    '5,Emma,Jane Austen,romance',
    `6,"${'x'.repeat(4000)}",${'y'.repeat(2000)},${'z'.repeat(300)}`,
  ].join('\n') + '\n';
  const dir = fs.mkdtempSync(path.join(REPO, 'target', 'hostile-'));
  fs.writeFileSync(path.join(dir, 'items.csv'), items);
  fs.writeFileSync(path.join(dir, 'interactions.csv'), 'user,item\n' + [1, 2, 3, 4, 5, 6].flatMap((i) => [1, 2, 3].map((u) => `u${(u + i) % 4},${i}`)).join('\n') + '\n');
  const out = path.join(REPO, 'www', 'hostile-test.kith');
  execFileSync(path.join(REPO, 'target/release/kith'), ['build', '--format', 'csv', '--data', dir, '--no-encoder', '--name', 'hostile', '--out', out], { stdio: 'ignore' });
  t.after(() => { fs.rmSync(out, { force: true }); fs.rmSync(dir, { recursive: true, force: true }); });
  const { server, newPage, errors } = await session(t);

  const page = await newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.url}/www/index.html?bundle=hostile-test.kith`);
  await ready(page);
  await send(page, 'horror and romance');
  const cards = await page.$$eval('.card', (n) => n.map((c) => ({ title: c.querySelector('.title').textContent, right: c.getBoundingClientRect().right })));
  assert.ok(cards.length >= 5, JSON.stringify(cards.map((c) => c.title.slice(0, 30))));
  assert.ok(cards.some((c) => c.title.startsWith('<script>')), 'the HTML is shown as text');
  for (const c of cards) assert.ok(c.right <= 390, `a card reaches ${c.right}px on a 390px screen: ${c.title.slice(0, 40)}`);
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= innerWidth), 'the page scrolls sideways');
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.card .title')).unicodeBidi), 'isolate');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator('#log script').count(), 0);

  const shop = await newPage();
  await shop.setViewportSize({ width: 390, height: 844 });
  await shop.goto(`${server.url}/tests/browser/pages/bookshop.html`);
  await shop.evaluate(() => {
    const w = document.createElement('kith-recommender');
    w.id = 'hostile';
    w.setAttribute('bundle', '/www/hostile-test.kith');
    w.setAttribute('count', '6');
    w.style.display = 'block';
    w.style.width = '300px';
    document.body.prepend(w);
  });
  await shop.waitForFunction(() => document.querySelector('#hostile').dataset.ready !== undefined || (window.kithEvents || []).some((e) => e.type === 'kith-ready' && e.detail.items === 6), null, { timeout: 60000 });
  await shop.evaluate(() => document.querySelector('#hostile').say('horror and romance'));
  await shop.waitForFunction(() => document.querySelector('#hostile').shadowRoot.querySelectorAll('li.item').length >= 5, null, { timeout: 30000 });
  const box = await shop.evaluate(() => {
    const w = document.querySelector('#hostile');
    const outer = w.getBoundingClientRect();
    const items = [...w.shadowRoot.querySelectorAll('li.item')].map((li) => li.getBoundingClientRect().right);
    return { right: outer.right, items, scripts: w.shadowRoot.querySelectorAll('script').length };
  });
  for (const r of box.items) assert.ok(r <= box.right + 1, `an item reaches ${r}px, the widget ends at ${box.right}px`);
  assert.equal(box.scripts, 0);
  assert.equal(await shop.evaluate(() => window.pwned), undefined);
  assert.deepEqual(errors, []);
});
