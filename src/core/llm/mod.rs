//! A small generative language model (SmolLM2-135M-Instruct, llama
//! architecture, GGUF) for phrasing: it turns the engine's facts into a
//! friendlier sentence and decides nothing (`crate::core::phrasing` builds the
//! prompts and checks every output). Pure Rust over candle-core, the same
//! code natively and in wasm.

pub mod model;
pub mod tokenizer;

use std::io::Cursor;

use tokenizers::Tokenizer;

pub use model::{Llama, LlamaConfig};

/// Why the language model could not load or run.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The file is not a usable llama GGUF (names what is wrong).
    #[error("language model file: {0}")]
    Format(String),
    /// A tensor operation failed.
    #[error("language model: {0}")]
    Tensor(#[from] candle_core::Error),
    /// A token id outside the vocabulary.
    #[error("token id {0} is outside the vocabulary")]
    Token(u32),
    /// The prompt and the answer no longer fit the context window.
    #[error("the context window ({0} tokens) is full")]
    ContextFull(usize),
}

/// What one generation produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The text.
    pub text: String,
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Of which taken from the cache of the previous prompt.
    pub cached_tokens: usize,
    /// Tokens generated.
    pub tokens: usize,
    /// True when it stopped on an end token (not on the length limit or the caller).
    pub finished: bool,
}

/// The model, its tokenizer and the cache of the last prompt.
pub struct Llm {
    model: Llama,
    tokenizer: std::sync::Arc<Tokenizer>,
    stop: Vec<u32>,
    cached: Vec<u32>,
    last_generated: usize,
}

impl std::fmt::Debug for Llm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Llm")
            .field("config", self.model.config())
            .finish()
    }
}

/// Index of the largest value (the first on ties); greedy decoding.
pub fn argmax(v: &[f32]) -> u32 {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best as u32
}

impl Llm {
    /// Loads a llama GGUF (weights, vocabulary and merges) from its bytes.
    pub fn from_gguf_bytes(bytes: &[u8]) -> Result<Llm, LlmError> {
        let mut r = Cursor::new(bytes);
        let content = crate::core::encoder::gguf::read_content(bytes).map_err(LlmError::Format)?;
        let tokenizer = tokenizer::from_gguf(&content)?;
        let model = Llama::load(&content, &mut r)?;
        let mut stop = Vec::new();
        for key in ["tokenizer.ggml.eos_token_id"] {
            if let Some(id) = content.metadata.get(key).and_then(|v| v.to_u32().ok()) {
                stop.push(id);
            }
        }
        for t in ["<|im_end|>", "<|endoftext|>"] {
            if let Some(id) = tokenizer.token_to_id(t) {
                if !stop.contains(&id) {
                    stop.push(id);
                }
            }
        }
        Ok(Llm {
            model,
            tokenizer: std::sync::Arc::new(tokenizer),
            stop,
            cached: Vec::new(),
            last_generated: 0,
        })
    }

    /// Tokens produced by the last `generate` (for throughput figures).
    pub fn last_generated(&self) -> usize {
        self.last_generated
    }

    /// The model's shape.
    pub fn config(&self) -> &LlamaConfig {
        self.model.config()
    }

