// Kith's worker: the wasm engine and the profile in IndexedDB live here, so
// the page never freezes. It only routes messages; decisions are in Rust.
// The demo page and the <kith-recommender> widget both use it.
//
// page → worker: {id, op, args}; worker → page: {id, ok, value | error},
// plus {type: 'progress', loaded, total} while the bundle downloads and
// {type: 'changed', ...} when another tab saved or deleted the profile.
//
// Staged loading: given a parts manifest (`kith split`, a .json file) the
// worker downloads the small core part, answers `init` from it, then
// fetches the other parts in the background (text embeddings, then the
// encoder), attaching each between turns: {type: 'understanding', part,
// loaded, total} while one arrives, {type: 'understanding', attached,
// pending, info} when it is in use, {type: 'understanding', error} if it
// could not be had (the engine keeps answering from what it has). Parts
// are content-addressed, so they are kept in the 'kith-parts' cache across
// versions (by the service worker, or by this worker on a page without
// one) and read from there first; this worker drops the cached parts of
// this catalog that the manifest no longer lists.
//
// Two tabs: every save is read → absorb → commit → write under a Web Lock,
// so the other tab's newer revision is never overwritten (its changes are
// replayed in Rust, src/core/sync.rs); a BroadcastChannel tells the other tabs.
//
// Phrasing (optional): once the page turns it on, every reply's question
// and first explanations are rewritten by the small language model, one
// sentence at a time between other messages, streamed to the page as
// {type: 'phrase', turn, index, slot, text} and closed by {type: 'phrased',
// turn, index, slot, result}; a newer reply cancels what is left. The
// model is its own wasm module (pkg/kith_phrasing.js), downloaded only
// then; it only continues the engine's prompt, and every piece of its
// text passes the engine's guard (Session.phraseBegin/phrasePiece/phraseEnd)
// before the page sees it.
import init, {
  Kith, loadProfile, saveProfile, backupProfile, deleteEverything, fetchBytes, readManifest, memoryBytes,
  storageWiped,
} from './pkg/kith.js';
import { PARTS_CACHE, prefetchCore, genuine } from './kith-prefetch.js';

const PHRASE_TOP = 3;
// The engine's wasm as the page compiled it (www/kith-client.js sends it in
// an 'engine' message, a WebAssembly.Module or null), so a returning
// visitor's engine starts on the machine code the browser kept.
let engineSent;
const engineFromPage = new Promise((resolve) => { engineSent = resolve; });
// The parts manifest as the page read it ('manifest' message: its text, or
// null when the page could not read it), so this worker need not wait for
// its own round trip.
let manifestSent;
const manifestFromPage = new Promise((resolve) => { manifestSent = resolve; });
let phraser = null;
let phrasing = false;
let turn = 0;
let jobs = [];
let kith = null;
let session = null;
let catalog = null;
let variant = null;
let channel = null;

// One writer at a time across every tab of this origin.
function locked(fn) {
  return navigator.locks ? navigator.locks.request(`kith-profile:${catalog}`, fn) : fn();
}

async function stored() {
  const raw = await loadProfile(catalog);
  return typeof raw === 'string' ? raw : undefined;
}

// Takes in what another tab stored; an unreadable record is kept aside.
async function absorb(raw) {
  try {
    return session.absorb(raw);
  } catch (err) {
    await backupProfile(catalog, raw, err.message);
    return { merged: false, replayed: 0, failed: [], recovered: err.message };
  }
}

// Saves the profile: read → absorb → write under the lock. A write that
// fails (storage full, storage gone) changes nothing in the session — the
// change stays unsaved and goes into the next save — and the page is told
// why; the conversation goes on. If the browser wiped storage under this
// tab, the tab's whole profile is written back.
async function persist() {
  try {
    const got = await locked(async () => {
      const raw = await stored();
      let got;
      if (raw !== undefined && kith.profileIsNewer(raw)) {
        // A newer Kith saved it (another tab, a newer deploy): never
        // overwrite it; this tab's changes stay unsaved until it reloads.
        return { saveProblem: NEWER };
      }
      if (raw === undefined && storageWiped()) {
        session.keepAfterWipe();
        got = { merged: false, wiped: true };
      } else {
        got = await absorb(raw);
      }
      await saveProfile(catalog, session.toSave());
      session.saved();
      return got;
    });
    if (channel && !got.saveProblem) channel.postMessage({ saved: catalog });
    return got;
  } catch (err) {
    return { saveProblem: String(err && err.message ? err.message : err) };
  }
}

// The save problem that means "a newer Kith owns the stored profile".
const NEWER = 'newer version';

function state(reply, sync) {
  if (reply) schedulePhrasing();
  return {
    reply, turn, summary: session.summary(), variant: session.variant(), merged: Boolean(sync && sync.merged),
    saveProblem: (sync && sync.saveProblem) || null, wiped: Boolean(sync && sync.wiped),
  };
}

