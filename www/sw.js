// Kith's service worker: precaches the page, the wasm and the scripts under
// a versioned cache, and keeps each bundle (.kith) in the same cache the
// first time the page's worker downloads it through here (the page waits
// for this worker to control it first, so the 34 MB are fetched once, not
// twice). After one visit the demo works with the network off. A new version
// (sw-version.js, written when www/ is staged from a hash of every served
// file, the bundle included) installs its own cache and deletes the old ones.
importScripts('./sw-version.js');
const CACHE = `kith-${self.KITH_VERSION}`;
const FILES = ['./index.html', './style.css', './app.js', './kith-client.js', './kith-widget.js', './kith-worker.js',
  './manifest.webmanifest',
  './icon.svg', './pkg/kith.js', './pkg/kith_bg.wasm'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('kith-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// Cache first (the cache changes only with VERSION); a bundle or model
// fetched from the network is kept for the next visit; everything else goes
// to the network.
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin) return;
  e.respondWith(caches.open(CACHE).then(async (c) => {
    // The folder URL is the page itself.
    const key = url.pathname.endsWith('/') ? new URL('./index.html', location.href).href : e.request;
    const hit = await c.match(key, { ignoreSearch: true });
    if (hit) return hit;
    const res = await fetch(e.request);
    // Bundles and the optional language model: kept the first time they pass.
    if (res.status === 200 && /\.(kith|gguf)$/.test(url.pathname)) e.waitUntil(c.put(url.pathname, res.clone()));
    return res;
  }));
});
