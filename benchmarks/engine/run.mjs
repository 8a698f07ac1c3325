// The engine in headless Chromium (wasm, one thread): bundle load and
// conversational turn times on the demo bundle, as the browser runs them.
//
//     node benchmarks/engine/run.mjs        # needs pkg/ and models/goodbooks.kith
//
// Prints medians and p90s; compare within one run, not across runs.
import { serve, browser } from '../../tests/browser/harness.mjs';

const server = await serve();
const b = await browser();
try {
  const page = await b.ctx.newPage();
  await page.goto(`${server.url}/tests/browser/pages/engine.html`);
  const r = await page.evaluate(async () => {
    const { Kith, bytes } = await window.kith;
    const med = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
    const p90 = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.round((s.length - 1) * 0.9)]; };
    const loads = [];
    let kith;
    for (let i = 0; i < 3; i++) { const t = performance.now(); kith = new Kith(bytes); loads.push(performance.now() - t); }
    const openings = ['I loved Dune for its world-building and political intrigue', 'something by Terry Pratchett, but no romance',
      'cozy village mysteries with an amateur sleuth', 'I want a good book', 'anything but horror, I liked The Hunger Games'];
    const follow = ['more like the second one', 'something different', 'yes', 'shorter please'];
    const first = [], later = [], feedback = [];
    kith.openSession().say(openings[0]);
    for (let round = 0; round < 4; round++) {
      for (const o of openings) {
        const s = kith.openSession();
        let t = performance.now();
        const reply = s.say(o);
        first.push(performance.now() - t);
        for (const f of follow) { t = performance.now(); s.say(f); later.push(performance.now() - t); }
        t = performance.now();
        s.feedback(reply.recommendations[round].id, 'love');
        feedback.push(performance.now() - t);
      }
    }
    return { bytes: bytes.length, load: med(loads), first: [med(first), p90(first), first.length],
      later: [med(later), p90(later), later.length], feedback: [med(feedback), p90(feedback)] };
  });
  const f = (x) => x.toFixed(1);
  console.log(`bundle ${(r.bytes / 1e6).toFixed(1)} MB: new Kith(bytes) median ${f(r.load)} ms (checksums, catalog, encoder, indexes)`);
  console.log(`first turn: median ${f(r.first[0])} ms, p90 ${f(r.first[1])} ms (${r.first[2]} turns)`);
  console.log(`follow-up turns: median ${f(r.later[0])} ms, p90 ${f(r.later[1])} ms (${r.later[2]} turns)`);
  console.log(`feedback: median ${f(r.feedback[0])} ms, p90 ${f(r.feedback[1])} ms`);
} finally {
  await b.close();
  server.close();
}
