// Shared by the browser tests: a static server over the repository on
// 127.0.0.1 and a headless Debian Chromium (playwright-core, fresh profile).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TYPES = { '.html': 'text/html', '.css': 'text/css', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.webmanifest': 'application/manifest+json' };
const SERVED = ['pkg', 'models', 'tests/fixtures', 'tests/browser/pages', 'www', 'benchmarks/browser'];

/** Serves the repository's public folders; `sent()` is the bytes served so far. */
export function serve() {
  let sent = 0;
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
    const file = path.normalize(path.join(REPO, url));
    const allowed = SERVED.some((d) => file.startsWith(path.join(REPO, d) + path.sep));
    if (!allowed || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const size = fs.statSync(file).size;
    sent += size;
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Content-Length': size });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, sent: () => sent, close: () => server.close() })));
}

export async function browser() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-test-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return { ctx, close: async () => { await ctx.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

export function cosine(a, b) {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / Math.sqrt(na * nb);
}

/**
 * One test's server and browser, closed after it: every request the
 * browser makes and every page error are recorded.
 */
export async function session(t) {
  const server = await serve();
  const b = await browser();
  const requests = [];
  const errors = [];
  b.ctx.on('request', (r) => requests.push(r.url()));
  t.after(async () => { await b.close(); server.close(); });
  const newPage = async () => {
    const page = await b.ctx.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => d.accept());
    return page;
  };
  return { server, b, requests, errors, newPage };
}

/** Waits until the demo page has loaded Kith. */
export async function ready(page) {
  await page.waitForSelector('body[data-ready=true]', { timeout: 120000 });
}

/** Says something on the demo page and waits for the reply's list. */
export async function send(page, text) {
  const before = await page.locator('.recs').count();
  await page.fill('#say', text);
  await page.press('#say', 'Enter');
  await page.waitForFunction((n) => document.querySelectorAll('.recs').length > n, before, { timeout: 30000 });
}
