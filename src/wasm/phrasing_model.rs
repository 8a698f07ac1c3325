//! The optional phrasing model's exports (`kith_phrasing.js`): SmolLM2-135M
//! continuing a prompt, nothing more. It knows no catalog and checks
//! nothing: the engine (`Session.phraseBegin` / `phrasePiece` /
//! `phraseEnd`) writes the prompt and judges every piece of text, and the
//! worker passes the text between the two modules.

use wasm_bindgen::prelude::*;

use super::{download, js_err, to_js};
use crate::core::llm::Llm;

/// The phrasing model, loaded from its GGUF file.
#[wasm_bindgen]
pub struct Phraser {
    llm: Llm,
}

#[wasm_bindgen]
impl Phraser {
    /// Loads the model from the bytes of its GGUF file.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<Phraser, JsError> {
        Ok(Phraser {
            llm: Llm::from_gguf_bytes(bytes).map_err(js_err)?,
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

    /// Greedy text after `prompt`, at most `maxTokens` tokens, each new
    /// piece passed to `onText` (return false to stop). Returns `{text,
    /// promptTokens, cachedTokens, tokens, finished}`. Unchecked: the
    /// engine's guard decides what is shown.
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

/// A JS callback as a text sink: it receives each piece and may return
/// `false` to stop (anything else, `undefined` included, continues).
fn text_sink(f: &js_sys::Function) -> impl FnMut(&str) -> bool + '_ {
    move |t: &str| {
        f.call1(&JsValue::NULL, &JsValue::from_str(t))
            .map(|v| v.is_undefined() || v.is_truthy())
            .unwrap_or(false)
    }
}
