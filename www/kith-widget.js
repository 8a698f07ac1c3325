// <kith-recommender>: Kith on any page with one script tag and one element.
//
//   <script type="module" src="/kith/kith-widget.js"></script>
//   <kith-recommender bundle="/kith/goodbooks.kith"></kith-recommender>
//
// Attributes (all optional but `bundle`):
//   bundle     URL of the bundle (same origin; resolved against the page):
//              a parts manifest (.json, `kith split`: the widget answers
//              once the small core part is in, the rest streams in behind)
//              or a single .kith file
//   count      how many recommendations to show (1-20, default 5)
//   variant    ranking strategy for the host's A/B tests: balanced,
//              collaborative, content, discovery, no-questions (read at start)
//   prompt     the opening question (default: the bundle's own)
//   item-link  a URL template for titles, "{id}" replaced by the item's id
//
// Theming with CSS custom properties on the element: --kith-accent,
// --kith-bg, --kith-fg, --kith-muted, --kith-card, --kith-line,
// --kith-radius, --kith-font.
//
// Events (bubbling, composed, detail in brackets):
//   kith-ready {items, variant}         the bundle is loaded
//   kith-shown {ids, turn, variant}     recommendations were shown
//   kith-pick {id, title, variant}      the visitor picked (clicked) an item;
//                                       preventDefault() stops the item-link navigation
//   kith-rate {id, kind, variant}       love | not_for_me | more_like_this
//   kith-accepted {id, kind, variant}   love or more like this
//   kith-rejected {id, kind, variant}   not for me
//   kith-understanding {pending, attached, error}
//                                       a later part of a staged bundle landed
//                                       (pending [] once everything is in) or failed
//   kith-error {message}                loading or a turn failed
//   kith-storage {problem, wiped}       the profile could not be saved (storage
//                                       full or unavailable: the change stays in
//                                       this tab) or the browser wiped storage
//                                       (the profile was written back); the host
//                                       may offer exportProfile()
//   kith-restarted {why}                the engine's worker died and was restarted;
//                                       an unanswered turn was sent again
//
// Everything runs in the visitor's browser (a worker); the profile stays in
// this origin's IndexedDB. Text from the catalog or the visitor is set with
// textContent, never as HTML. The shadow root keeps the host's CSS out and
// the widget's in.
// The page side of the worker, fetched while the worker starts (a static
// import would make the worker wait for it: one more round trip on every
// visit of a page whose host asks the browser to revalidate its files).
const CLIENT = import('./kith-client.js');
const WORKER = new URL('./kith-worker.js', import.meta.url);

// The worker, started before kith-client.js has arrived; an error it gives
// meanwhile is kept for the client to handle.
function startWorker() {
  const worker = new Worker(WORKER, { type: 'module' });
  worker.earlyError = null;
  worker.addEventListener('error', (e) => {
    e.preventDefault();
    worker.earlyError = e;
  }, { once: true });
  return worker;
}

