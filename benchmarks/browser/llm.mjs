// The phrasing model in headless Chromium (wasm, +simd128, one thread):
// download size, load time, time to the first text of a phrasing prompt
// (cold: the whole prompt; warm: the shared system prompt and examples
// cached) and decoding speed, for the Q8_0 and Q4_0 conversions.
//
//     node benchmarks/browser/llm.mjs     # needs pkg/ and `kith model convert --llm` (+ --quant q4_0 --out models/SmolLM2-135M-Instruct.q4.gguf)
import fs from 'node:fs';
import path from 'node:path';
import { REPO, serve, browser } from '../../tests/browser/harness.mjs';

const files = ['SmolLM2-135M-Instruct.q8.gguf', 'SmolLM2-135M-Instruct.q4.gguf'].filter((f) => fs.existsSync(path.join(REPO, 'models', f)));
const server = await serve();
const b = await browser();
try {
  const page = await b.ctx.newPage();
  await page.goto(`${server.url}/benchmarks/browser/llm.html`);
  await page.waitForFunction(() => window.benchReady);
  for (const f of files) {
    const r = await page.evaluate(([url]) => window.bench(url, 6), [`/models/${f}`]);
    const cold = r.runs[0];
    const warm = r.runs.slice(1);
    const med = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
    const decode = warm.map((x) => (x.tokens - 1) / ((x.total - x.first) / 1000));
    console.log(`${f}: ${(r.bytes / 1e6).toFixed(1)} MB; load ${r.loadMs.toFixed(0)} ms`);
    console.log(`  cold prompt (${cold.prompt} tokens): first text after ${cold.first.toFixed(0)} ms`);
    console.log(`  warm prompt (${warm[0].cached} of ${warm[0].prompt} tokens cached): first text after ${med(warm.map((x) => x.first)).toFixed(0)} ms`);
    console.log(`  decoding: ${med(decode).toFixed(1)} tokens/s; a ${warm[0].tokens}-token sentence in ${med(warm.map((x) => x.total)).toFixed(0)} ms`);
    console.log(`  sample: ${JSON.stringify(warm[0].text)}`);
  }
} finally {
  await b.close();
  server.close();
}
