// A static server on 127.0.0.1 for the encoder benchmark. Routes keep each
// engine's files apart so the bytes each one downloads are counted exactly:
//   /page/...        the benchmark page (not counted)
//   /kith/pkg/...    Kith's wasm package      (repo pkg/)
//   /kith/models/... Kith's encoder GGUF      (repo models/)
//   /tjs/lib/...     transformers.js + ORT    (benchmarks/encoder/node_modules/)
//   /tjs/models/...  transformers.js' model   (benchmarks/encoder/tjs-models/)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.onnx': 'application/octet-stream', '.gguf': 'application/octet-stream' };

export function startServer(repo) {
  const here = path.join(repo, 'benchmarks/encoder');
  const roots = {
    page: path.join(here, 'page'),
    'kith/pkg': path.join(repo, 'pkg'),
    'kith/models': path.join(repo, 'models'),
    'tjs/lib': path.join(here, 'node_modules'),
    'tjs/models': path.join(here, 'tjs-models'),
  };
  const bytes = { kith: 0, tjs: 0 };
  const files = { kith: {}, tjs: {} };
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const key = Object.keys(roots).sort((a, b) => b.length - a.length).find((k) => url.startsWith(`/${k}/`));
    const file = key && path.normalize(path.join(roots[key], url.slice(key.length + 2)));
    if (!file || !file.startsWith(roots[key]) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = fs.readFileSync(file);
    const engine = key.split('/')[0];
    if (engine in bytes) {
      bytes[engine] += body.length;
      files[engine][url] = body.length;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
      'Content-Length': body.length, 'Cache-Control': 'no-store' });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    bytes, files,
    reset() { bytes.kith = 0; bytes.tjs = 0; files.kith = {}; files.tjs = {}; },
    close() { server.close(); },
  })));
}
