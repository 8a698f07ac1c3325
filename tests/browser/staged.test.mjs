// Staged loading of the demo bundle (`kith split`): the page answers from
// the small core part while the text embeddings and the encoder arrive; a
// dropped connection resumes where it stopped; a part that cannot be had
// leaves the page working on what it has.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, session, ready, send } from './harness.mjs';

const DUNE = 'I loved Dune for its world-building and political intrigue';
const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'www', 'goodbooks.json'), 'utf8'));
const file = (part) => `/www/${manifest.parts.find((p) => p.part === part).file}`;

test('the first answer comes before the encoder, the next turns use it', async (t) => {
  let release;
  const gate = new Promise((r) => { release = r; });
  const { server, newPage, errors } = await session(t, { hold: (p) => (p === file('encoder') ? gate : undefined) });
  const page = await newPage();
  await page.goto(`${server.url}/www/index.html`);
  await ready(page);
  assert.equal(await page.evaluate(() => document.body.dataset.understanding), 'partial');
  assert.match(await page.locator('#understanding').textContent(), /still arriving/);
  // Titles work from the core part alone.
  await send(page, DUNE);
  const titles = await page.$$eval('.recs:last-of-type .card .title', (n) => n.map((x) => x.textContent));
  assert.equal(titles.length, 10);
  assert.ok(titles.some((x) => x.startsWith('Dune Messiah')), titles.join(' | '));
  assert.equal(await page.evaluate(() => document.body.dataset.understanding), 'partial', 'the encoder is still held');
  release();
  await page.waitForSelector('body[data-understanding=full]', { timeout: 120000 });
  // The next turn matches a description by meaning (only the encoder
  // explains a pick as close to the words); the first turn is kept.
  const ask = 'a quiet story about grief and an old lighthouse keeper';
  await send(page, ask);
  const whys = await page.$$eval('.recs:last-of-type .card .why', (n) => n.map((x) => x.textContent));
  assert.ok(whys.some((w) => /Close to what you described/.test(w)), whys.join(' | '));
  assert.deepEqual(await page.$$eval('.msg.you', (n) => n.map((x) => x.textContent)), [DUNE, ask]);
  assert.deepEqual(errors, []);
});

test('a dropped connection resumes where it stopped', async (t) => {
  const cutAt = 1_000_000;
  const { server, newPage } = await session(t, { cut: (p, attempt) => (p === file('text') && attempt === 1 ? cutAt : undefined) });
  const page = await newPage();
  await page.goto(`${server.url}/www/index.html`);
  await ready(page);
  await page.waitForSelector('body[data-understanding=full]', { timeout: 120000 });
  const resumed = server.ranges().filter((r) => r.path === file('text'));
  assert.equal(resumed.length, 1, JSON.stringify(server.ranges()));
  // From the last byte the browser got (what was in flight when the
  // connection dropped is lost), not from the start.
  assert.ok(resumed[0].start > 0 && resumed[0].start <= cutAt, `resumed at ${resumed[0].start}`);
  const text = manifest.parts.find((p) => p.part === 'text').bytes;
  const sent = server.sentBy().get(file('text'));
  assert.ok(sent <= cutAt + text - resumed[0].start, `${sent} bytes sent: the rest only, not the whole part again`);
});

test('a part that cannot be had leaves the page working', async (t) => {
  // The encoder is missing on the server (a broken deploy).
  const { server, newPage } = await session(t, { refuse: (p) => (p === file('encoder') ? 404 : 0) });
  const page = await newPage();
  await page.goto(`${server.url}/www/index.html`);
  await ready(page);
  await page.waitForSelector('body[data-understanding=failed]', { timeout: 120000 });
  assert.match(await page.locator('#understanding').textContent(), /could not be downloaded .*HTTP 404.*still work/);
  await send(page, DUNE);
  const titles = await page.$$eval('.recs:last-of-type .card .title', (n) => n.map((x) => x.textContent));
  assert.ok(titles.some((x) => x.startsWith('Dune Messiah')), titles.join(' | '));
});
