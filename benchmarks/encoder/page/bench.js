// One engine per page load: ?engine=kith&mode=quantized|dequantized, or ?engine=tjs.
// Both run on one thread. Reports into window.__result.
import { SENTENCES } from './sentences.js';

const q = new URLSearchParams(location.search);
const ENGINE = q.get('engine');
const MODE = q.get('mode') || 'int8';
const WARMUP = Number(q.get('warmup') || 200);
const PASSES = Number(q.get('passes') || 4);
const r2 = (x) => Math.round(x * 100) / 100;
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };

async function loadKith() {
  const mod = await import('/kith/pkg/kith.js');
  await mod.default('/kith/pkg/kith_bg.wasm');
  const bytes = new Uint8Array(await (await fetch('/kith/models/all-MiniLM-L6-v2.q8.gguf')).arrayBuffer());
  const enc = new mod.Encoder(bytes, MODE);
  return {
    single: (s) => enc.embed(s),
    batch: (ss) => enc.embedBatch(ss),
    first: (v) => Array.from(v.slice(0, 4)),
  };
}

async function loadTjs() {
  const { pipeline, env } = await import('/tjs/lib/@huggingface/transformers/dist/transformers.min.js');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = '/tjs/models/';
  env.useBrowserCache = false;
  env.backends.onnx.wasm.wasmPaths = '/tjs/lib/onnxruntime-web/dist/';
  env.backends.onnx.wasm.numThreads = 1;
  const ex = await pipeline('feature-extraction', 'all-MiniLM-L6-v2', { dtype: 'q8', device: 'wasm' });
  const opts = { pooling: 'mean', normalize: true };
  return {
    single: (s) => ex(s, opts),
    batch: (ss) => ex(ss, opts),
    first: (t) => Array.from(t.data.slice(0, 4)),
  };
}

async function main() {
  const res = { engine: ENGINE, mode: ENGINE === 'kith' ? MODE : 'q8 onnx', warmup_calls: WARMUP };
  const eng = ENGINE === 'kith' ? await loadKith() : await loadTjs();
  res.ready_ms = r2(performance.now());
  const v = await eng.single(SENTENCES[0]);
  res.first_embedding_ms = r2(performance.now()); // from navigation start to the first vector
  res.first_values = eng.first(v);
  for (let i = 0; i < WARMUP; i++) await eng.single(SENTENCES[i % SENTENCES.length]);
  const passMedians = [];
  const all = [];
  for (let p = 0; p < PASSES; p++) {
    const times = [];
    for (const s of SENTENCES) {
      const t = performance.now();
      await eng.single(s);
      times.push(performance.now() - t);
    }
    passMedians.push(r2(median(times)));
    all.push(...times);
  }
  res.single_median_ms = r2(median(all));
  res.single_pass_medians_ms = passMedians;
  const batch = SENTENCES.slice(0, 32);
  let t = performance.now();
  await eng.batch(batch);
  res.batch32_first_ms = r2(performance.now() - t);
  const bt = [];
  for (let i = 0; i < 5; i++) { t = performance.now(); await eng.batch(batch); bt.push(performance.now() - t); }
  res.batch32_median_ms = r2(median(bt));
  window.__result = res;
  document.getElementById('out').textContent = JSON.stringify(res, null, 2);
}

main().catch((e) => { window.__result = { error: String(e && e.stack || e) }; });