// A new reply: forget the old one's sentences, queue this one's.
function schedulePhrasing() {
  turn += 1;
  jobs = [];
  if (!phraser || !phrasing) return;
  const slots = session.phrasingSlots(PHRASE_TOP);
  jobs = slots.map((s, index) => ({ turn, index, slot: s.slot }));
  setTimeout(pump, 0);
}

// One sentence per task, so a visitor's next message is never stuck
// behind a whole list of them.
function pump() {
  if (busy || !jobs.length) return;
  const job = jobs.shift();
  if (job.turn === turn && phraser && phrasing) {
    try {
      const result = phraseOne(job.index, (text) =>
        postMessage({ type: 'phrase', turn: job.turn, index: job.index, slot: job.slot, text }));
      postMessage({ type: 'phrased', turn: job.turn, index: job.index, slot: job.slot, result, stats: session.phrasingStats() });
    } catch (err) {
      postMessage({ type: 'phrased', turn: job.turn, index: job.index, slot: job.slot, error: String(err.message || err) });
    }
  }
  setTimeout(pump, 0);
}


// One sentence: the engine writes the prompt, the model continues it, and
// each piece goes through the engine's guard; `show` gets what is safe.
function phraseOne(index, show) {
  const begun = session.phraseBegin(PHRASE_TOP, index);
  if (begun.done) {
    if (begun.done.kept) show(begun.done.text);
    return begun.done;
  }
  let text = null;
  let error = null;
  try {
    text = phraser.generate(begun.prompt, begun.maxTokens, (piece) => {
      const got = session.phrasePiece(piece);
      if (got.show) show(got.show);
      return got.more;
    }).text;
  } catch (err) {
    error = String(err && err.message ? err.message : err);
  }
  const result = session.phraseEnd(text, error);
  if (result.rest) show(result.rest);
  delete result.rest;
  return result;
}

// The phrasing model's module, its wasm fetched and compiled the first time.
async function loadPhraser(url) {
  const model = await import('./pkg/kith_phrasing.js');
  await model.default();
  return model.Phraser.load(url, (loaded, total) => postMessage({ type: 'llm-progress', loaded, total }));
}

// For benchmarks (benchmarks/browser/first-visit.mjs): the wasm memory in use.
self.kithMemory = () => ({ wasm: memoryBytes() });

// The parts cache, or null where the Cache API is unavailable or refused.
async function partsCache() {
  try {
    return self.caches ? await caches.open(PARTS_CACHE) : null;
  } catch {
    return null;
  }
}

// The SHA-256 a part must have: the manifest's, else the digits in its
// file name (`STEM.PART.HASH.kith`), else none.
function expectedHash(url, sha256) {
  if (sha256) return sha256;
  const m = /\.([0-9a-f]{16})\.kith$/.exec(new URL(url).pathname);
  return m ? m[1] : null;
}

// A part's bytes: from the parts cache when there (a part's name never
// changes meaning, so a kept copy is always right — and checked again, so
// a damaged copy is dropped and fetched anew), else downloaded, checked
// against its name and kept. With the demo's service worker the download
// is kept there already; a widget on a page without one keeps its parts
// here, so its next visit downloads nothing. A full or refused cache only
// costs the next visit.
async function partBytes(url, onProgress, sha256) {
  const want = expectedHash(url, sha256);
  const cache = await partsCache();
  if (cache) {
    const hit = await cache.match(url).catch(() => null);
    if (hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      if (await genuine(bytes, want)) {
        if (onProgress) onProgress(bytes.length, bytes.length);
        return bytes;
      }
      await cache.delete(url).catch(() => {});
    }
  }
  const bytes = await fetchBytes(url, onProgress);
  if (!(await genuine(bytes, want))) {
    // The service worker may have kept what it passed through: drop it.
    if (cache) await cache.delete(url).catch(() => {});
    const name = new URL(url).pathname.split('/').pop();
    throw new Error(`${name} arrived damaged or is not the file it should be (${bytes.length} bytes); nothing was kept, try again later`);
  }
  if (cache && !(await cache.match(url).catch(() => null))) {
    await cache.put(url, new Response(bytes)).catch((err) => console.warn('kith: part not kept:', err && err.message));
  }
  return bytes;
}

// The manifest: the network's copy (a new catalog version is seen at
// once), else the last kept one (offline).
async function manifestText(url) {
  const cache = await partsCache();
  try {
    const bytes = await fetchBytes(url);
    if (cache) await cache.put(url, new Response(bytes)).catch(() => {});
    return new TextDecoder().decode(bytes);
  } catch (err) {
    const kept = cache ? await cache.match(url).catch(() => null) : null;
    if (kept) return kept.text();
    throw err;
  }
}

