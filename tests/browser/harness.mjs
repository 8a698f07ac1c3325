// Shared by the browser tests: a static server over the repository on
// 127.0.0.1 and a headless Debian Chromium (playwright-core, fresh profile).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TYPES = { '.html': 'text/html', '.css': 'text/css', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.webmanifest': 'application/manifest+json' };
const SERVED = ['pkg', 'models', 'tests/fixtures', 'tests/browser/pages', 'www', 'benchmarks/browser'];

const COMPRESSED = new Set(['.html', '.css', '.js', '.mjs', '.wasm', '.json', '.svg', '.webmanifest']);

/**
 * Serves the repository's public folders; `sent()` is the bytes served so
 * far and `sentBy()` the bytes per path. Range requests get 206; every
 * response carries an ETag and `Cache-Control: no-cache`, as static hosts
 * commonly serve, so a browser revalidates what it kept (304).
 *
 * Options, for tests and the first-visit benchmark:
 * - `rate` (bytes/s) and `latency` (ms before each response): one shared
 *   link, as a visitor's connection is;
 * - `gzip`: text, JSON and wasm compressed as static hosts do (not .kith);
 * - `hold(path)`: a promise the response waits for (a slow part);
 * - `refuse(path)`: an HTTP error status to answer with (a broken deploy);
 * - `cut(path, attempt)`: bytes after which this response's connection
 *   drops (a flaky network), or undefined;
 * - `replace(path, attempt)`: `{status, type, body}` to answer with instead
 *   of the file (an HTML error page with status 200, a truncated or a wrong
 *   file: a misconfigured host or proxy), or undefined.
 */
export function serve(options = {}) {
  let sent = 0;
  const byPath = new Map();
  const attempts = new Map();
  const ranges = [];
  const zipped = new Map();
  // One link: chunks leave in order, `rate` bytes per second in total.
  let linkFree = 0;
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  async function throttle(n) {
    if (!options.rate) return;
    const now = Date.now();
    linkFree = Math.max(linkFree, now) + (1000 * n) / options.rate;
    if (linkFree > now) await wait(linkFree - now);
  }
  async function body(file, ext, wantsGzip) {
    if (options.gzip && wantsGzip && COMPRESSED.has(ext)) {
      const key = `${file}:${fs.statSync(file).mtimeMs}`;
      if (!zipped.has(key)) zipped.set(key, zlib.gzipSync(fs.readFileSync(file), { level: 6 }));
      return { data: zipped.get(key), encoding: 'gzip' };
    }
    return { data: fs.readFileSync(file), encoding: null };
  }
  const server = http.createServer(async (req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
    const file = path.normalize(path.join(REPO, url));
    const allowed = SERVED.some((d) => file.startsWith(path.join(REPO, d) + path.sep));
    if (options.latency) await wait(options.latency);
    if (!allowed || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    if (options.hold) await options.hold('/' + url);
    const refused = options.refuse && options.refuse('/' + url);
    if (refused) {
      res.writeHead(refused).end();
      return;
    }
    const replaced = options.replace && options.replace('/' + url, (attempts.get('replace:' + url) || 0) + 1);
    attempts.set('replace:' + url, (attempts.get('replace:' + url) || 0) + 1);
    if (replaced) {
      const data = Buffer.from(replaced.body);
      sent += data.length;
      res.writeHead(replaced.status || 200, { 'Content-Type': replaced.type || 'text/html', 'Content-Length': data.length, 'Cache-Control': 'no-cache' });
      res.end(data);
      return;
    }
    const ext = path.extname(file);
    const stat = fs.statSync(file);
    // Validators as static hosts send them: a browser revalidates (304).
    const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag }).end();
      return;
    }
    const { data, encoding } = await body(file, ext, /gzip/.test(req.headers['accept-encoding'] || ''));
    const headers = { 'Content-Type': TYPES[ext] || 'application/octet-stream', 'Accept-Ranges': 'bytes', ETag: etag,
      'Last-Modified': stat.mtime.toUTCString(), 'Cache-Control': 'no-cache' };
    if (encoding) headers['Content-Encoding'] = encoding;
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range || '');
    if (range && !encoding) {
      start = Number(range[1]);
      ranges.push({ path: '/' + url, start });
      if (start >= data.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    }
    const slice = data.subarray(start);
    headers['Content-Length'] = slice.length;
    const attempt = (attempts.get(url) || 0) + 1;
    attempts.set(url, attempt);
    const cut = options.cut ? options.cut('/' + url, attempt) : undefined;
    res.writeHead(status, headers);
    const CHUNK = 16384;
    for (let at = 0; at < slice.length; at += CHUNK) {
      const piece = slice.subarray(at, Math.min(slice.length, at + CHUNK));
      if (cut !== undefined && at + piece.length > cut) {
        res.destroy();
        return;
      }
      await throttle(piece.length);
      if (res.destroyed) return;
      sent += piece.length;
      byPath.set('/' + url, (byPath.get('/' + url) || 0) + piece.length);
      if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    sent: () => sent,
    sentBy: () => new Map(byPath),
    ranges: () => [...ranges],
    close: () => { server.closeAllConnections(); server.close(); },
  })));
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
export async function session(t, serverOptions = {}) {
  const server = await serve(serverOptions);
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

const AXE = fs.readFileSync(path.join(REPO, 'tests/browser/node_modules/axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's accessibility audit of the page as it is now (WCAG 2.1 A and
 * AA rules and axe's best practices): the violations, each with the
 * selectors of the offending nodes, as a readable list. `selector` limits
 * it to one element (a widget in a host page whose own styles are not ours).
 */
export async function audit(page, selector) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const violations = await page.evaluate(async (selector) => (await window.axe.run(selector ? { include: [[selector]] } : document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    resultTypes: ['violations'],
  })).violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })), selector);
  return violations;
}

/**
 * IndexedDB from the page, as the page's own origin sees it: `op` is put,
 * get or count. (Functions run through the DevTools protocol: the page's
 * CSP forbids eval, rightly.)
 */
export function idb(page, op, store, key, value) {
  return page.evaluate(([op, store, key, value]) => new Promise((resolve, reject) => {
    const open = indexedDB.open('kith');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(store, op === 'put' ? 'readwrite' : 'readonly');
      const s = tx.objectStore(store);
      const r = op === 'put' ? s.put(value, key) : op === 'get' ? s.get(key) : s.count();
      let result;
      r.onsuccess = () => { result = r.result; };
      tx.oncomplete = () => { db.close(); resolve(result); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    };
  }), [op, store, key, value]);
}
