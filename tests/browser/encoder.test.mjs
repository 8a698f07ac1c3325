// The encoder in wasm (headless Chromium): same vectors as the NumPy
// reference and as the native build, and bad input is a JS error, not a crash.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { REPO, session, cosine } from './harness.mjs';

const fixture = JSON.parse(fs.readFileSync(path.join(REPO, 'tests/fixtures/minilm_reference.json'), 'utf8'));
const texts = fixture.cases.map((c) => c.text);

test('wasm encoder', async (t) => {
  const { server, errors, newPage } = await session(t);
  const page = await newPage();
  await page.goto(`${server.url}/tests/browser/pages/encoder.html`);

  const wasm = await page.evaluate(async (texts) => {
    const { Encoder, bytes } = await window.kith;
    const enc = new Encoder(bytes);
    const flat = enc.embedBatch(texts);
    const dim = enc.dim();
    const out = [];
    for (let i = 0; i < texts.length; i++) out.push(Array.from(flat.slice(i * dim, (i + 1) * dim)));
    const single = Array.from(enc.embed(texts[0]));
    return { dim, out, single, ids: Array.from(enc.tokenIds(texts[0])) };
  }, texts);

  await t.test('agrees with the NumPy reference (cosine >= 0.999 for every sentence)', () => {
    assert.equal(wasm.dim, 384);
    fixture.cases.forEach((c, i) => {
      const cos = cosine(wasm.out[i], c.embedding);
      assert.ok(cos >= 0.999, `${JSON.stringify(c.text)}: ${cos}`);
    });
    assert.deepEqual(wasm.ids, fixture.cases[0].ids);
  });

  await t.test('matches the native build to within rounding', () => {
    const native = JSON.parse(execFileSync(path.join(REPO, 'target/release/kith'),
      ['embed', '--model', path.join(REPO, 'models/all-MiniLM-L6-v2.q8.gguf'), '--json', '--', ...texts], { encoding: 'utf8' })).embeddings;
    native.forEach((v, i) => {
      const cos = cosine(v, wasm.out[i]);
      assert.ok(cos > 0.99999, `${JSON.stringify(texts[i])}: native vs wasm ${cos}`);
    });
    assert.ok(cosine(wasm.single, wasm.out[0]) > 0.999999, 'batch and single agree');
  });

  await t.test('a broken model file is a JS exception, long input is truncated, and the instance survives', async () => {
    const r = await page.evaluate(async () => {
      const { Encoder, bytes } = await window.kith;
      const msgs = [];
      for (const bad of [bytes.slice(0, 1000), new Uint8Array([1, 2, 3]), bytes.slice(0, bytes.length - 7)]) {
        try { new Encoder(bad); msgs.push('no error'); } catch (e) { msgs.push(String(e.message || e)); }
      }
      try { new Encoder(bytes, 'warp-speed'); msgs.push('no error'); } catch (e) { msgs.push(String(e.message || e)); }
      const enc = new Encoder(bytes);
      const again = enc.embed('still alive');
      const long = enc.embed('the quick brown fox jumps over the lazy dog '.repeat(600));
      const longIds = enc.tokenIds('the quick brown fox jumps over the lazy dog '.repeat(600)).length;
      const norm = Math.sqrt(Array.from(long).reduce((a, v) => a + v * v, 0));
      return { msgs, alive: again.length, long: long.length, longIds, norm };
    });
    for (const m of r.msgs) assert.match(m, /encoder model|encoder mode/, m);
    assert.equal(r.alive, 384);
    assert.equal(r.long, 384, 'very long input still gives a vector');
    assert.equal(r.longIds, 256, 'and is truncated to 256 tokens');
    assert.ok(Math.abs(r.norm - 1) < 1e-3);
    assert.deepEqual(errors, []);
  });
});
