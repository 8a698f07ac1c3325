// The page side of Kith's worker, shared by the demo page and the widget:
// numbered requests answered in order, plus the worker's own notices
// ('progress' while the bundle downloads, 'changed' when another tab saved).
// No decisions here: those are in Rust.

export class KithClient extends EventTarget {
  /** Starts the worker; nothing is downloaded until `call('init', …)`. */
  constructor(workerUrl = new URL('./kith-worker.js', import.meta.url)) {
    super();
    this.worker = new Worker(workerUrl, { type: 'module' });
    this.nextId = 1;
    this.pending = new Map();
    this.worker.onmessage = (e) => {
      const m = e.data || {};
      if (m.type) {
        this.dispatchEvent(new CustomEvent(m.type, { detail: m }));
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
    };
    this.worker.onerror = (e) => {
      const err = new Error(`Kith's worker failed: ${e.message || 'could not start'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  /** Sends one operation; resolves with its value, rejects with its error. */
  call(op, args) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  /** Stops the worker (an element leaving the page). */
  close() {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error('Kith was closed'));
    this.pending.clear();
  }
}
