// Kith's service worker: precaches the page, the wasm and the scripts under
// a versioned cache, and keeps what the page's worker downloads for the next
// visit. The page waits for this worker to control it first, so everything
// is fetched once. After one visit the demo works with the network off.
//
// A staged bundle (`kith split`): its manifest (.json) comes from the cache
// when kept (refreshed from the network behind it: a new catalog version is
// used from the next visit) or the network; its parts (.kith) are content-addressed — a file name never
// changes meaning — so they live in their own cache, 'kith-parts', which a
// new version of the page keeps: only parts that changed are downloaded
// again (the worker deletes the ones its manifest no longer lists).
// A new page version (sw-version.js, written when www/ is staged from a
// hash of every served file) installs its own cache and deletes the old ones.
importScripts('./sw-version.js');
const CACHE = `kith-${self.KITH_VERSION}`;
const PARTS = 'kith-parts';
const FILES = ['./index.html', './style.css', './app.js', './kith-client.js', './kith-prefetch.js', './kith-widget.js', './kith-worker.js',
  './manifest.webmanifest',
  './icon.svg', './pkg/kith.js', './pkg/kith_bg.wasm'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('kith-') && k !== CACHE && k !== PARTS).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// Whether a response is what its URL promises, before it is kept: a
// manifest that is a parts manifest, a part whose SHA-256 starts with the
// digits in its name. (An HTML error page served with status 200 is
// neither; kept, it would break every later visit.) The page's worker
// checks again with the manifest's whole hash (kith-prefetch.js).
async function keepable(url, res) {
  if (res.status !== 200) return false;
  try {
    if (url.pathname.endsWith('.json')) return (await res.clone().json()).format === 'kith-parts';
    return namedAs(url, await res.clone().arrayBuffer());
  } catch {
    return false;
  }
}

async function namedAs(url, bytes) {
  const m = /\.([0-9a-f]{16})\.kith$/.exec(url.pathname);
  if (!m || !(self.crypto && crypto.subtle)) return true;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('') === m[1];
}

// A parts manifest: the kept copy at once when there is one (a visit never
// waits on the network to start), refreshed from the network behind it, so
// a new catalog version is used from the next visit; else the network's.
async function manifest(e, url) {
  const parts = await caches.open(PARTS);
  const fresh = fetch(e.request, { cache: 'no-cache' }).then(async (res) => {
    if (await keepable(url, res)) await parts.put(url.pathname, res.clone());
    return res;
  });
  const kept = await parts.match(url.pathname);
  if (kept) {
    e.waitUntil(fresh.catch(() => {}));
    return kept;
  }
  return fresh;
}

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin) return;
  if (url.pathname.endsWith('.json')) {
    e.respondWith(manifest(e, url));
    return;
  }
  // A single-file bundle (`name.kith`, no hash in its name) may be
  // replaced by a new deploy under the same name: the network's copy
  // (revalidated, so an unchanged file costs a 304), the kept one offline.
  if (url.pathname.endsWith('.kith') && !/\.[0-9a-f]{16}\.kith$/.test(url.pathname)) {
    e.respondWith(caches.open(PARTS).then(async (c) => {
      try {
        const res = await fetch(e.request, { cache: 'no-cache' });
        if (res.status === 200 && !e.request.headers.has('range')) e.waitUntil(c.put(url.pathname, res.clone()));
        return res;
      } catch (err) {
        const kept = await c.match(url.pathname);
        if (kept) return kept;
        throw err;
      }
    }));
    return;
  }
  // Parts, whose names are their content hashes: cache first; a range
  // request (a resumed download) is answered from the cache when the whole
  // file is there, else by the network, and only whole, checked responses
  // are kept.
  if (url.pathname.endsWith('.kith')) {
    e.respondWith(caches.open(PARTS).then(async (c) => {
      const hit = await c.match(url.pathname);
      if (hit) return hit;
      const res = await fetch(e.request);
      if (res.status === 200) {
        // A copy for the cache, checked while the page reads the original.
        const copy = res.clone();
        e.waitUntil((async () => {
          const bytes = await copy.arrayBuffer();
          if (await namedAs(url, bytes)) await c.put(url.pathname, new Response(bytes, { headers: copy.headers }));
        })().catch(() => {}));
      }
      return res;
    }));
    return;
  }
  // Everything else: cache first (the cache changes only with VERSION); the
  // optional language model and its wasm module are kept the first time
  // they pass (never precached: most visitors never turn phrasing on).
  e.respondWith(caches.open(CACHE).then(async (c) => {
    // The folder URL is the page itself.
    const key = url.pathname.endsWith('/') ? new URL('./index.html', location.href).href : e.request;
    const hit = await c.match(key, { ignoreSearch: true });
    if (hit) return hit;
    const res = await fetch(e.request);
    if (res.status === 200 && /\.gguf$|\/kith_phrasing(_bg\.wasm|\.js)$/.test(url.pathname)) e.waitUntil(c.put(url.pathname, res.clone()));
    return res;
  }));
});
