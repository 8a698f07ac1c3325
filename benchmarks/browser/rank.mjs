// Ranking latency in headless Chromium (one thread): Kith's wasm MF scoring
// + top-20 (`Scorer.topK`, +simd128) against a plain-JavaScript float32
// loop in the same page, over 10k, 100k and 1M items × 64 dims.
//
//     node benchmarks/browser/rank.mjs          # needs pkg/ (./scripts/build-wasm)
//
// Prints medians and the wasm / JS ratio (target ≤ 0.25); compare within one run.
import { serve, browser } from '../../tests/browser/harness.mjs';

const server = await serve();
const b = await browser();
try {
  const page = await b.ctx.newPage();
  await page.goto(`${server.url}/benchmarks/browser/rank.html`);
  await page.waitForFunction(() => window.benchReady);
  console.log('items      dims  top  plain JS   Kith wasm  ratio  agree');
  for (const [n, reps] of [[10_000, 31], [100_000, 31], [1_000_000, 15]]) {
    const r = await page.evaluate(([n, reps]) => window.bench(n, 64, 20, reps), [n, reps]);
    console.log(`${String(r.n).padEnd(10)} ${r.dim}    ${r.k}   ${r.js.toFixed(2).padStart(7)} ms ${r.wasm.toFixed(2).padStart(7)} ms  ${(r.wasm / r.js).toFixed(2)}   ${r.agree}/${r.k}  (${r.inner} calls per sample)`);
  }
} finally {
  await b.close();
  server.close();
}
