// The demo page: DOM, events and messages to the worker, nothing else.
// Every piece of catalog or visitor text is set with textContent, never HTML.

import { KithClient } from './kith-client.js';

const $ = (id) => document.getElementById(id);
let kith = null;
const call = (op, args) => kith.call(op, args);
let info = null;

// Friendlier wording (the optional language model). The preference is the
// visitor's: 'on', 'off' (declined), or unset (not asked yet).
const LLM_URL = 'smollm2.gguf';
const PREF = 'kith-phrasing';
const pref = () => { try { return localStorage.getItem(PREF); } catch { return null; } };
const setPref = (v) => { try { localStorage.setItem(PREF, v); } catch { /* private mode: this visit only */ } };
const lowMemory = () => typeof navigator.deviceMemory === 'number' && navigator.deviceMemory < 4;
let shown = { turn: -1, question: null, whys: [] };

function phrasingStatus(text) {
  $('phrasing-status').textContent = text;
  $('phrasing-status').hidden = !text;
}

async function setPhrasing(on) {
  $('phrasing').checked = on;
  $('phrasing-offer').hidden = true;
  setPref(on ? 'on' : 'off');
  try {
    const r = await call('phrasing', { on, url: LLM_URL });
    $('phrasing-bar').hidden = true;
    if (on) {
      shown.turn = r.turn;
      phrasingStatus('Friendlier wording is on: each sentence is checked against the facts before it is shown.');
    } else {
      phrasingStatus('');
    }
  } catch (err) {
    $('phrasing-bar').hidden = true;
    $('phrasing').checked = false;
    phrasingStatus(`The language model could not be loaded (${err.message}); Kith's own wording is used.`);
  }
}

// The sentence a phrasing message is about, if it is still on screen.
function phrasedElement(m) {
  if (m.turn !== shown.turn) return null;
  return m.slot.kind === 'question' ? shown.question : shown.whys[m.slot.index] || null;
}

function onPhrase(e) {
  const el = phrasedElement(e.detail);
  if (!el) return;
  if (!el.dataset.template) el.dataset.template = el.textContent;
  if (!el.classList.contains('phrasing')) { el.classList.add('phrasing'); el.textContent = ''; }
  el.textContent += e.detail.text;
}

function onPhrased(e) {
  const m = e.detail;
  if (m.stats) {
    phrasingStatus(`Friendlier wording is on: ${m.stats.kept} sentences kept, ${m.stats.rejected} replaced by Kith's own wording after checking them against the facts.`);
  }
  const el = phrasedElement(m);
  if (!el) return;
  const template = el.dataset.template || el.textContent;
  el.classList.remove('phrasing');
  if (m.result && m.result.kept) {
    el.textContent = m.result.text;
    el.classList.add('friendly');
    el.title = `Kith's own wording: ${template}`;
  } else {
    el.textContent = template;
  }
}

// Another tab saved or deleted: show where the shared profile now stands.
function changed(e) {
  const m = e.detail;
  if (m.deleted) {
    $('log').replaceChildren();
    kithSays('Everything Kith stored was deleted in another tab.');
    kithSays(info.openingQuestion);
  } else {
    kithSays('Updated from your other tab.');
    if (m.reply) render(m.reply, m.turn);
  }
  renderSummary(m.summary);
}

