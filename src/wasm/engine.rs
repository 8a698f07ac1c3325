//! The wasm-bindgen shell: converts between JS values and the core, and
//! nothing else. Errors become JS exceptions carrying the core's message.
//!
//! `Encoder` embeds text; `Kith` is a loaded bundle and `Session` one
//! visitor's conversation over it (the façade of `crate::session`).

mod download;
mod store;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::encoder::{Encoder, WeightMode};
use crate::llm::Llm;
use crate::phrasing::{phrase, reply_facts, PhrasingStats};
use crate::profile::{Controls, Profile};
use crate::session::Reply;
use crate::session::{Engine, Feedback};
use crate::sync::{Change, Synced};

/// The sentence encoder, for JS.
#[wasm_bindgen(js_name = Encoder)]
pub struct WasmEncoder {
    inner: Encoder,
}

#[wasm_bindgen(js_class = Encoder)]
impl WasmEncoder {
    /// Loads the encoder from the bytes of its GGUF file. `mode` is "int8"
    /// (Kith's fused int8 kernels, the default), "quantized" (candle QMatMul)
    /// or "dequantized" (candle, f32 weights).
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], mode: Option<String>) -> Result<WasmEncoder, JsError> {
        let mode = match mode.as_deref().unwrap_or("int8") {
            "int8" => WeightMode::Int8,
            "quantized" => WeightMode::Quantized,
            "dequantized" => WeightMode::Dequantized,
            other => return Err(JsError::new(&format!("unknown encoder mode {other:?}"))),
        };
        let inner =
            Encoder::from_gguf_bytes_with(bytes, mode).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(WasmEncoder { inner })
    }

    /// Vector dimension (384).
    pub fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// The unit vector of one text, as a Float32Array.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, JsError> {
        self.inner
            .embed(text)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Vectors of several texts, concatenated (n × dim) in one Float32Array.
    #[wasm_bindgen(js_name = embedBatch)]
    pub fn embed_batch(&self, texts: Vec<String>) -> Result<Vec<f32>, JsError> {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let out = self
            .inner
            .embed_batch(&refs)
            .map_err(|e| JsError::new(&e.to_string()))?;
        Ok(out.into_iter().flatten().collect())
    }

    /// Token ids of a text as the encoder sees it.
    #[wasm_bindgen(js_name = tokenIds)]
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, JsError> {
        self.inner
            .token_ids(text)
            .map_err(|e| JsError::new(&e.to_string()))
    }
}

/// Item factors and biases scored against a user vector over the whole
/// catalog, the collaborative half of every turn: for hosts that bring
/// their own factors, and for the ranking benchmark.
#[wasm_bindgen]
pub struct Scorer {
    model: crate::mf::MfModel,
    scores: Vec<f32>,
}

#[wasm_bindgen]
impl Scorer {
    /// `factors`: n × dim, row-major; `biases`: n. Mismatched lengths throw.
    #[wasm_bindgen(constructor)]
    pub fn new(dim: usize, factors: Vec<f32>, biases: Vec<f32>) -> Result<Scorer, JsError> {
        let model = crate::mf::MfModel::from_items(dim, factors, biases).map_err(js_err)?;
        Ok(Scorer {
            model,
            scores: Vec::new(),
        })
    }

    /// Number of items.
    pub fn items(&self) -> usize {
        self.model.n_items()
    }

    /// Indices of the `k` best items for `user` (dim floats), best first.
    #[wasm_bindgen(js_name = topK)]
    pub fn top_k(&mut self, user: Vec<f32>, k: usize) -> Result<Vec<u32>, JsError> {
        let user = crate::mf::UserVector {
            factors: user,
            bias: 0.0,
        };
        self.model
            .score_all(&user, &mut self.scores)
            .map_err(js_err)?;
        Ok(crate::mf::top_k(&self.scores, k, &[])
            .into_iter()
            .map(|(i, _)| i)
            .collect())
    }
}

/// Reads a staged bundle's manifest (written by `kith split`):
/// `{name, parts: [{part, file, bytes, sha256}]}`, core first. A manifest
/// that is not one, or from a newer Kith, throws saying so.
#[wasm_bindgen(js_name = readManifest)]
pub fn read_manifest(text: &str) -> Result<JsValue, JsError> {
    to_js(&crate::parts::Manifest::from_json(text).map_err(js_err)?)
}

