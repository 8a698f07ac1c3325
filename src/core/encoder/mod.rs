//! Text → unit vector: the sentence encoder (all-MiniLM-L6-v2, quantized) that
//! lets Kith understand free text natively and in the browser.
//!
//! One GGUF file carries everything: Q8_0 linear weights and embeddings,
//! f32 LayerNorms and biases, the config, and the tokenizer JSON in the
//! metadata (see [`gguf`] for the keys). Input is tokenized without the
//! shipped file's fixed 128-token padding, truncated to [`MAX_TOKENS`] tokens,
//! and mean-pooled over its real tokens only.
//!
//! Two forward passes exist. [`WeightMode::Int8`] (the default, and the only
//! one in the wasm build) is Kith's own: fused loops with integer kernels
//! ([`kernels`]), fastest in the browser. The candle-core op graph
//! ([`WeightMode::Dequantized`], [`WeightMode::Quantized`]) is kept natively
//! as an independent cross-check and for benchmarks.

#[cfg(not(target_arch = "wasm32"))]
mod bert;
mod config;
mod fused;
pub mod gguf;
pub mod kernels;

use std::io::Cursor;

#[cfg(not(target_arch = "wasm32"))]
use candle_core::{Device, Tensor};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

#[cfg(not(target_arch = "wasm32"))]
use bert::Bert;
pub use config::{BertConfig, WeightMode};
use fused::FusedBert;

/// Inputs longer than this many tokens (including `[CLS]` and `[SEP]`) are
/// truncated, as sentence-transformers does for this model.
pub const MAX_TOKENS: usize = 256;

/// Why the encoder could not load or run.
#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    /// The model file is not a valid Kith encoder GGUF.
    #[error("encoder model: {0}")]
    Format(String),
    /// The tokenizer could not be built or failed on an input.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A tensor operation failed.
    #[error("encoder forward pass: {0}")]
    Model(#[from] candle_core::Error),
}

/// The loaded sentence encoder.
pub struct Encoder {
    tokenizer: Tokenizer,
    network: Network,
}

/// The forward pass in use (see [`WeightMode`]).
enum Network {
    /// candle-core ops, f32 or QMatMul linears (native builds only).
    #[cfg(not(target_arch = "wasm32"))]
    Candle(Bert),
    /// Kith's fused loops with int8 linears.
    Fused(FusedBert),
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("config", self.config())
            .finish()
    }
}

/// The tokenizer JSON without the parts Kith never uses and will not trust:
/// the decoder (a malformed one panics inside `tokenizers` while the file is
/// read — found by fuzzing) and the post-processor ([`bert_template`]
/// builds its own).
fn encoding_only(json: &str) -> Result<Vec<u8>, EncoderError> {
    let mut spec: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| EncoderError::Tokenizer(format!("tokenizer JSON: {e}")))?;
    let obj = spec
        .as_object_mut()
        .ok_or_else(|| EncoderError::Tokenizer("tokenizer JSON is not an object".into()))?;
    obj.insert("decoder".into(), serde_json::Value::Null);
    obj.insert("post_processor".into(), serde_json::Value::Null);
    serde_json::to_vec(&spec).map_err(|e| EncoderError::Tokenizer(e.to_string()))
}

/// BERT's single-sequence template, with the ids of this vocabulary's
/// `[CLS]` and `[SEP]`.
fn bert_template(
    tokenizer: &Tokenizer,
) -> Result<tokenizers::processors::template::TemplateProcessing, EncoderError> {
    let id = |t: &str| {
        tokenizer
            .token_to_id(t)
            .ok_or_else(|| EncoderError::Tokenizer(format!("the vocabulary has no {t} token")))
    };
    let specials = vec![("[CLS]", id("[CLS]")?), ("[SEP]", id("[SEP]")?)];
    tokenizers::processors::template::TemplateProcessing::builder()
        .try_single("[CLS]:0 $A:0 [SEP]:0")
        .map_err(EncoderError::Tokenizer)?
        .special_tokens(specials)
        .build()
        .map_err(|e| EncoderError::Tokenizer(e.to_string()))
}

impl Encoder {
    /// Loads an encoder from the bytes of a Kith encoder GGUF file, with the
    /// default [`WeightMode`].
    pub fn from_gguf_bytes(bytes: &[u8]) -> Result<Self, EncoderError> {
        Self::from_gguf_bytes_with(bytes, WeightMode::default())
    }

