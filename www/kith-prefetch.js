// The small core part of a staged bundle, fetched ahead of the wasm engine
// into the parts cache, where the worker looks first (kith-worker.js).
// The worker calls it while the wasm compiles (with the manifest the page
// already read, when it could), so the core part and the wasm share the
// link instead of following each other. Only the first part's file name is read
// here; Rust checks the manifest and the part when they are loaded.
export const PARTS_CACHE = 'kith-parts';

/**
 * Whether `bytes` are the file whose SHA-256 (hex, whole or the first
 * digits, as a part's file name carries them) is `sha256`. An HTML error
 * page served with status 200, a truncated or a wrong file are not: they
 * are neither kept in a cache nor used. Without SubtleCrypto (an insecure
 * origin) nothing can be checked here and Rust's checksums still refuse
 * a damaged part.
 */
export async function genuine(bytes, sha256) {
  if (!sha256 || !(self.crypto && crypto.subtle)) return true;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return hex.startsWith(sha256.toLowerCase());
}

/**
 * Fetches the manifest at `bundle` (resolved against `base`) and the core
 * part it lists into the parts cache, calling `onProgress(loaded, total)`.
 * `given`, when not null, is a promise of the manifest's text as the page
 * already read it (null if it could not: then it is fetched here).
 * Resolves with the manifest's text, or null when there is nothing to
 * prefetch or it failed (the worker then downloads everything itself).
 */
export async function prefetchCore(bundle, base, onProgress, given = null) {
  if (!/\.json([?#]|$)/.test(bundle) || !self.caches) return given ? given : null;
  try {
    const url = new URL(bundle, base);
    let text = given ? await given : null;
    if (text === null) {
      const res = await fetch(url); // a page's <link rel=preload> when it is this manifest
      if (!res.ok) return null;
      text = await res.text();
    }
    const manifest = JSON.parse(text);
    const core = Array.isArray(manifest.parts) ? manifest.parts[0] : null;
    if (!core || core.part !== 'core' || typeof core.file !== 'string') return null;
    const coreUrl = new URL(core.file, url);
    if (coreUrl.origin !== url.origin) return text;
    const cache = await caches.open(PARTS_CACHE);
    if (await cache.match(coreUrl.href)) return text;
    const got = await fetch(coreUrl);
    if (got.status !== 200 || !got.body) return text;
    const reader = got.body.getReader();
    const chunks = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      if (onProgress) onProgress(loaded, core.bytes || 0);
    }
    const bytes = await new Blob(chunks).arrayBuffer();
    if (!(await genuine(bytes, core.sha256))) return text; // the worker downloads it again and says what is wrong
    await cache.put(url.href, new Response(text, { headers: { 'Content-Type': 'application/json' } }));
    await cache.put(coreUrl.href, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } }));
    return text;
  } catch (err) {
    console.warn('kith: could not prefetch the bundle:', err && err.message);
    return null;
  }
}