/// Bytes of wasm linear memory in use by this instance (for benchmarks).
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .dyn_into::<js_sys::ArrayBuffer>()
                .map(|b| b.byte_length() as f64)
                .unwrap_or(0.0)
        })
        .unwrap_or(0.0)
}

/// Converts a Rust value to a plain JS object (maps as objects, not Map).
fn to_js<T: serde::Serialize>(v: &T) -> Result<JsValue, JsError> {
    let ser = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    v.serialize(&ser).map_err(|e| JsError::new(&e.to_string()))
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The message of a value JS threw (an Error, a string, or anything else).
fn js_message(e: &JsValue, fallback: &str) -> String {
    use wasm_bindgen::JsCast;
    e.dyn_ref::<js_sys::Error>()
        .map(|x| String::from(x.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| fallback.to_string())
}

/// A JS callback as a text sink: it receives each piece and may return
/// `false` to stop (anything else, `undefined` included, continues).
fn text_sink(f: &js_sys::Function) -> impl FnMut(&str) -> bool + '_ {
    move |t: &str| {
        f.call1(&JsValue::NULL, &JsValue::from_str(t))
            .map(|v| v.is_undefined() || v.is_truthy())
            .unwrap_or(false)
    }
}

/// The engine shared by a `Kith` and its sessions; a part attached later
/// (`Kith.attach`) is seen by every session's next turn.
type Shared = std::rc::Rc<std::cell::RefCell<Engine>>;

/// The engine for reading. JS is single-threaded, so the only way to find
/// it borrowed is a callback re-entering Kith mid-call: an error, not a panic.
fn engine(shared: &Shared) -> Result<std::cell::Ref<'_, Engine>, JsError> {
    shared
        .try_borrow()
        .map_err(|_| JsError::new("Kith is busy attaching a part; try again"))
}

/// A loaded bundle: the recommender for every visitor of a page.
#[wasm_bindgen(js_name = Kith)]
pub struct WasmKith {
    engine: Shared,
}

#[wasm_bindgen(js_class = Kith)]
impl WasmKith {
    /// Loads a bundle from its bytes; a truncated, corrupt or wrong-version
    /// file throws an Error saying which.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<WasmKith, JsError> {
        let engine = Engine::load(bytes).map_err(js_err)?;
        Ok(WasmKith {
            engine: std::rc::Rc::new(std::cell::RefCell::new(engine)),
        })
    }

    /// Adds a part downloaded after the core one (the text part or the
    /// encoder; `readManifest` lists them): every session's next turn uses
    /// it. A part that does not belong (another catalog or version, another
    /// encoder, a corrupt file) throws and the engine keeps what it had.
    /// Returns the part's name.
    pub fn attach(&self, bytes: &[u8]) -> Result<String, JsError> {
        let mut e = self
            .engine
            .try_borrow_mut()
            .map_err(|_| JsError::new("Kith is busy; attach the part after this call"))?;
        Ok(e.attach(bytes).map_err(js_err)?.name().to_string())
    }

    /// Downloads a bundle and loads it; `onProgress(loaded, total)` is
    /// called as bytes arrive (`total` 0 when unknown). A failed download
    /// or a bad file rejects with the reason.
    pub async fn load(
        url: String,
        on_progress: Option<js_sys::Function>,
    ) -> Result<WasmKith, JsError> {
        let bytes = download::download(&url, on_progress).await?;
        WasmKith::new(&bytes)
    }

    /// What the bundle is: name, nouns, attribution, item count, whether
    /// sentences are understood by meaning, and the opening question.
    pub fn info(&self) -> Result<JsValue, JsError> {
        let e = engine(&self.engine)?;
        let m = e.meta();
        to_js(&serde_json::json!({
            "name": m.name,
            "itemNoun": [m.item_noun.0, m.item_noun.1],
            "consumeVerb": m.consume_verb,
            "attribution": m.attribution,
            "items": e.catalog().len(),
            "hasEncoder": e.has_encoder(),
            "encoderProblem": e.encoder_problem(),
            "openingQuestion": e.opening_question(),
            "tags": e.bundle().attributes.tags.iter().map(|t| &t.name).collect::<Vec<_>>(),
            "variants": crate::variant::Variant::ALL.iter().map(|v| v.name()).collect::<Vec<_>>(),
        }))
    }

    /// Why a stored profile cannot be used (unreadable, another catalog, a
    /// newer version), or `undefined` when it can. The page keeps such a
    /// record aside (`backupProfile`) and tells the visitor before starting fresh.
    #[wasm_bindgen(js_name = profileProblem)]
    pub fn profile_problem(&self, profile_json: &str) -> Result<Option<String>, JsError> {
        Ok(engine(&self.engine)?
            .open_profile(profile_json)
            .err()
            .map(|e| e.to_string()))
    }

    /// Whether a stored profile was written by a newer Kith (a newer page in
    /// another tab, or a newer deploy): it must be neither used nor
    /// overwritten by this older build.
    #[wasm_bindgen(js_name = profileIsNewer)]
    pub fn profile_is_newer(&self, profile_json: &str) -> bool {
        matches!(
            Profile::from_json(profile_json),
            Err(crate::profile::ProfileError::TooNew { .. })
        )
    }

    /// A session for one visitor: a fresh profile, or one exported or
    /// stored earlier (JSON, migrated if older), optionally under a ranking
    /// variant ("balanced", "collaborative", "content", "discovery",
    /// "no-questions"). A corrupt profile or an unknown variant throws; the
    /// caller keeps the record aside and starts fresh.
    #[wasm_bindgen(js_name = openSession)]
    pub fn open_session(
        &self,
        profile_json: Option<String>,
        variant: Option<String>,
    ) -> Result<Session, JsError> {
        let e = engine(&self.engine)?;
        let profile = match profile_json {
            Some(json) => e.open_profile(&json).map_err(js_err)?,
            None => e.new_profile(),
        };
        let mut state = Synced::new(profile);
        state.set_variant(&e, variant.as_deref()).map_err(js_err)?;
        Ok(Session {
            engine: self.engine.clone(),
            state,
            last: None,
        })
    }
}