    /// Loads an encoder, holding linear weights as `weights` says.
    pub fn from_gguf_bytes_with(bytes: &[u8], weights: WeightMode) -> Result<Self, EncoderError> {
        let mut reader = Cursor::new(bytes);
        let content = gguf::read_content(bytes).map_err(EncoderError::Format)?;
        let config = gguf::read_config(&content)?;
        let tokenizer_json = gguf::read_string(&content, gguf::KEY_TOKENIZER)?;
        let mut tokenizer = Tokenizer::from_bytes(encoding_only(&tokenizer_json)?)
            .map_err(|e| EncoderError::Tokenizer(e.to_string()))?;
        // The shipped tokenizer pads every input to 128 tokens and truncates
        // there; Kith pads per batch and truncates at MAX_TOKENS.
        tokenizer.with_padding(None::<PaddingParams>);
        // The file's own post-processor is not trusted: one that names a
        // special token it does not define panics inside `tokenizers` at the
        // first encode (found by fuzzing). BERT's "[CLS] $A [SEP]" is built
        // here instead, through the builder that checks it.
        let template = bert_template(&tokenizer)?;
        tokenizer.with_post_processor(Some(template));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS.min(config.max_position),
                ..TruncationParams::default()
            }))
            .map_err(|e| EncoderError::Tokenizer(e.to_string()))?;
        let network = match weights {
            WeightMode::Int8 => Network::Fused(FusedBert::load(&content, &mut reader, config)?),
            #[cfg(not(target_arch = "wasm32"))]
            mode => Network::Candle(Bert::load(&content, &mut reader, config, mode)?),
            #[cfg(target_arch = "wasm32")]
            mode => {
                return Err(EncoderError::Format(format!(
                    "weight mode {mode:?} is native-only; the browser build runs Int8"
                )))
            }
        };
        Ok(Encoder { tokenizer, network })
    }

    /// Dimension of the vectors ([`BertConfig::hidden`], 384 for MiniLM).
    pub fn dim(&self) -> usize {
        self.config().hidden
    }

    /// The model's configuration.
    pub fn config(&self) -> &BertConfig {
        match &self.network {
            #[cfg(not(target_arch = "wasm32"))]
            Network::Candle(b) => b.config(),
            Network::Fused(b) => b.config(),
        }
    }

    /// Token ids of one text as the encoder sees them (with `[CLS]`/`[SEP]`, truncated).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, EncoderError> {
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| EncoderError::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// One unit vector per text, in order. Any text (empty, emoji-only,
    /// non-Latin, very long) gives a vector: unknown characters become
    /// `[UNK]`, long input is truncated.
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncoderError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.token_ids(t))
            .collect::<Result<_, _>>()?;
        match &self.network {
            Network::Fused(f) => f.embed(&ids),
            #[cfg(not(target_arch = "wasm32"))]
            Network::Candle(b) => embed_padded(b, &ids),
        }
    }

    /// The unit vector of one text.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, EncoderError> {
        let mut v = self.embed_batch(&[text])?;
        v.pop()
            .ok_or_else(|| EncoderError::Format("empty output".into()))
    }
}

/// The candle path: pads the batch to its longest input and pools with the mask.
#[cfg(not(target_arch = "wasm32"))]
fn embed_padded(bert: &Bert, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EncoderError> {
    let longest = ids.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let mut flat_ids = Vec::with_capacity(ids.len() * longest);
    let mut mask = Vec::with_capacity(ids.len() * longest);
    for row in ids {
        flat_ids.extend_from_slice(row);
        flat_ids.extend(std::iter::repeat_n(0u32, longest - row.len()));
        mask.extend(std::iter::repeat_n(1f32, row.len()));
        mask.extend(std::iter::repeat_n(0f32, longest - row.len()));
    }
    let dev = Device::Cpu;
    let ids_t = Tensor::from_vec(flat_ids, (ids.len(), longest), &dev)?;
    let mask_t = Tensor::from_vec(mask, (ids.len(), longest), &dev)?;
    Ok(bert.embed(&ids_t, &mask_t)?.to_vec2::<f32>()?)
}
