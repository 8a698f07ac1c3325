// The page side of Kith's worker, shared by the demo page and the widget:
// numbered requests answered in order, plus the worker's own notices
// ('progress' while the bundle downloads, 'changed' when another tab saved).
// No decisions here: those are in Rust.
//
// A worker that dies — terminated by the browser, out of memory, or its
// wasm instance stopped by a trap — is noticed (an error event, an error
// that only a dead instance gives, or no answer to a ping while a request
// waits), restarted with the same `init`, and the requests it had not
// answered are sent again once, so the visitor's last turn is not lost
// (it was not saved either: saving is the last step of a turn). The page
// hears a 'restarted' event.

// What a wasm instance that can no longer run says (a panic is a trap).
const DEAD = /unreachable|RuntimeError|memory access out of bounds|Out of memory|recursive use of an object/i;

// Restarts in one page's life before Kith gives up and says so.
const MAX_RESTARTS = 3;

// The engine's wasm, compiled on the page and handed to the worker, which
// only instantiates it. Chromium keeps the machine code of a module
// compiled in a window between visits, but not of one compiled in a
// worker: compiled here, a returning visitor's engine starts on optimised
// code instead of recompiling and re-warming (docs/BENCHMARKS.md §4).
// Null when it cannot be done here (no streaming compile, a wrong MIME
// type, a failed download): the worker then fetches and compiles the
// wasm itself, and reports what went wrong.
async function compileEngine(url) {
  try {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.compileStreaming !== 'function') return null;
    const res = await fetch(url);
    if (!res.ok) return null;
    return await WebAssembly.compileStreaming(res);
  } catch {
    return null;
  }
}