/// The optional phrasing model (SmolLM2-135M): rewrites the engine's
/// questions and explanations; every output is checked against the facts
/// (`crate::phrasing`) and falls back to the template.
#[wasm_bindgen]
pub struct Phraser {
    llm: Llm,
    stats: PhrasingStats,
    /// Results by facts: a reason shown again in the next reply is not
    /// generated twice (greedy decoding would say the same).
    memo: std::collections::HashMap<String, crate::phrasing::Phrased>,
}

#[wasm_bindgen]
impl Phraser {
    /// Loads the model from the bytes of its GGUF file.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<Phraser, JsError> {
        Ok(Phraser {
            llm: Llm::from_gguf_bytes(bytes).map_err(js_err)?,
            stats: PhrasingStats::default(),
            memo: std::collections::HashMap::new(),
        })
    }

    /// Downloads the model and loads it; `onProgress(loaded, total)` as bytes arrive.
    pub async fn load(
        url: String,
        on_progress: Option<js_sys::Function>,
    ) -> Result<Phraser, JsError> {
        let bytes = download::download(&url, on_progress).await?;
        Phraser::new(&bytes)
    }

    /// Outputs kept and rejected so far, by reason.
    pub fn stats(&self) -> Result<JsValue, JsError> {
        to_js(&self.stats)
    }

    /// Greedy text after a prompt, streamed to `onText` (return false to
    /// stop): for benchmarks and tests, no guard.
    pub fn generate(
        &mut self,
        prompt: &str,
        max_tokens: usize,
        on_text: &js_sys::Function,
    ) -> Result<JsValue, JsError> {
        let mut cb = text_sink(on_text);
        let g = self
            .llm
            .generate(prompt, max_tokens, &mut cb)
            .map_err(js_err)?;
        to_js(&serde_json::json!({
            "text": g.text, "promptTokens": g.prompt_tokens, "cachedTokens": g.cached_tokens,
            "tokens": g.tokens, "finished": g.finished,
        }))
    }
}

/// One visitor's conversation: every call updates the profile, which the
/// page persists after each change: `absorb(stored)` then `commit()`, under a
/// lock, so two tabs lose no update (`crate::sync`).
#[wasm_bindgen]
pub struct Session {
    engine: Shared,
    state: Synced,
    /// The last reply, whose sentences `phrase` rewrites.
    last: Option<Reply>,
}

