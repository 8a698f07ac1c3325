//! The engine's exports (`kith.js`): `Encoder` embeds text; `Kith` is a
//! loaded bundle and `Session` one visitor's conversation over it (the
//! façade of `crate::core::session`), including the guard of the optional
//! phrasing model, whose generator lives in its own module
//! (`super::phrasing_model`).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use serde::de::value::StrDeserializer;
use serde::Deserialize;

use super::{download, js_err, to_js};
use crate::core::encoder::{Encoder, WeightMode};
use crate::core::phrasing::{reply_facts, Begin, PhrasingSession, MAX_TOKENS};
use crate::core::profile::{Controls, Profile};
use crate::core::session::Reply;
use crate::core::session::{Engine, Feedback};
use crate::core::sync::{Change, Synced};

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
    model: crate::core::mf::MfModel,
    scores: Vec<f32>,
}

#[wasm_bindgen]
impl Scorer {
    /// `factors`: n × dim, row-major; `biases`: n. Mismatched lengths throw.
    #[wasm_bindgen(constructor)]
    pub fn new(dim: usize, factors: Vec<f32>, biases: Vec<f32>) -> Result<Scorer, JsError> {
        let model = crate::core::mf::MfModel::from_items(dim, factors, biases).map_err(js_err)?;
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
        let user = crate::core::mf::UserVector {
            factors: user,
            bias: 0.0,
        };
        self.model
            .score_all(&user, &mut self.scores)
            .map_err(js_err)?;
        Ok(crate::core::mf::top_k(&self.scores, k, &[])
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
    to_js(&crate::core::parts::Manifest::from_json(text).map_err(js_err)?)
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
            "variants": crate::core::variant::Variant::ALL.iter().map(|v| v.name()).collect::<Vec<_>>(),
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
            Err(crate::core::profile::ProfileError::TooNew { .. })
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
            phrasing: PhrasingSession::default(),
        })
    }
}

/// One visitor's conversation: every call updates the profile, which the
/// page persists after each change: `absorb(stored)` then `commit()`, under a
/// lock, so two tabs lose no update (`crate::core::sync`).
#[wasm_bindgen]
pub struct Session {
    engine: Shared,
    state: Synced,
    /// The last reply, whose sentences `phraseBegin` … `phraseEnd` rewrite.
    last: Option<Reply>,
    /// The phrasing under way, results by facts, and counts.
    phrasing: PhrasingSession,
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

    /// One change in the format `kith chat --json` reads — `{kind: "say",
    /// text}`, `{kind: "feedback", id, feedback}` or `{kind: "controls",
    /// controls}` — so a scripted dialogue replays the same in the terminal
    /// and in the page. Returns the reply, as `say` does.
    pub fn apply(&mut self, change: JsValue) -> Result<JsValue, JsError> {
        let change: Change = serde_wasm_bindgen::from_value(change)
            .map_err(|e| JsError::new(&format!("not a change: {e}")))?;
        let r = self
            .state
            .apply(&*engine(&self.engine)?, change)
            .map_err(js_err)?;
        self.remember(r)
    }

    /// Feedback on an item by id: "love", "not_for_me", "more_like_this" or "already_seen".
    pub fn feedback(&mut self, id: &str, kind: &str) -> Result<JsValue, JsError> {
        // The core's own names (`Feedback`'s serde form), not a second list.
        let fb = Feedback::deserialize(StrDeserializer::<serde::de::value::Error>::new(kind))
            .map_err(|e| JsError::new(&format!("unknown feedback {kind:?}: {e}")))?;
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

    /// Starts phrasing the `n`th sentence of `phrasingSlots(top)`: returns
    /// `{prompt, maxTokens}` for the phrasing model (`kith_phrasing.js`),
    /// whose text then goes through `phrasePiece` and `phraseEnd`; or
    /// `{done}` with the result when these facts were phrased before (greedy
    /// decoding would say the same).
    #[wasm_bindgen(js_name = phraseBegin)]
    pub fn phrase_begin(&mut self, top: usize, n: usize) -> Result<JsValue, JsError> {
        let reply = self
            .last
            .as_ref()
            .ok_or_else(|| JsError::new("nothing to phrase yet"))?;
        let engine = engine(&self.engine)?;
        match self
            .phrasing
            .begin(&engine, self.state.profile(), reply, top, n)
        {
            None => Err(JsError::new(&format!("no sentence {n} to phrase"))),
            Some(Begin::Done(done)) => to_js(&serde_json::json!({ "done": done })),
            Some(Begin::Prompt(prompt)) => {
                to_js(&serde_json::json!({ "prompt": prompt, "maxTokens": MAX_TOKENS }))
            }
        }
    }

    /// The model's next piece of text: returns `{show, more}`, the text now
    /// safe to show (whole words, checked) and whether the model should go on.
    #[wasm_bindgen(js_name = phrasePiece)]
    pub fn phrase_piece(&mut self, piece: &str) -> Result<JsValue, JsError> {
        let engine = engine(&self.engine)?;
        let (show, more) = self.phrasing.piece(&engine, piece);
        to_js(&serde_json::json!({ "show": show, "more": more }))
    }

    /// The model has stopped: `generated` is its whole output, or `error`
    /// why it failed. Returns `{text, generated, kept, rejection, rest}`:
    /// `text` is what to show (the template if rejected), `rest` the
    /// held-back end of a kept sentence still to append.
    #[wasm_bindgen(js_name = phraseEnd)]
    pub fn phrase_end(
        &mut self,
        generated: Option<String>,
        error: Option<String>,
    ) -> Result<JsValue, JsError> {
        let engine = engine(&self.engine)?;
        let result = match (generated, error) {
            (Some(text), None) => Ok(text),
            (_, Some(e)) => Err(e),
            (None, None) => Err("the phrasing model gave no text".to_string()),
        };
        let (got, rest) = self
            .phrasing
            .end(&engine, result)
            .ok_or_else(|| JsError::new("no phrasing under way"))?;
        let mut v = serde_json::to_value(&got).map_err(js_err)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("rest".into(), rest.into());
        }
        to_js(&v)
    }

    /// Phrased sentences kept and rejected in this session, by reason.
    #[wasm_bindgen(js_name = phrasingStats)]
    pub fn phrasing_stats(&self) -> Result<JsValue, JsError> {
        to_js(self.phrasing.stats())
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
        to_js(&engine(&self.engine)?.profile_summary(self.current()))
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