// The parts manifest (`kith split`, a .json file), read on the page the
// moment `init` names it: its round trip then overlaps the worker's start
// instead of following it (the worker can only fetch once its own scripts
// are in). Null for a single-file bundle or when it cannot be read here;
// the worker then reads it itself, from the network or its cache.
async function readManifestText(url) {
  try {
    if (!/\.json([?#]|$)/.test(url.pathname)) return null;
    const res = await fetch(url);
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}

export class KithClient extends EventTarget {
  /**
   * Starts the worker and compiles the engine's wasm; the bundle is read
   * only from `call('init', …)` on.
   * `patience` (ms): how long a request may wait before the worker is
   * asked for a sign of life (it answers at once unless it is dead or
   * stuck in one computation for that long). `worker`: one already
   * started from `workerUrl` (the widget starts it while this script is
   * still downloading, so the worker's own scripts load one round trip
   * sooner); its `earlyError`, if set, is an error it gave before it was
   * handed over.
   */
  constructor(workerUrl = new URL('./kith-worker.js', import.meta.url), { patience = 8000, worker = null } = {}) {
    super();
    this.workerUrl = workerUrl;
    this.patience = patience;
    this.nextId = 1;
    this.pending = new Map();
    this.initArgs = null;
    this.restarts = 0;
    this.closed = false;
    this.engine = compileEngine(new URL('./pkg/kith_bg.wasm', new URL(workerUrl, location.href)));
    this.manifest = null;
    this.start(worker);
    this.watch = setInterval(() => this.checkAlive(), Math.max(500, patience / 4));
  }

  start(started = null) {
    const worker = started || new Worker(this.workerUrl, { type: 'module' });
    this.worker = worker;
    this.alive = Date.now();
    // The compiled engine (or null) for this worker, and for a restarted one.
    this.engine.then((module) => {
      if (this.worker === worker && !this.closed) worker.postMessage({ op: 'engine', module });
    });
    this.sendManifest(worker);
    this.worker.onmessage = (e) => {
      this.alive = Date.now();
      const m = e.data || {};
      if (m.type) {
        this.dispatchEvent(new CustomEvent(m.type, { detail: m }));
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      if (p.op === 'ping') {
        this.pending.delete(m.id);
        p.resolve(m.value);
        return;
      }
      if (!m.ok && DEAD.test(m.error || '') && !p.retried) {
        this.restart(`its engine stopped (${m.error})`);
        return;
      }
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
    };
    this.worker.onerror = (e) => {
      e.preventDefault();
      if (!this.initArgs) {
        // It never started: a missing or broken script, nothing to replay.
        const err = new Error(`Kith's worker failed: ${e.message || 'could not start'}`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        return;
      }
      this.restart(`its worker failed (${e.message || 'no reason given'})`);
    };
    if (started && started.earlyError) {
      const e = started.earlyError;
      setTimeout(() => { if (this.worker === worker && worker.onerror) worker.onerror(e); }, 0);
    }
  }

  // The manifest as the page read it (text or null), for this worker and
  // for a restarted one.
  sendManifest(worker) {
    if (!this.manifest) return;
    this.manifest.then((text) => {
      if (this.worker === worker && !this.closed) worker.postMessage({ op: 'manifest', text });
    });
  }

  /** Sends one operation; resolves with its value, rejects with its error. */
  call(op, args) {
    if (this.closed) return Promise.reject(new Error('Kith was closed'));
    if (op === 'init') {
      // The worker resolves the bundle against its own script's address.
      const base = new URL(this.workerUrl, location.href);
      this.manifest = readManifestText(new URL(String(args.bundle), base));
      args = { ...args, engineFromPage: true, manifestFromPage: true };
      this.initArgs = args;
      this.sendManifest(this.worker);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { op, args, resolve, reject, sent: Date.now(), retried: false });
      this.worker.postMessage({ id, op, args });
    });
  }

  // A request has waited longer than `patience` and the worker has been
  // silent as long: ask it for a sign of life, and restart it if none comes.
  checkAlive() {
    if (this.closed || this.probing || !this.initArgs) return;
    const now = Date.now();
    const waiting = [...this.pending.values()].some((p) => p.op !== 'ping' && now - p.sent > this.patience);
    if (!waiting || now - this.alive < this.patience) return;
    this.probing = true;
    const id = this.nextId++;
    const answered = new Promise((resolve) => this.pending.set(id, { op: 'ping', resolve, reject: resolve, sent: now }));
    this.worker.postMessage({ id, op: 'ping' });
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), Math.min(5000, this.patience)));
    Promise.race([answered, timeout]).then((got) => {
      this.probing = false;
      this.pending.delete(id);
      if (got === 'timeout' && !this.closed) this.restart('its worker stopped answering');
    });
  }

  // A new worker, initialised as the first was; the requests the old one
  // had not answered are sent again, once.
  restart(why) {
    if (this.closed) return;
    if (this.restarts >= MAX_RESTARTS) {
      // It cannot run here (a missing script, no memory at all): say so.
      const err = new Error(`Kith's engine keeps stopping (${why})`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      return;
    }
    this.worker.onmessage = null;
    this.worker.onerror = null;
    this.worker.terminate();
    this.restarts += 1;
    const waiting = [...this.pending.entries()].filter(([, p]) => p.op !== 'ping' && p.op !== 'init');
    const initWaiting = [...this.pending.values()].find((p) => p.op === 'init');
    this.pending.clear();
    this.start();
    this.dispatchEvent(new CustomEvent('restarted', { detail: { why, restarts: this.restarts, replayed: waiting.length } }));
    const id = this.nextId++;
    const init = new Promise((resolve, reject) => {
      this.pending.set(id, { op: 'init', args: this.initArgs, resolve, reject, sent: Date.now(), retried: true });
      this.worker.postMessage({ id, op: 'init', args: this.initArgs });
    });
    init.then((value) => {
      if (initWaiting) initWaiting.resolve(value);
      for (const [, p] of waiting) {
        if (p.retried) {
          p.reject(new Error(`Kith's engine stopped twice while answering this (${why})`));
          continue;
        }
        const again = this.nextId++;
        this.pending.set(again, { ...p, sent: Date.now(), retried: true });
        this.worker.postMessage({ id: again, op: p.op, args: p.args });
      }
    }, (err) => {
      if (initWaiting) initWaiting.reject(err);
      for (const [, p] of waiting) p.reject(new Error(`Kith could not restart its engine: ${err.message}`));
    });
  }

  /** Stops the worker (an element leaving the page). */
  close() {
    this.closed = true;
    clearInterval(this.watch);
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error('Kith was closed'));
    this.pending.clear();
  }
}