#[wasm_bindgen]
impl Session {
    /// What the visitor says; returns the reply (question, recommendations
    /// with explanations, what was understood, notes).
    pub fn say(&mut self, text: &str) -> Result<JsValue, JsError> {
        let change = Change::Say {
            text: text.to_string(),
        };
        let r = self
            .state
            .apply(&*engine(&self.engine)?, change)
            .map_err(js_err)?;
        self.remember(r)
    }

    /// Feedback on an item by id: "love", "not_for_me", "more_like_this" or "already_seen".
    pub fn feedback(&mut self, id: &str, kind: &str) -> Result<JsValue, JsError> {
        let fb = match kind {
            "love" => Feedback::Love,
            "not_for_me" => Feedback::NotForMe,
            "more_like_this" => Feedback::MoreLikeThis,
            "already_seen" => Feedback::AlreadySeen,
            other => return Err(JsError::new(&format!("unknown feedback {other:?}"))),
        };
        let change = Change::Feedback {
            id: id.to_string(),
            feedback: fb,
        };
        let r = self
            .state
            .apply(&*engine(&self.engine)?, change)
            .map_err(js_err)?;
        self.remember(r)
    }

    /// Recommendations for the profile as it stands (no turn recorded).
    pub fn recommend(&mut self) -> Result<JsValue, JsError> {
        let r = engine(&self.engine)?
            .recommend(self.current())
            .map_err(js_err)?;
        self.remember(r)
    }

    /// The sentences of the last reply worth phrasing, in order: the
    /// question (if any), then the first `top` explanations. Each is
    /// `{slot: {kind, index}, kind, template}`; pass its position to `phrase`.
    #[wasm_bindgen(js_name = phrasingSlots)]
    pub fn phrasing_slots(&self, top: usize) -> Result<JsValue, JsError> {
        let Some(reply) = &self.last else {
            return to_js(&Vec::<()>::new());
        };
        let slots: Vec<serde_json::Value> = reply_facts(
            &*engine(&self.engine)?,
            self.current(),
            reply,
            top,
        )
        .into_iter()
        .map(|(slot, f)| serde_json::json!({"slot": slot, "kind": f.kind, "template": f.template}))
        .collect();
        to_js(&slots)
    }

    /// Rewrites the `n`th sentence of `phrasingSlots(top)` with the model,
    /// streaming checked text to `onText`; returns `{text, generated, kept,
    /// rejection}` where `text` is what to show (the template if rejected).
    pub fn phrase(
        &self,
        phraser: &mut Phraser,
        top: usize,
        n: usize,
        on_text: &js_sys::Function,
    ) -> Result<JsValue, JsError> {
        let reply = self
            .last
            .as_ref()
            .ok_or_else(|| JsError::new("nothing to phrase yet"))?;
        let (_, facts) = reply_facts(&*engine(&self.engine)?, self.current(), reply, top)
            .into_iter()
            .nth(n)
            .ok_or_else(|| JsError::new(&format!("no sentence {n} to phrase")))?;
        let mut cb = text_sink(on_text);
        let key = serde_json::to_string(&facts).unwrap_or_default();
        let got = match phraser.memo.get(&key) {
            Some(done) => {
                if done.kept {
                    cb(&done.text);
                }
                done.clone()
            }
            None => {
                let got = phrase(
                    &mut phraser.llm,
                    &facts,
                    &engine(&self.engine)?.grounding(),
                    &mut cb,
                );
                if phraser.memo.len() > 256 {
                    phraser.memo.clear();
                }
                phraser.memo.insert(key, got.clone());
                got
            }
        };
        phraser.stats.add(&got);
        to_js(&got)
    }

    /// The visitor's controls (diversity, avoided topics, context, count).
    pub fn controls(&self) -> Result<JsValue, JsError> {
        to_js(&self.current().controls)
    }

    /// Replaces the controls (validated) and returns fresh recommendations.
    #[wasm_bindgen(js_name = setControls)]
    pub fn set_controls(&mut self, controls: JsValue) -> Result<JsValue, JsError> {
        let controls: Controls = serde_wasm_bindgen::from_value(controls).map_err(js_err)?;
        let change = Change::Controls { controls };
        let r = self
            .state
            .apply(&*engine(&self.engine)?, change)
            .map_err(js_err)?;
        self.remember(r)
    }