// The parts a manifest lists, with absolute URLs, core first; `text` is
// the manifest when it was fetched already.
async function manifestParts(url, text) {
  const absolute = new URL(url, self.location.href).href;
  const manifest = readManifest(text || await manifestText(absolute));
  return manifest.parts.map((p) => ({ ...p, url: new URL(p.file, new URL(url, self.location.href)).href }));
}

// Cached parts of this manifest's catalog that it no longer lists.
async function pruneParts(url, parts) {
  if (!self.caches) return;
  try {
    const stem = new URL(url, self.location.href).pathname.replace(/\.json$/, '.');
    const keep = new Set(parts.map((p) => new URL(p.url).pathname));
    const cache = await caches.open(PARTS_CACHE);
    for (const req of await cache.keys()) {
      const path = new URL(req.url).pathname;
      const part = path.startsWith(stem) && /^(core|text|encoder)\.[0-9a-f]+\.kith$/.test(path.slice(stem.length));
      if (part && !keep.has(path)) await cache.delete(req);
    }
  } catch (err) {
    console.warn('kith: could not tidy cached parts:', err && err.message);
  }
}

// The parts after the core one: downloaded one after another outside the
// message queue (a turn never waits for the network), attached inside it.
async function loadRest(parts) {
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k];
    const pending = parts.slice(k).map((p) => p.part);
    try {
      const bytes = await partBytes(part.url, (loaded, total) =>
        postMessage({ type: 'understanding', part: part.part, pending, loaded, total: total || part.bytes }), part.sha256);
      let refused = null;
      let ms = 0;
      await quiet();
      await enqueue(async () => {
        const t = performance.now();
        try { kith.attach(bytes); } catch (err) { refused = err; }
        ms = Math.round(performance.now() - t);
      });
      if (refused) throw refused;
      postMessage({ type: 'understanding', attached: part.part, ms, pending: pending.slice(1), info: kith.info() });
    } catch (err) {
      postMessage({ type: 'understanding', part: part.part, pending, error: String(err && err.message ? err.message : err), info: kith.info() });
      return;
    }
  }
}

