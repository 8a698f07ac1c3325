// Kith's worker: the wasm engine and the profile in IndexedDB live here, so
// the page never freezes. It only routes messages; decisions are in Rust.
//
// page → worker: {id, op, args}; worker → page: {id, ok, value | error},
// plus {type: 'progress', loaded, total} while the bundle downloads.
import init, { Kith, loadProfile, saveProfile, backupProfile, deleteEverything } from './pkg/kith.js';

let kith = null;
let session = null;
let catalog = null;

async function download(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not download ${url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('Content-Length')) || 0;
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    postMessage({ type: 'progress', loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes;
}

async function persist() {
  await saveProfile(catalog, session.exportProfile());
}

function state(reply) {
  return { reply, summary: session.summary() };
}

const ops = {
  async init({ bundle }) {
    await init();
    kith = new Kith(await download(bundle));
    const info = kith.info();
    catalog = info.name;
    const raw = await loadProfile(catalog);
    let recovered = null;
    if (typeof raw === 'string') {
      const problem = kith.profileProblem(raw);
      if (problem) {
        // Never a silent loss: the unreadable record is kept aside first.
        await backupProfile(catalog, raw, problem);
        recovered = problem;
      }
      session = kith.openSession(problem ? undefined : raw);
    } else {
      session = kith.openSession();
    }
    if (recovered) await persist();
    const history = session.profile().history;
    return { info, recovered, history, ...state(history.length ? session.recommend() : null) };
  },
  async say({ text }) {
    const reply = session.say(text);
    await persist();
    return state(reply);
  },
  async feedback({ id, kind }) {
    const reply = session.feedback(id, kind);
    await persist();
    return state(reply);
  },
  async controls({ controls }) {
    const reply = session.setControls(controls);
    await persist();
    return state(reply);
  },
  async exportProfile() {
    return session.exportProfile();
  },
  async deleteEverything() {
    await deleteEverything();
    session.reset();
    return state(null);
  },
};

// One message at a time, in order: a turn never interleaves with another.
let queue = Promise.resolve();
onmessage = (e) => {
  const { id, op, args } = e.data || {};
  queue = queue.then(async () => {
    try {
      if (!ops[op]) throw new Error(`unknown operation ${op}`);
      if (op !== 'init' && !session) throw new Error('Kith is still loading');
      postMessage({ id, ok: true, value: await ops[op](args || {}) });
    } catch (err) {
      postMessage({ id, ok: false, error: String(err && err.message ? err.message : err) });
    }
  });
};
