// Runs Kith's encoder and transformers.js side by side in headless Chromium
// (Debian's /usr/bin/chromium driven by playwright-core), one fresh browser
// profile per engine, and prints figures and ratios. Usage: ./run.sh
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const CONFIGS = (process.env.BENCH_CONFIGS || 'kith-int8,tjs').split(',');

async function runOne(server, name) {
  const [engine, mode] = name.split('-');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-bench-'));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    server.reset();
    const page = await ctx.newPage();
    await page.goto(`${server.url}/page/index.html?engine=${engine}${mode ? `&mode=${mode}` : ''}`);
    await page.waitForFunction(() => window.__result, null, { timeout: 600_000, polling: 500 });
    const res = await page.evaluate(() => window.__result);
    if (res.error) throw new Error(`${name}: ${res.error}`);
    res.bytes_downloaded = server.bytes[engine];
    res.files = server.files[engine];
    return res;
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const server = await startServer(REPO);
const results = {};
for (const c of CONFIGS) {
  results[c] = await runOne(server, c);
  const r = results[c];
  console.error(`${c}: single ${r.single_median_ms} ms (pass medians ${r.single_pass_medians_ms.join(', ')}), batch32 ${r.batch32_median_ms} ms, first embedding ${r.first_embedding_ms} ms, ${(r.bytes_downloaded / 1e6).toFixed(1)} MB`);
}
server.close();
const tjs = results.tjs;
const ratios = {};
for (const [name, r] of Object.entries(results)) {
  if (name === 'tjs' || !tjs) continue;
  ratios[name] = {
    single_latency: +(r.single_median_ms / tjs.single_median_ms).toFixed(3),
    batch32: +(r.batch32_median_ms / tjs.batch32_median_ms).toFixed(3),
    first_embedding: +(r.first_embedding_ms / tjs.first_embedding_ms).toFixed(3),
    bytes_downloaded: +(r.bytes_downloaded / tjs.bytes_downloaded).toFixed(3),
  };
}
const out = { machine: `${os.cpus().length} × ${os.cpus()[0]?.model}`, chromium: CHROMIUM, date: new Date().toISOString(), results, ratios_vs_transformersjs: ratios };
fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
fs.writeFileSync(path.join(HERE, 'results/latest.json'), JSON.stringify(out, null, 2));
console.log(JSON.stringify({ ratios_vs_transformersjs: ratios, results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { ...v, files: undefined }])) }, null, 2));