const ops = {
  async init({ bundle, variant: wanted, engineFromPage: sent, manifestFromPage: read }) {
    // Where the time goes (ms since the worker started), for benchmarks.
    const timings = { start: Math.round(performance.now()) };
    const mark = (name) => { timings[name] = Math.round(performance.now()); };
    // The manifest and core part download while the wasm compiles.
    const early = prefetchCore(bundle, self.location.href, (loaded, total) => postMessage({ type: 'progress', loaded, total }),
      read ? manifestFromPage : null);
    try {
      const module = sent ? await engineFromPage : null;
      try {
        await init(module ? { module_or_path: module } : undefined);
      } catch (err) {
        if (!module) throw err;
        await init(); // the page's module would not instantiate: compile it here
      }
    } catch (err) {
      throw new Error(`the engine (kith_bg.wasm) could not be loaded: ${err && err.message ? err.message : err}`);
    }
    mark('wasm');
    let rest = [];
    if (/\.json([?#]|$)/.test(bundle)) {
      const parts = await manifestParts(bundle, await early);
      mark('manifest');
      const core = parts[0];
      const bytes = await partBytes(core.url, (loaded, total) => postMessage({ type: 'progress', loaded, total: total || core.bytes }), core.sha256);
      mark('core downloaded');
      kith = new Kith(bytes);
      mark('core loaded');
      rest = parts.slice(1);
      pruneParts(bundle, parts);
    } else {
      kith = await Kith.load(bundle, (loaded, total) => postMessage({ type: 'progress', loaded, total }));
    }
    const info = kith.info();
    catalog = info.name;
    let variantProblem = null;
    try {
      kith.openSession(undefined, wanted || undefined).free();
      variant = wanted || undefined;
    } catch (err) {
      variantProblem = err.message; // the host asked for a variant Kith does not know: the default runs
    }
    let recovered = null;
    let saveProblem = null;
    await locked(async () => {
      // Storage that cannot be read (private mode, a broken database) does
      // not stop Kith: this visit works, and the page says it is not kept.
      const raw = await stored().catch((err) => { saveProblem = String(err && err.message ? err.message : err); return undefined; });
      if (raw !== undefined && kith.profileIsNewer(raw)) {
        // Written by a newer Kith: left exactly as it is, this visit unsaved.
        saveProblem = NEWER;
        session = kith.openSession(undefined, variant);
        return;
      }
      const problem = raw === undefined ? null : kith.profileProblem(raw);
      if (problem) {
        // Never a silent loss: the unreadable record is kept aside first.
        await backupProfile(catalog, raw, problem);
        recovered = problem;
      }
      session = kith.openSession(problem ? undefined : raw, variant);
      if (recovered) {
        try {
          await saveProfile(catalog, session.toSave());
          session.saved();
        } catch (err) {
          saveProblem = String(err && err.message ? err.message : err);
        }
      }
    });
    if ('BroadcastChannel' in self) {
      channel = new BroadcastChannel('kith');
      channel.onmessage = (e) => enqueue(() => fromAnotherTab(e.data || {}));
    }
    const history = session.profile().history;
    mark('session');
    if (rest.length) setTimeout(() => loadRest(rest), 0);
    const pending = rest.map((p) => p.part);
    return { info, recovered, variantProblem, history, pending, timings, ...state(history.length ? session.recommend() : null, { saveProblem }) };
  },

  async say({ text }) {
    const t0 = performance.now();
    const reply = session.say(text);
    const t1 = performance.now();
    const out = state(reply, await persist());
    // For benchmarks: the turn itself and the save, in ms.
    out.timings = { turn: Math.round(t1 - t0), save: Math.round(performance.now() - t1) };
    return out;
  },
  async feedback({ id, kind }) {
    const reply = session.feedback(id, kind);
    return state(reply, await persist());
  },
  async controls({ controls }) {
    const reply = session.setControls(controls);
    return state(reply, await persist());
  },
  async exportProfile() {
    return session.exportProfile();
  },
  // Turns phrasing on (downloading the model the first time) or off.
  async phrasing({ on, url }) {
    phrasing = Boolean(on);
    if (phrasing && !phraser) {
      phraser = await loadPhraser(url);
    }
    // The reply on screen is the session's last one: phrase it now.
    if (phrasing) schedulePhrasing();
    else jobs = [];
    return { on: phrasing, turn, stats: phraser ? session.phrasingStats() : null };
  },
  async importProfile({ json }) {
    await locked(async () => {
      session.importProfile(json, await stored());
      await saveProfile(catalog, session.toSave());
      session.saved();
    });
    if (channel) channel.postMessage({ saved: catalog });
    const history = session.profile().history;
    return { history, ...state(history.length ? session.recommend() : null) };
  },
  async deleteEverything() {
    await locked(() => deleteEverything());
    session.reset();
    if (channel) channel.postMessage({ deleted: true });
    return state(null);
  },
};

// Another tab saved or deleted: adopt its profile (this tab's unsaved
// changes, if any, are replayed on top) and tell the page.
async function fromAnotherTab(msg) {
  if (!session) return;
  if (msg.deleted) {
    session.reset();
    postMessage({ type: 'changed', deleted: true, ...state(null) });
    return;
  }
  if (msg.saved !== catalog) return;
  const got = await locked(async () => absorb(await stored()));
  if (got.merged) {
    const history = session.profile().history;
    postMessage({ type: 'changed', history, ...state(history.length ? session.recommend() : null, got) });
  }
}

// One message at a time, in order: a turn never interleaves with another.
let queue = Promise.resolve();
let busy = 0;
let lastActivity = 0;

// Background work (attaching a part: up to a few hundred ms of wasm that
// cannot be interrupted) yields to the visitor: it starts only once nothing
// is queued and nothing came in or was answered in the last QUIET_MS, so a
// message sent the moment the page is ready (or shows a reply) is answered
// first, from what is loaded.
const QUIET_MS = 100;
async function quiet() {
  for (;;) {
    const wait = lastActivity + QUIET_MS - performance.now();
    if (busy === 0 && wait <= 0) return;
    await new Promise((r) => setTimeout(r, Math.max(wait, 10)));
  }
}
function enqueue(fn) {
  busy += 1;
  queue = queue.then(fn)
    .catch((err) => console.warn('kith:', err && err.message ? err.message : err))
    .finally(() => { busy -= 1; lastActivity = performance.now(); setTimeout(pump, 0); });
  return queue;
}

onmessage = (e) => {
  const { id, op, args } = e.data || {};
  // Answered at once, outside the queue: the page's sign of life (a worker
  // that stopped answering this is restarted, www/kith-client.js).
  if (op === 'ping') {
    postMessage({ id, ok: true, value: 'pong' });
    return;
  }
  if (op === 'engine') {
    engineSent(e.data.module instanceof WebAssembly.Module ? e.data.module : null);
    return;
  }
  if (op === 'manifest') {
    manifestSent(typeof e.data.text === 'string' ? e.data.text : null);
    return;
  }
  lastActivity = performance.now();
  enqueue(async () => {
    try {
      if (!ops[op]) throw new Error(`unknown operation ${op}`);
      if (op !== 'init' && !session) throw new Error('Kith is still loading');
      postMessage({ id, ok: true, value: await ops[op](args || {}) });
    } catch (err) {
      postMessage({ id, ok: false, error: String(err && err.message ? err.message : err) });
    }
  });
};
