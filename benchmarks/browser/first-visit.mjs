// The first visit and a warm reload of the demo page over an ordinary
// connection: the repository served through a throttled link (default 10
// Mbit/s shared, 40 ms before every response, gzip for HTML, CSS, JS, JSON
// and wasm as static hosts do; bundle parts as they are), headless Chromium
// with a fresh profile. Prints, per visit: time to page ready, to the first
// recommendation (the visitor's first answer typed the moment the page is
// ready), to full understanding (every part attached), bytes per file, and
// memory after full load (wasm linear memory, the page's JS heap).
//
//     node benchmarks/browser/first-visit.mjs [--mbit 10] [--latency 40] [--runs 3] [--bundle goodbooks.json] [--widget]
//
// --widget measures the <kith-recommender> widget in a host page instead
// (tests/browser/pages/bookshop.html: no service worker, so a reload
// downloads again what the browser's HTTP cache does not keep).
//
// Needs www/ staged (./scripts/demo or ./scripts/test). docs/BENCHMARKS.md §4.
import { serve, browser } from '../../tests/browser/harness.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const MBIT = Number(arg('mbit', 10));
const LATENCY = Number(arg('latency', 40));
const RUNS = Number(arg('runs', 3));
const BUNDLE = arg('bundle', 'goodbooks.json');
const WIDGET = process.argv.includes('--widget');
const DUNE = 'I loved Dune for its world-building and political intrigue';

// The visitor, inside the page (a script the browser runs in every new
// document, before the page's own): answers the moment the page is ready
// and notes when the list for that answer appears. Times are the page's own
// (performance.now(): ms since navigation); no DevTools round trip sits
// between "ready" and the answer.
const VISITOR = `(() => {
  const answer = ${JSON.stringify(DUNE)};
  window.kithVisit = {};
  const watch = () => {
    const body = document.body;
    let lists = -1;
    new MutationObserver(() => {
      if (body.dataset.ready === 'true' && lists < 0) {
        lists = document.querySelectorAll('.recs').length;
        window.kithVisit.ready = performance.now();
        document.getElementById('say').value = answer;
        document.getElementById('ask').requestSubmit();
      }
      if (lists >= 0 && window.kithVisit.first === undefined && document.querySelectorAll('.recs').length > lists) {
        window.kithVisit.first = performance.now();
      }
    }).observe(body, { attributes: true, childList: true, subtree: true });
  };
  if (document.body) watch(); else document.addEventListener('DOMContentLoaded', watch);
  document.addEventListener('kith-ready', (e) => {
    window.kithVisit.ready = performance.now();
    const w = e.target;
    w.shadowRoot.querySelector('input').value = answer;
    w.shadowRoot.querySelector('form').requestSubmit();
  });
  document.addEventListener('kith-shown', () => {
    if (window.kithVisit.ready !== undefined && window.kithVisit.first === undefined) window.kithVisit.first = performance.now();
  });
})();`;

// One visit: navigate, wait for the in-page visitor's first list and for
// full understanding (the demo page's body[data-understanding], or the
// widget's kith-understanding with nothing pending), then read the bytes
// per file, memory and the page's own timing marks.
async function visit(page, server, go, widget) {
  const before = server.sentBy();
  await go();
  await page.waitForFunction(() => window.kithVisit && window.kithVisit.first !== undefined, null, { timeout: 300000, polling: 50 });
  const v = await page.evaluate(() => window.kithVisit);
  const done = widget
    ? () => window.kithEvents.some((e) => e.type === 'kith-understanding' && e.detail.pending.length === 0) && performance.now()
    : () => ['full', 'failed', 'none'].includes(document.body.dataset.understanding) && performance.now();
  const full = Math.round(await (await page.waitForFunction(done, null, { timeout: 600000, polling: 20 })).jsonValue());
  const understanding = widget ? 'full' : await page.evaluate(() => document.body.dataset.understanding);
  const after = server.sentBy();
  const bytes = {};
  for (const [p, n] of after) {
    const d = n - (before.get(p) || 0);
    if (d > 0) bytes[p] = d;
  }
  const worker = page.workers()[0];
  const wasm = worker ? (await worker.evaluate(() => (self.kithMemory ? self.kithMemory().wasm : 0))) : 0;
  const heap = await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize : 0));
  // The demo page's marks: the worker's start-up, the attaches, the first turn.
  const marks = await page.evaluate(() => {
    const d = document.body.dataset;
    const w = document.querySelector('kith-recommender');
    return { start: (w && w.timings ? JSON.stringify(w.timings) : d.timings) || '{}', turn: d.turnTimings || '{}', text: d.attachtext, encoder: d.attachencoder };
  });
  const timings = JSON.parse(marks.start);
  if (!widget) {
    timings['attach text (ms)'] = Number(marks.text);
    timings['attach encoder (ms)'] = Number(marks.encoder);
    for (const [k, ms] of Object.entries(JSON.parse(marks.turn))) timings[`first ${k} (ms)`] = ms;
  }
  return { ready: Math.round(v.ready), first: Math.round(v.first), full, understanding, bytes, wasm, heap, timings };
}