const STYLE = `
:host { all: initial; display: block; contain: content;
  --_accent: var(--kith-accent, #7c3aed); --_bg: var(--kith-bg, #ffffff); --_fg: var(--kith-fg, #1f2937);
  --_muted: var(--kith-muted, #6b7280); --_card: var(--kith-card, #f9fafb); --_line: var(--kith-line, #e5e7eb);
  --_radius: var(--kith-radius, 12px);
  font: 15px/1.45 var(--kith-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  color: var(--_fg); background: var(--_bg); border: 1px solid var(--_line); border-radius: var(--_radius);
  padding: 1rem; box-sizing: border-box; }
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.head { display: flex; align-items: center; gap: .5rem; margin: 0 0 .6rem; }
.logo { width: 1.6rem; height: 1.6rem; border-radius: 50%; background: var(--_accent); color: #fff;
  display: grid; place-items: center; font-weight: 700; font-size: .9rem; flex: none; }
.ask { margin: 0; font-weight: 600; }
.status { color: var(--_muted); font-size: .9em; margin: .4rem 0; }
.bar { height: 4px; background: var(--_line); border-radius: 2px; overflow: hidden; }
.bar > div { height: 100%; width: 0; background: var(--_accent); transition: width .2s; }
form { display: flex; gap: .4rem; margin: .6rem 0; }
input { flex: 1; min-width: 0; font: inherit; color: inherit; background: var(--_bg); padding: .5rem .7rem;
  border: 1px solid var(--_line); border-radius: calc(var(--_radius) / 1.5); }
input:focus { outline: 2px solid var(--_accent); outline-offset: 0; }
button { font: inherit; font-size: .9em; color: inherit; background: var(--_bg); cursor: pointer;
  border: 1px solid var(--_line); border-radius: 999px; padding: .3rem .75rem; display: inline-block; }
button:hover { border-color: var(--_accent); }
button.primary { background: var(--_accent); border-color: var(--_accent); color: #fff; }
button:disabled { opacity: .5; cursor: default; }
.heard { color: var(--_muted); font-size: .9em; margin: .2rem 0; }
ol { list-style: none; padding: 0; margin: .4rem 0; display: grid; gap: .5rem; }
li.item { background: var(--_card); border: 1px solid var(--_line); border-radius: var(--_radius); padding: .6rem .75rem; }
li.item.done { opacity: .6; }
.title { font-weight: 600; margin: 0; }
.title a, .title button { all: unset; cursor: pointer; color: inherit; }
.title a:hover, .title button:hover { color: var(--_accent); text-decoration: underline; }
.by { color: var(--_muted); font-size: .88em; margin: 0; }
.why { margin: .3rem 0; font-size: .92em; }
.actions { display: flex; flex-wrap: wrap; gap: .3rem; }
.question { margin: .6rem 0 .3rem; font-weight: 600; }
.replies { display: flex; flex-wrap: wrap; gap: .3rem; }
.foot { color: var(--_muted); font-size: .78em; margin: .6rem 0 0; }
/* Catalog text is not ours: another direction, zero-width characters or a
   very long word stays in its own box. */
.title, .by, .why, .heard, .question, li.item { unicode-bidi: isolate; overflow-wrap: anywhere; min-width: 0; }
.title a, .title button { unicode-bidi: isolate; overflow-wrap: anywhere; }
`;

const FEEDBACK = [['love', 'Love it'], ['not_for_me', 'Not for me'], ['more_like_this', 'More like this']];