function el(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

function progress(loaded, total) {
  // A download still finishing after Kith failed to start must not hide why.
  if (document.body.dataset.failed) return;
  const mb = (x) => (x / 1e6).toFixed(1);
  $('loading-text').textContent = total
    ? `Downloading Kith's model… ${mb(loaded)} of ${mb(total)} MB`
    : `Downloading Kith's model… ${mb(loaded)} MB`;
  if (total) $('bar-fill').style.width = `${Math.min(100, (100 * loaded) / total)}%`;
}

// What the visitor must know about where their profile lives: a save that
// failed (storage full or gone — the change stays in this tab and is saved
// with the next one), storage the browser wiped (written back from this
// tab), or storage the browser may clear when it needs space.
function storageNotice(r) {
  const note = $('storage-note');
  if (r && r.saveProblem === 'newer version') {
    note.textContent = 'A newer version of Kith saved your profile in another tab. Reload this page to continue with it; what you do here until then is not saved.';
    note.hidden = false;
    document.body.dataset.storage = 'newer';
  } else if (r && r.saveProblem) {
    const full = /quota/i.test(r.saveProblem);
    note.textContent = full
      ? 'This browser has no room left to save your profile: your latest changes are kept in this tab only. Export your profile to keep a copy.'
      : `Your profile could not be saved in this browser (${r.saveProblem}): your latest changes are kept in this tab only. Export your profile to keep a copy.`;
    note.hidden = false;
    document.body.dataset.storage = full ? 'full' : 'failed';
  } else if (r && r.wiped) {
    note.textContent = 'This browser cleared its stored data: your profile was saved again from this tab.';
    note.hidden = false;
    document.body.dataset.storage = 'restored';
  } else if (r && document.body.dataset.storage && document.body.dataset.storage !== 'best-effort') {
    note.hidden = true;
    delete document.body.dataset.storage;
    askToKeep();
  } else if (r && r.reply && !askedToKeep) {
    // Once there is something worth keeping (Firefox asks the visitor).
    askToKeep();
  }
}
let askedToKeep = false;

// Storage a browser may clear under pressure unless the page asks to keep
// it; when the browser says no, the visitor is told, and export is at hand.
async function askToKeep() {
  askedToKeep = true;
  if (!navigator.storage || !navigator.storage.persist) return;
  try {
    const kept = (await navigator.storage.persisted()) || (await navigator.storage.persist());
    if (kept || document.body.dataset.storage) return;
    const note = $('storage-note');
    note.textContent = 'This browser may clear your profile when it runs low on space. Export it now and then to keep a copy.';
    note.hidden = false;
    document.body.dataset.storage = 'best-effort';
  } catch {
    /* no answer: nothing to say */
  }
}

// The parts still arriving after the first answer (staged loading): what
// works now, how far the rest is, and what could not be had.
function understanding(d) {
  const line = $('understanding');
  if (d.attached) document.body.dataset[`attach${d.attached}`] = d.ms;
  const mb = (x) => (x / 1e6).toFixed(1);
  if (d.info) info = d.info;
  if (d.error) {
    line.textContent = `Understanding of free text could not be downloaded (${d.error}). Titles, names and topics still work.`;
    line.hidden = false;
    document.body.dataset.understanding = 'failed';
    return;
  }
  if (d.pending && d.pending.length === 0 && !info.hasEncoder) {
    line.textContent = `Understanding by meaning is off: ${info.encoderProblem}. Titles, names and topics still work.`;
    line.hidden = false;
    document.body.dataset.understanding = 'none';
    return;
  }
  if (d.pending && d.pending.length === 0) {
    line.textContent = 'Kith now understands free text too.';
    document.body.dataset.understanding = 'full';
    setTimeout(() => { if (line.textContent === 'Kith now understands free text too.') line.hidden = true; }, 4000);
    return;
  }
  const got = d.total ? ` (${mb(d.loaded)} of ${mb(d.total)} MB)` : '';
  line.textContent = `Understanding of free text is still arriving${got}; titles, names and topics work already.`;
  line.hidden = false;
  document.body.dataset.understanding = 'partial';
}


function say(text) { const li = el('li', 'msg you', text); $('log').append(li); return li; }

function kithSays(text) {
  const li = el('li', 'msg kith');
  li.append(el('p', 'text', text));
  $('log').append(li);
  return li;
}

function heard(u) {
  if (!u) return '';
  const bits = [];
  if (u.occasions && u.occasions.length) bits.push(u.occasions.join(', '));
  if (u.liked.length) bits.push(`you liked ${u.liked.join(', ')}`);
  if (u.disliked.length) bits.push(`not ${u.disliked.join(', ')}`);
  if (u.wanted_creators.length) bits.push(`more by ${u.wanted_creators.join(', ')}`);
  if (u.wanted_tags.length) bits.push(`into ${u.wanted_tags.map((t) => t.replace(/-/g, ' ')).join(', ')}`);
  if (u.avoided_tags.length) bits.push(`avoiding ${u.avoided_tags.map((t) => t.replace(/-/g, ' ')).join(', ')}`);
  if (u.avoided_creators.length) bits.push(`nothing by ${u.avoided_creators.join(', ')}`);
  if (u.avoided_themes.length) bits.push(`steering away from “${u.avoided_themes.join(', ')}”`);
  return bits.length ? `Got it: ${bits.join('; ')}.` : '';
}

const PART_NAMES = { mf: 'readers like you', text: 'your description', popularity: 'popularity', tags: 'topics you asked for',
  creator: 'author you asked for', graph: 'series / author you liked', avoid: 'things you avoid', adjust: 'freshness & follow-ups' };

function whyPanel(rec) {
  const box = el('div');
  box.append(el('p', null, rec.explanation));
  const max = Math.max(0.01, ...Object.values(rec.parts).map(Math.abs));
  for (const [k, v] of Object.entries(rec.parts)) {
    if (Math.abs(v) < 0.01) continue;
    const row = el('div', 'part');
    row.append(el('span', null, PART_NAMES[k] || k));
    const meter = el('div', v < 0 ? 'meter neg' : 'meter');
    meter.style.width = `${(100 * Math.abs(v)) / max}%`;
    row.append(meter, el('span', null, v.toFixed(2)));
    box.append(row);
  }
  return box;
}

function cards(reply) {
  const list = el('ol', 'recs');
  reply.recommendations.forEach((rec, i) => {
    const li = document.getElementById('card').content.firstElementChild.cloneNode(true);
    li.dataset.id = rec.id;
    li.querySelector('.rank').textContent = `${i + 1}.`;
    li.querySelector('.title').textContent = rec.title;
    li.querySelector('.by').textContent = [rec.creators.join(', '), rec.year].filter(Boolean).join(' · ');
    li.querySelector('.why').textContent = rec.explanation;
    const tags = li.querySelector('.tags');
    for (const t of rec.tags.slice(0, 4)) tags.append(el('li', null, t.replace(/-/g, ' ')));
    for (const b of li.querySelectorAll('button[data-kind]')) {
      // Screen readers hear which item a button is about.
      b.setAttribute('aria-label', `${b.getAttribute('aria-label')}: ${rec.title}`);
      b.addEventListener('click', () => {
        li.classList.add('done');
        const label = { love: 'Love it', not_for_me: 'Not for me', more_like_this: 'More like this' }[b.dataset.kind];
        turn(`${label}: ${rec.title}`, () => call('feedback', { id: rec.id, kind: b.dataset.kind }));
        document.dispatchEvent(new CustomEvent('kith-feedback', { detail: { id: rec.id, kind: b.dataset.kind } }));
      });
    }
    const panel = li.querySelector('.why-panel');
    const why = li.querySelector('[data-why]');
    why.addEventListener('click', () => {
      if (panel.hidden) panel.replaceChildren(whyPanel(rec));
      panel.hidden = !panel.hidden;
      why.setAttribute('aria-expanded', String(!panel.hidden));
    });
    list.append(li);
  });
  return list;
}

function render(reply, turnToken) {
  const text = reply.recommendations.length
    ? (reply.turn === 0 ? 'Here are some ideas:' : 'Here is what I would pick now:')
    : 'I have nothing left to suggest with these settings.';
  const li = kithSays(text);
  const h = heard(reply.understood);
  if (h) li.insertBefore(el('p', 'heard', h), li.firstChild);
  for (const n of reply.notes) li.append(el('p', 'note', n));
  const list = cards(reply);
  li.append(list);
  shown = { turn: turnToken, question: null, whys: [...list.querySelectorAll('.why')] };
  if (reply.question) {
    const q = kithSays(reply.question);
    shown.question = q.querySelector('.text');
    const replies = el('div', 'replies');
    const quick = reply.question_about && reply.question_about.kind === 'items'
      ? ['The first', 'The second', 'The third', 'None of them']
      : ['Yes', 'No'];
    for (const r of quick) {
      const b = el('button', null, r);
      b.type = 'button';
      b.addEventListener('click', () => { replies.remove(); turn(r, () => call('say', { text: r })); });
      replies.append(b);
    }
    q.append(replies);
  }
  // The new reply comes into view from its top (on a phone the page below
  // the conversation holds the controls: scrolling to the bottom hid it).
  li.scrollIntoView({ block: 'start', behavior: 'smooth' });
}

function renderSummary(s) {
  const box = $('profile');
  box.replaceChildren();
  const liked = s.picks.filter((p) => p.strength > 0);
  const disliked = s.picks.filter((p) => p.strength < 0);
  const list = (title, items) => {
    box.append(el('p', 'muted', title));
    const ul = el('ul');
    for (const p of items) ul.append(el('li', null, p.title));
    box.append(ul);
  };
  if (liked.length) list('Liked', liked);
  if (disliked.length) list('Not for you', disliked);
  const a = s.acceptance;
  box.append(el('p', 'muted', a.shown
    ? `${a.accepted} of ${a.shown} suggestions accepted (${((100 * a.accepted) / a.shown).toFixed(0)}%), ${a.rejected} turned down; per 5 turns: ${a.rate_by_turns.map((r) => `${(100 * r).toFixed(0)}%`).join(' → ')}.`
    : 'Nothing yet: tell Kith what you enjoy.'));
  $('diversity').value = s.controls.diversity;
  $('diversity-v').textContent = Number(s.controls.diversity).toFixed(2);
  const chips = $('avoid-list');
  chips.replaceChildren();
  for (const t of s.controls.avoid_topics) {
    const li = el('li', null, t.replace(/-/g, ' '));
    const x = el('button', null, '×');
    x.type = 'button';
    x.setAttribute('aria-label', `stop avoiding ${t}`);
    x.addEventListener('click', () => setControls({ ...s.controls, avoid_topics: s.controls.avoid_topics.filter((y) => y !== t) }));
    li.append(x);
    chips.append(li);
  }
  window.kithSummary = s;
}

let busy = Promise.resolve();
function turn(label, action) {
  if (label) say(label);
  const asked = performance.now();
  busy = busy.then(async () => {
    try {
      const sent = performance.now();
      const result = await action();
      const { reply, summary, turn: token, timings } = result;
      const back = performance.now();
      storageNotice(result);
      renderSummary(summary);
      if (reply) {
        render(reply, token);
        offerPhrasing();
      }
      // For benchmarks: where a turn's time went, worker and page.
      if (timings) {
        document.body.dataset.turnTimings = JSON.stringify({ ...timings, queued: Math.round(sent - asked),
          worker: Math.round(back - sent), render: Math.round(performance.now() - back), total: Math.round(performance.now() - asked) });
      }
      document.dispatchEvent(new CustomEvent('kith-shown', { detail: { ids: reply ? reply.recommendations.map((r) => r.id) : [] } }));
    } catch (err) {
      kithSays(`Sorry, that went wrong: ${err.message}`);
    }
  });
  return busy;
}

// The first time there is something to word, offer the model once; never
// on a device that reports little memory, never again once declined.
function offerPhrasing() {
  if (pref() !== null || lowMemory() || $('phrasing').checked) return;
  $('phrasing-offer').hidden = false;
}

function setControls(controls) { return turn(null, () => call('controls', { controls })); }

$('ask').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('say').value;
  $('say').value = '';
  turn(text.trim() ? text : '…', () => call('say', { text }));
});
$('diversity').addEventListener('change', () => {
  const s = window.kithSummary;
  setControls({ ...s.controls, diversity: Number($('diversity').value) });
});
$('avoid-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const t = $('avoid').value.trim().toLowerCase().replace(/\s+/g, '-');
  $('avoid').value = '';
  const s = window.kithSummary;
  if (t && !s.controls.avoid_topics.includes(t)) setControls({ ...s.controls, avoid_topics: [...s.controls.avoid_topics, t] });
});
$('export').addEventListener('click', async () => {
  const json = await call('exportProfile');
  const a = el('a');
  a.href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  a.download = 'kith-profile.json';
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});
$('import').addEventListener('change', async () => {
  const file = $('import').files[0];
  $('import').value = '';
  if (!file) return;
  // The engine refuses more than 16 MiB (profile::MAX_PROFILE_BYTES);
  // saying so here spares reading a huge file into memory first.
  if (file.size > 16 * 1024 * 1024) {
    kithSays(`That file is ${(file.size / 1e6).toFixed(0)} MB, far more than a profile can be: it was not imported. Your profile is unchanged.`);
    return;
  }
  try {
    const start = await call('importProfile', { json: await file.text() });
    $('log').replaceChildren();
    kithSays(info.openingQuestion);
    for (const t of start.history) say(t.said);
    renderSummary(start.summary);
    if (start.reply) render(start.reply, start.turn);
  } catch (err) {
    kithSays(`That file could not be imported: ${err.message}. Your profile is unchanged.`);
  }
});
$('delete').addEventListener('click', async () => {
  if (!confirm('Delete everything Kith stored in this browser?')) return;
  await turn(null, () => call('deleteEverything'));
  $('log').replaceChildren();
  kithSays(info.openingQuestion);
});