    /// Token ids of a text (control tokens such as `<|im_start|>` whole).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, LlmError> {
        self.tokenizer
            .encode(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| LlmError::Format(format!("tokenizer: {e}")))
    }

    /// The text of token ids (control tokens left out).
    pub fn decode(&self, ids: &[u32]) -> Result<String, LlmError> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|e| LlmError::Format(format!("tokenizer: {e}")))
    }

    /// A ChatML conversation of one system and one user message, ready for
    /// the assistant's answer (SmolLM2's chat template).
    pub fn chat_prompt(system: &str, user: &str) -> String {
        format!(
            "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
        )
    }

    /// Logits after `ids` (from an empty context): for tests and checks.
    pub fn logits(&mut self, ids: &[u32]) -> Result<Vec<f32>, LlmError> {
        self.cached.clear();
        self.model.clear();
        let out = self.model.forward(ids)?;
        self.cached.extend_from_slice(ids);
        Ok(out)
    }

    /// Logits after `ids`, continuing the cached context (after `logits`,
    /// `greedy` or `generate`): teacher forcing, one token at a time.
    pub fn feed(&mut self, ids: &[u32]) -> Result<Vec<f32>, LlmError> {
        let out = self.model.forward(ids)?;
        self.cached.extend_from_slice(ids);
        Ok(out)
    }

    /// Greedy continuation of `ids` by `n` tokens (stopping early on an end token).
    pub fn greedy(&mut self, ids: &[u32], n: usize) -> Result<Vec<u32>, LlmError> {
        let mut out = Vec::new();
        self.run(ids, n, &mut |id, _| {
            out.push(id);
            true
        })?;
        Ok(out)
    }

    /// Generates greedily after `prompt` (text, ChatML or not), at most
    /// `max_tokens`; `on_text` receives each new piece of text as it is
    /// complete (whole UTF-8) and returns false to stop.
    pub fn generate(
        &mut self,
        prompt: &str,
        max_tokens: usize,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generated, LlmError> {
        let ids = self.encode(prompt)?;
        let mut shown = String::new();
        let mut generated: Vec<u32> = Vec::new();
        let mut caller_stopped = false;
        let mut decode_error = None;
        let (cached, finished) = {
            let tokenizer = self.tokenizer.clone();
            let mut on_token = |id: u32, _: usize| {
                generated.push(id);
                match tokenizer.decode(&generated, true) {
                    Ok(text) if !text.ends_with('\u{FFFD}') && text.len() > shown.len() => {
                        let piece = text.get(shown.len()..).unwrap_or("").to_string();
                        shown = text;
                        if !on_text(&piece) {
                            caller_stopped = true;
                            return false;
                        }
                        true
                    }
                    Ok(_) => true,
                    Err(e) => {
                        decode_error = Some(e.to_string());
                        false
                    }
                }
            };
            self.run(&ids, max_tokens, &mut on_token)?
        };
        self.last_generated = generated.len();
        if let Some(e) = decode_error {
            return Err(LlmError::Format(format!("tokenizer: {e}")));
        }
        Ok(Generated {
            text: shown,
            prompt_tokens: ids.len(),
            cached_tokens: cached,
            tokens: generated.len(),
            finished: finished && !caller_stopped,
        })
    }

    /// Runs the prompt (reusing the cache of a shared prefix) then decodes
    /// greedily; `on_token(id, i)` returns false to stop. Returns (tokens
    /// taken from the cache, stopped on an end token).
    fn run(
        &mut self,
        ids: &[u32],
        max_tokens: usize,
        on_token: &mut dyn FnMut(u32, usize) -> bool,
    ) -> Result<(usize, bool), LlmError> {
        if ids.is_empty() {
            return Err(LlmError::Format("empty prompt".into()));
        }
        // Reuse the cached prefix; at least one token must run to get logits.
        let common = self
            .cached
            .iter()
            .zip(ids)
            .take_while(|(a, b)| a == b)
            .count()
            .min(ids.len() - 1);
        self.model.truncate(common)?;
        self.cached.truncate(common);
        let result = self.decode_loop(&ids[common..], max_tokens, on_token);
        if result.is_err() {
            self.model.clear();
            self.cached.clear();
        }
        result.map(|finished| (common, finished))
    }

    fn decode_loop(
        &mut self,
        fresh: &[u32],
        max_tokens: usize,
        on_token: &mut dyn FnMut(u32, usize) -> bool,
    ) -> Result<bool, LlmError> {
        let mut logits = self.model.forward(fresh)?;
        self.cached.extend_from_slice(fresh);
        for i in 0..max_tokens {
            let next = argmax(&logits);
            if self.stop.contains(&next) {
                return Ok(true);
            }
            if !on_token(next, i) {
                return Ok(false);
            }
            if i + 1 == max_tokens {
                break;
            }
            logits = self.model.forward(&[next])?;
            self.cached.push(next);
        }
        Ok(false)
    }
}