function el(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

class KithRecommender extends HTMLElement {
  static get observedAttributes() { return ['count']; }

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    const style = el('style');
    style.textContent = STYLE;
    this.root.append(style);
    this.view = el('div');
    this.root.append(this.view);
    this.client = null;
    this.busy = Promise.resolve();
    this.info = null;
    this.variantInUse = null;
    /** Resolves when the bundle is loaded (rejects if it cannot be). */
    this.ready = new Promise((resolve, reject) => { this.resolveReady = resolve; this.rejectReady = reject; });
    this.ready.catch(() => {});
  }

  connectedCallback() {
    if (this.client || this.starting) return;
    this.starting = true;
    this.start().finally(() => { this.starting = false; });
  }

  disconnectedCallback() {
    if (this.client) this.client.close();
    this.client = null;
  }

  attributeChangedCallback(name) {
    if (name === 'count' && this.info) this.queue(() => this.client.call('controls', { controls: this.controls() }));
  }

  /** The visible count, clamped: the widget is compact. */
  count() {
    const n = Number.parseInt(this.getAttribute('count') || '5', 10);
    return Number.isFinite(n) ? Math.min(20, Math.max(1, n)) : 5;
  }

  controls() {
    return { ...this.summary.controls, count: this.count() };
  }

  /** Fires an event at the element; returns false if the host cancelled it. */
  emit(type, detail) {
    return this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: true }));
  }

  async start() {
    const bundle = this.getAttribute('bundle');
    this.view.replaceChildren();
    const head = el('div', 'head');
    head.append(el('div', 'logo', 'K'), el('p', 'ask', 'Loading recommendations…'));
    const bar = el('div', 'bar');
    const fill = el('div');
    bar.append(fill);
    const status = el('p', 'status', '');
    this.view.append(head, bar, status);
    if (!bundle) return this.fail('the bundle attribute is missing');
    try {
      const worker = startWorker();
      let KithClient;
      try {
        ({ KithClient } = await CLIENT);
      } catch (err) {
        worker.terminate();
        throw err;
      }
      if (!this.isConnected) {
        worker.terminate();
        return;
      }
      this.client = new KithClient(WORKER, { worker });
      this.client.addEventListener('progress', (e) => {
        const { loaded, total } = e.detail;
        status.textContent = `Downloading… ${(loaded / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ''} MB (once; it stays in your browser)`;
        if (total) fill.style.width = `${Math.min(100, (100 * loaded) / total)}%`;
      });
      this.client.addEventListener('changed', (e) => this.show(e.detail));
      this.client.addEventListener('restarted', (e) => {
        this.dataset.restarts = e.detail.restarts;
        this.emit('kith-restarted', { why: e.detail.why });
      });
      this.client.addEventListener('understanding', (e) => this.understanding(e.detail));
      const url = new URL(bundle, document.baseURI).href;
      const start = await this.client.call('init', { bundle: url, variant: this.getAttribute('variant') || undefined });
      this.info = start.info;
      // Where the worker's start-up time went (ms since it started), for
      // benchmarks/browser/first-visit.mjs.
      this.timings = { ...start.timings, page: Math.round(performance.now()) };
      this.variantInUse = start.variant || null;
      if (start.variantProblem) console.warn(`kith-recommender: ${start.variantProblem}; using the default ranking`);
      this.summary = start.summary;
      this.layout(start);
      if (start.pending.length) this.understanding({ pending: start.pending });
      if (start.summary.controls.count !== this.count()) {
        await this.queue(() => this.client.call('controls', { controls: this.controls() }));
      } else if (start.reply) {
        this.show(start);
      }
      this.emit('kith-ready', { items: this.info.items, variant: this.variantInUse });
      this.resolveReady(this.info);
    } catch (err) {
      this.fail(err.message);
    }
  }

  fail(message) {
    const status = this.view.querySelector('.status') || this.view.appendChild(el('p', 'status'));
    status.textContent = `Recommendations are unavailable: ${message}`;
    this.emit('kith-error', { message });
    this.rejectReady(new Error(message));
  }

  layout(start) {
    this.view.replaceChildren();
    const head = el('div', 'head');
    head.append(el('div', 'logo', 'K'), el('p', 'ask', this.getAttribute('prompt') || this.info.openingQuestion));
    const form = el('form');
    const input = el('input');
    input.name = 'say';
    input.autocomplete = 'off';
    input.maxLength = 2000; // what the engine reads of a message (session::MAX_ANSWER_CHARS)
    input.placeholder = 'e.g. I loved Dune for its world-building';
    input.setAttribute('aria-label', 'Tell Kith what you enjoy');
    const send = el('button', 'primary', 'Ask');
    send.type = 'submit';
    form.append(input, send);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = input.value;
      input.value = '';
      this.say(text);
    });
    this.heard = el('p', 'heard');
    this.list = el('ol');
    this.question = el('div');
    this.status = el('p', 'status');
    this.note = el('p', 'status');
    this.note.setAttribute('role', 'status');
    const foot = el('p', 'foot', `Runs in your browser; nothing you say leaves it. ${start.info.attribution ? `Catalog: ${start.info.attribution}.` : ''}`);
    this.view.append(head, form, this.note, this.heard, this.list, this.question, this.status, foot);
  }

  /** A later part of a staged bundle: arriving, in use, or unavailable. */
  understanding(d) {
    if (!this.note) return;
    if (d.info) this.info = d.info;
    this.dataset.understanding = d.error ? 'failed' : d.pending && d.pending.length === 0 ? 'full' : 'partial';
    if (d.error) this.note.textContent = `Free-text understanding is unavailable (${d.error}); titles, names and topics work.`;
    else if (d.pending && d.pending.length === 0) this.note.textContent = '';
    else this.note.textContent = 'Still loading the understanding of free text; titles, names and topics work already.';
    if (d.error || d.attached) this.emit('kith-understanding', { pending: d.pending || [], attached: d.attached || null, error: d.error || null });
  }

  /** A save that failed, or storage the browser wiped: said, and told to the host. */
  storage(state) {
    if (state.saveProblem || state.wiped) {
      this.dataset.storage = state.saveProblem ? (/quota/i.test(state.saveProblem) ? 'full' : 'failed') : 'restored';
      this.note.textContent = state.saveProblem
        ? 'Your latest choices could not be saved in this browser; they are kept while this page is open.'
        : '';
      this.emit('kith-storage', { problem: state.saveProblem || null, wiped: Boolean(state.wiped) });
    } else if (this.dataset.storage) {
      delete this.dataset.storage;
      this.note.textContent = '';
    }
  }

  /** Says something to Kith as the visitor would. */
  say(text) {
    return this.queue(() => this.client.call('say', { text }));
  }

  /** The visitor's profile as JSON (for the host's own export button). */
  exportProfile() {
    return this.ready.then(() => this.client.call('exportProfile'));
  }

  /** Deletes everything Kith stored in this browser. */
  deleteProfile() {
    return this.ready.then(() => this.queue(() => this.client.call('deleteEverything')));
  }

  queue(action) {
    this.busy = this.busy.then(async () => {
      try {
        if (this.status) this.status.textContent = '';
        this.show(await action());
      } catch (err) {
        if (this.status) this.status.textContent = `Sorry, that went wrong: ${err.message}`;
        this.emit('kith-error', { message: err.message });
      }
    });
    return this.busy;
  }

  show(state) {
    if (!this.list) return;
    this.storage(state);
    this.summary = state.summary;
    const reply = state.reply;
    this.list.replaceChildren();
    this.question.replaceChildren();
    this.heard.textContent = '';
    // Before the visitor has said anything there is nothing of theirs to show.
    if (!reply || !state.summary.turns) return;
    const u = reply.understood || {};
    const heard = [...(u.occasions || []), ...(u.liked || []), ...(u.wanted_creators || []), ...(u.wanted_tags || []).map((t) => t.replace(/-/g, ' '))];
    if (heard.length) this.heard.textContent = `Going on: ${heard.join(', ')}`;
    if (!reply.recommendations.length) this.status.textContent = 'Nothing left to suggest with these settings.';
    for (const rec of reply.recommendations) this.list.append(this.card(rec));
    if (reply.question) {
      this.question.append(el('p', 'question', reply.question));
      const replies = el('div', 'replies');
      const quick = reply.question_about && reply.question_about.kind === 'items'
        ? ['The first', 'The second', 'The third', 'None of them'] : ['Yes', 'No'];
      for (const r of quick) {
        const b = el('button', null, r);
        b.type = 'button';
        b.addEventListener('click', () => this.say(r));
        replies.append(b);
      }
      this.question.append(replies);
    }
    this.emit('kith-shown', { ids: reply.recommendations.map((r) => r.id), turn: reply.turn, variant: this.variantInUse });
  }

  card(rec) {
    const li = el('li', 'item');
    li.dataset.id = rec.id;
    const title = el('p', 'title');
    const template = this.getAttribute('item-link');
    // A host that handles the pick itself (client-side routing) cancels the event.
    const pick = (e) => {
      if (!this.emit('kith-pick', { id: rec.id, title: rec.title, variant: this.variantInUse })) e.preventDefault();
    };
    if (template) {
      const a = el('a', null, rec.title);
      a.href = new URL(template.replaceAll('{id}', encodeURIComponent(rec.id)), document.baseURI).href;
      a.addEventListener('click', pick);
      title.append(a);
    } else {
      const b = el('button', null, rec.title);
      b.type = 'button';
      b.addEventListener('click', pick);
      title.append(b);
    }
    const by = el('p', 'by', [rec.creators.join(', '), rec.year].filter(Boolean).join(' · '));
    const why = el('p', 'why', rec.explanation);
    const actions = el('div', 'actions');
    for (const [kind, label] of FEEDBACK) {
      const b = el('button', null, label);
      b.type = 'button';
      b.dataset.kind = kind;
      b.addEventListener('click', () => {
        li.classList.add('done');
        for (const x of actions.querySelectorAll('button')) x.disabled = true;
        const detail = { id: rec.id, kind, variant: this.variantInUse };
        this.emit('kith-rate', detail);
        this.emit(kind === 'not_for_me' ? 'kith-rejected' : 'kith-accepted', detail);
        this.queue(() => this.client.call('feedback', { id: rec.id, kind }));
      });
      actions.append(b);
    }
    li.append(title, by, why, actions);
    return li;
  }
}

if (!customElements.get('kith-recommender')) customElements.define('kith-recommender', KithRecommender);
export { KithRecommender };