// Offline: the service worker precaches the page, the wasm and the scripts,
// and serves the bundle's parts from the parts cache. Registered while Kith
// starts, never waited for: on a first visit the worker (not yet under the
// service worker) keeps the parts it downloads in the parts cache itself,
// and the browser's HTTP cache lets the wasm the page compiles and the one
// the service worker precaches share one download.
function offlineReady() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('sw.js').catch((err) => console.warn('offline mode unavailable:', err.message));
}

(async () => {
  try {
    // ?bundle=other.json (a staged bundle's manifest, `kith split`) or
    // ?bundle=other.kith (one file) loads another bundle from this folder
    // (same origin only).
    const asked = new URLSearchParams(location.search).get('bundle');
    const bundle = asked && /^[\w.-]+\.(kith|json)$/.test(asked) ? asked : 'goodbooks.json';
    offlineReady();
    kith = new KithClient();
    kith.addEventListener('progress', (e) => progress(e.detail.loaded, e.detail.total));
    kith.addEventListener('changed', changed);
    kith.addEventListener('understanding', (e) => understanding(e.detail));
    kith.addEventListener('restarted', (e) => {
      document.body.dataset.restarts = e.detail.restarts;
      if (e.detail.replayed) kithSays('(Kith had to restart its engine; it is answering your last message again.)');
    });
    kith.addEventListener('phrase', onPhrase);
    kith.addEventListener('phrased', onPhrased);
    kith.addEventListener('llm-progress', (e) => {
      const { loaded, total } = e.detail;
      phrasingStatus(`Downloading the language model… ${(loaded / 1e6).toFixed(0)}${total ? ` of ${(total / 1e6).toFixed(0)}` : ''} MB`);
      $('phrasing-bar').hidden = loaded >= total && total > 0;
      if (total) $('phrasing-fill').style.width = `${Math.min(100, (100 * loaded) / total)}%`;
    });
    const start = await call('init', { bundle });
    // For benchmarks: where the worker's start-up time went.
    document.body.dataset.timings = JSON.stringify({ ...start.timings, page: Math.round(performance.now()) });
    info = start.info;
    $('attribution').textContent = `Catalog: ${info.attribution}.`;
    for (const t of info.tags) { const o = el('option'); o.value = t.replace(/-/g, ' '); $('tags').append(o); }
    $('loading').hidden = true;
    $('app').hidden = false;
    if (start.recovered) {
      $('banner').textContent = `Your saved profile could not be read (${start.recovered}). It was kept aside in this browser and a fresh one started.`;
      $('banner').hidden = false;
    }
    storageNotice(start);
    if (!start.saveProblem && start.history.length) askToKeep();
    document.body.dataset.understanding = info.hasEncoder ? 'full' : 'none';
    if (start.pending.length) understanding({ pending: start.pending });
    else if (!info.hasEncoder) kithSays(`(Understanding by meaning is off: ${info.encoderProblem}. Titles, authors and topics still work.)`);
    kithSays(info.openingQuestion);
    for (const t of start.history) say(t.said);
    renderSummary(start.summary);
    if (start.reply) render(start.reply, start.turn);
    $('phrasing').checked = pref() === 'on';
    $('phrasing').addEventListener('change', () => setPhrasing($('phrasing').checked));
    $('phrasing-yes').addEventListener('click', () => setPhrasing(true));
    $('phrasing-no').addEventListener('click', () => { setPref('off'); $('phrasing-offer').hidden = true; });
    if (pref() === 'on') setPhrasing(true);
    $('say').focus();
    document.body.dataset.readyAt = Math.round(performance.now());
    document.body.dataset.ready = 'true';
  } catch (err) {
    $('loading-text').textContent = `Kith could not start: ${err.message}`;
    $('retry').hidden = false;
    document.body.dataset.failed = 'true';
  }
})();

// Nothing half-downloaded is kept (parts are checked against their names),
// so trying again is loading the page again.
$('retry').addEventListener('click', () => location.reload());
