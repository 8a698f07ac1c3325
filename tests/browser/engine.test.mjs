// The engine in wasm (headless Chromium) on the demo bundle: the same
// conversation as the native build, typed errors as JS exceptions, and the
// profile's export / import round trip.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { REPO, session } from './harness.mjs';

const DUNE = 'I loved Dune for its world-building and political intrigue';

test('wasm engine', async (t) => {
  const { server, errors, newPage } = await session(t);
  const page = await newPage();
  await page.goto(`${server.url}/tests/browser/pages/engine.html`);

  const out = await page.evaluate(async (dune) => {
    const { Kith, Scorer, bytes } = await window.kith;
    const kith = new Kith(bytes);
    const info = kith.info();
    const s = kith.openSession();
    const first = s.say(dune);
    const more = s.say('more like the second one');
    const saved = s.exportProfile();
    const again = kith.openSession(saved).recommend();
    const catchMsg = (f) => { try { f(); return null; } catch (e) { return `${e.constructor.name}: ${e.message}`; } };
    return {
      info,
      first,
      more,
      savedPicks: JSON.parse(saved).picks,
      sameAfterImport: JSON.stringify(again.recommendations.map((r) => r.id)) === JSON.stringify(s.recommend().recommendations.map((r) => r.id)),
      errors: {
        truncated: catchMsg(() => new Kith(bytes.slice(0, bytes.length - 1000))),
        corruptProfile: catchMsg(() => kith.openSession('{not json')),
        unknownItem: catchMsg(() => s.feedback('no-such-id', 'love')),
        badKind: catchMsg(() => s.feedback(first.recommendations[0].id, 'meh')),
        badControls: catchMsg(() => s.setControls({ ...s.controls(), diversity: 5 })),
        badVariant: catchMsg(() => kith.openSession(undefined, 'bogus')),
        badImport: catchMsg(() => s.importProfile('{"version": 99}')),
        scorerShape: catchMsg(() => new Scorer(2, new Float32Array(5), new Float32Array(2))),
        scorerUser: catchMsg(() => new Scorer(2, new Float32Array(4), new Float32Array(2)).topK(new Float32Array(3), 1)),
      },
      // Three items in two dims: the best for (1, 0) is item 2, then 0.
      scorer: Array.from(new Scorer(2, Float32Array.of(0.5, 0, 0, 1, 2, 0), Float32Array.of(0, 0.1, 0)).topK(Float32Array.of(1, 0), 2)),
      variant: kith.openSession(undefined, 'content').variant(),
      variants: info.variants,
      three: s.setControls({ ...s.controls(), count: 3 }).recommendations.length,
      empty: s.say('   '),
      // The scripted form (the lines `kith chat --json` reads) answers as the calls do.
      scripted: (() => {
        const a = kith.openSession();
        const b = kith.openSession();
        const ids = (r) => r.recommendations.map((x) => x.id);
        const said = [ids(a.apply({ kind: 'say', text: dune })), ids(b.say(dune))];
        const seen = said[0][0];
        const after = [ids(a.apply({ kind: 'feedback', id: seen, feedback: 'already_seen' })), ids(b.feedback(seen, 'already_seen'))];
        return { said, after, seen, bad: catchMsg(() => a.apply({ kind: 'shout', text: 'x' })) };
      })(),
    };
  }, DUNE);

  await t.test('loads the demo bundle with the encoder', () => {
    assert.equal(out.info.items, 10000);
    assert.equal(out.info.hasEncoder, true);
    assert.equal(out.info.openingQuestion, 'What have you enjoyed reading lately?');
  });

  await t.test('the Dune turn matches the native engine', () => {
    assert.deepEqual(out.first.understood.liked, ['Dune (Dune Chronicles #1)']);
    const titles = out.first.recommendations.map((r) => r.title);
    assert.ok(titles.some((x) => x.startsWith('Dune Messiah')), titles.join(' | '));
    for (const r of out.first.recommendations) assert.ok(r.explanation.length > 0);
    const native = JSON.parse(execFileSync(path.join(REPO, 'target/release/kith'),
      ['recommend', '--bundle', path.join(REPO, 'models/goodbooks.kith'), '--say', DUNE, '--json']));
    const wasmIds = out.first.recommendations.map((r) => r.id);
    const nativeIds = native.recommendations.map((r) => r.id);
    const shared = wasmIds.filter((id) => nativeIds.includes(id)).length;
    assert.ok(shared >= 9, `wasm ${wasmIds} vs native ${nativeIds}`);
    assert.equal(out.first.question, native.question);
  });

  await t.test('a scripted change answers as the call does', () => {
    assert.deepEqual(out.scripted.said[0], out.scripted.said[1]);
    assert.deepEqual(out.scripted.after[0], out.scripted.after[1]);
    assert.ok(!out.scripted.after[0].includes(out.scripted.seen));
    assert.match(out.scripted.bad, /not a change/);
  });

  await t.test('follow-ups and the profile round trip', () => {
    assert.equal(out.more.understood.follow_up.more_like, 1);
    assert.ok(out.savedPicks.some((p) => p.strength === 0.8));
    assert.ok(out.sameAfterImport);
    assert.equal(out.three, 3);
    assert.ok(out.empty.question && out.empty.notes.length > 0);
  });

  await t.test('Scorer ranks like the formula; variants are named', () => {
    assert.deepEqual(out.scorer, [2, 0]);
    assert.equal(out.variant, 'content');
    assert.deepEqual(out.variants, ['balanced', 'collaborative', 'content', 'discovery', 'no-questions']);
  });

  await t.test('Kith.load downloads with progress; a missing URL is an Error', async () => {
    const r = await page.evaluate(async () => {
      const { Kith } = await window.kith;
      const seen = [];
      const k = await Kith.load('/models/goodbooks.kith', (loaded, total) => seen.push([loaded, total]));
      let missing = null;
      try { await Kith.load('/models/missing.kith'); } catch (e) { missing = `${e.constructor.name}: ${e.message}`; }
      return { items: k.info().items, seen: seen.length, last: seen[seen.length - 1], missing };
    });
    assert.ok(r.items >= 10000);
    assert.ok(r.seen > 1, `progress reported ${r.seen} times`);
    assert.equal(r.last[0], r.last[1], 'the last report is the whole file');
    assert.match(r.missing, /^Error: could not download \/models\/missing.kith: HTTP 404/);
  });

  await t.test('bad input is a JS Error with the reason, never a crash', () => {
    assert.match(out.errors.truncated, /^Error: .*checksum|truncated/);
    assert.match(out.errors.corruptProfile, /unreadable/);
    assert.match(out.errors.unknownItem, /no item with id "no-such-id"/);
    assert.match(out.errors.badKind, /unknown feedback "meh"/);
    assert.match(out.errors.badControls, /diversity/);
    assert.match(out.errors.badVariant, /unknown variant "bogus"/);
    assert.match(out.errors.badImport, /version/);
    assert.match(out.errors.scorerShape, /^Error: /);
    assert.match(out.errors.scorerUser, /^Error: /);
    assert.deepEqual(errors, []);
  });
});