    /// The whole profile as JSON (what export downloads and storage keeps).
    #[wasm_bindgen(js_name = exportProfile)]
    pub fn export_profile(&self) -> String {
        self.current().to_json()
    }

    /// Takes in the stored record (or `undefined` when none) before a save or
    /// after another tab saved: this tab's unsaved changes are replayed on
    /// top of a newer revision. Returns `{merged, replayed, failed}`; an
    /// unreadable record throws and changes nothing.
    pub fn absorb(&mut self, stored: Option<String>) -> Result<JsValue, JsError> {
        let got = self
            .state
            .absorb(&*engine(&self.engine)?, stored.as_deref())
            .map_err(js_err)?;
        to_js(&got)
    }

    /// Replaces the profile with an exported one (`stored`: the record in
    /// storage now, or `undefined`); a bad file throws and changes nothing.
    /// Then `commit()` and store it.
    #[wasm_bindgen(js_name = importProfile)]
    pub fn import_profile(&mut self, json: &str, stored: Option<String>) -> Result<(), JsError> {
        self.state
            .import(&*engine(&self.engine)?, json, stored.as_deref())
            .map_err(js_err)
    }

    /// The profile JSON to store now, under the next revision.
    pub fn commit(&mut self) -> String {
        self.state.commit()
    }

    /// The profile JSON to store under the next revision, changing nothing
    /// until `saved()`: a write that fails (storage full) loses no change.
    #[wasm_bindgen(js_name = toSave)]
    pub fn to_save(&self) -> String {
        self.state.to_save()
    }

    /// The JSON from `toSave()` was written.
    pub fn saved(&mut self) {
        self.state.saved()
    }

    /// The browser wiped storage under this tab: keep this tab's whole
    /// profile and write it all at the next save.
    #[wasm_bindgen(js_name = keepAfterWipe)]
    pub fn keep_after_wipe(&mut self) {
        self.state.keep_after_wipe()
    }

    /// The profile's revision (how many saves it has seen).
    pub fn revision(&self) -> f64 {
        self.current().revision as f64
    }

    /// The ranking variant in use, if any.
    pub fn variant(&self) -> Option<String> {
        self.current().variant.clone()
    }

    /// The profile as a JS object, for a profile view.
    pub fn profile(&self) -> Result<JsValue, JsError> {
        to_js(self.current())
    }

    /// What the profile view shows: picks with titles, tags, creators,
    /// controls, turns and the acceptance summary.
    pub fn summary(&self) -> Result<JsValue, JsError> {
        let e = engine(&self.engine)?;
        let cat = e.catalog();
        let title = |id: &str| {
            cat.index_of(id)
                .and_then(|i| cat.get(i))
                .map(|x| x.title.clone())
        };
        let picks: Vec<serde_json::Value> = self
            .current()
            .picks
            .iter()
            .filter_map(|p| {
                title(&p.id)
                    .map(|t| serde_json::json!({"id": p.id, "title": t, "strength": p.strength}))
            })
            .collect();
        to_js(&serde_json::json!({
            "picks": picks,
            "seen": self.current().seen.len(),
            "wantedTags": self.current().wanted_tags,
            "avoidedTags": self.current().avoided_tags,
            "avoidTopics": self.current().controls.avoid_topics,
            "wantedCreators": self.current().wanted_creators,
            "avoidedCreators": self.current().avoided_creators,
            "turns": self.current().history.len(),
            "acceptance": self.current().acceptance(),
            "controls": self.current().controls,
        }))
    }

    /// Acceptance counts and rate per five turns.
    pub fn acceptance(&self) -> Result<JsValue, JsError> {
        to_js(&self.current().acceptance())
    }

    /// Forgets everything about the visitor (the page also deletes storage).
    pub fn reset(&mut self) -> Result<(), JsError> {
        self.state.reset(&*engine(&self.engine)?);
        self.last = None;
        Ok(())
    }
}

impl Session {
    fn current(&self) -> &Profile {
        self.state.profile()
    }

    fn remember(&mut self, r: Reply) -> Result<JsValue, JsError> {
        let v = to_js(&r);
        self.last = Some(r);
        v
    }
}