const runs = [];
for (let r = 0; r < RUNS; r++) {
  const server = await serve({ rate: (MBIT * 1e6) / 8, latency: LATENCY, gzip: true });
  const b = await browser();
  try {
    const page = await b.ctx.newPage();
    await page.addInitScript(VISITOR);
    if (WIDGET) {
      const url = `${server.url}/tests/browser/pages/bookshop.html`;
      const cold = await visit(page, server, () => page.goto(url), true);
      const warm = await visit(page, server, () => page.reload(), true);
      runs.push({ cold, warm });
      continue;
    }
    const cold = await visit(page, server, () => page.goto(`${server.url}/www/index.html?bundle=${BUNDLE}`));
    // The service worker keeps the page and every part: wait until it has.
    await page.waitForFunction(async () => {
      const parts = await caches.open('kith-parts');
      return (await parts.keys()).length >= 3 && navigator.serviceWorker.controller !== null;
    }, null, { timeout: 120000 }).catch(() => {});
    const warm = await visit(page, server, () => page.reload());
    runs.push({ cold, warm });
  } finally {
    await b.close();
    server.close();
  }
}

const med = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log(`first visit of ${WIDGET ? 'the widget in tests/browser/pages/bookshop.html' : `www/index.html?bundle=${BUNDLE}`} at ${MBIT} Mbit/s, ${LATENCY} ms per request, gzip for text and wasm; median of ${RUNS}`);
for (const kind of ['cold', 'warm']) {
  const v = runs.map((x) => x[kind]);
  const total = v.map((x) => Object.values(x.bytes).reduce((a, b) => a + b, 0));
  console.log(`${kind}: page ready ${med(v.map((x) => x.ready))} ms, first recommendation ${med(v.map((x) => x.first))} ms, ` +
    `full understanding ${med(v.map((x) => x.full))} ms (${v.map((x) => x.understanding).join('/')}), ${(med(total) / 1e6).toFixed(2)} MB transferred; ` +
    `memory after load: wasm ${(med(v.map((x) => x.wasm)) / 1e6).toFixed(0)} MB, page JS heap ${(med(v.map((x) => x.heap)) / 1e6).toFixed(1)} MB`);
  const paths = [...new Set(v.flatMap((x) => Object.keys(x.bytes)))].sort();
  for (const p of paths) {
    const n = med(v.map((x) => x.bytes[p] || 0));
    if (n > 0) console.log(`    ${p.padEnd(56)} ${(n / 1e6).toFixed(3)} MB`);
  }
}
console.log(`runs: ${JSON.stringify(runs.map((r) => ({ cold: [r.cold.ready, r.cold.first, r.cold.full], warm: [r.warm.ready, r.warm.first, r.warm.full] })))}`);
console.log(`worker start-up, ms since the worker started (page: ms since navigation when init returned): ${JSON.stringify(runs.map((r) => ({ cold: r.cold.timings, warm: r.warm.timings })))}`);
