//! The decoder's tokenizer, rebuilt from the GGUF file's own vocabulary and
//! merges (`tokenizer.ggml.*`) with the tokenizers crate: byte-level BPE
//! after splitting digits one by one (llama.cpp's "smollm" pre-tokenizer,
//! the same as SmolLM2's tokenizer.json), control tokens such as
//! `<|im_start|>` matched whole.

use candle_core::quantized::gguf_file::{Content, Value};
use serde_json::json;
use tokenizers::Tokenizer;

use super::LlmError;

/// llama.cpp's token type for control tokens.
const CONTROL: i32 = 3;
/// … and for user-defined whole tokens.
const USER_DEFINED: i32 = 4;

fn strings(c: &Content, key: &str) -> Result<Vec<String>, LlmError> {
    let v = c
        .metadata
        .get(key)
        .and_then(|v| v.to_vec().ok())
        .ok_or_else(|| LlmError::Format(format!("missing metadata {key:?}")))?;
    v.iter()
        .map(|x| {
            x.to_string()
                .cloned()
                .map_err(|_| LlmError::Format(format!("{key:?} is not a list of strings")))
        })
        .collect()
}

fn types(c: &Content, n: usize) -> Vec<i32> {
    let Some(v) = c
        .metadata
        .get("tokenizer.ggml.token_type")
        .and_then(|v| v.to_vec().ok())
    else {
        return vec![1; n];
    };
    v.iter()
        .map(|x| match x {
            Value::I32(t) => *t,
            Value::U32(t) => *t as i32,
            _ => 1,
        })
        .collect()
}

/// Builds the tokenizer; a GGUF without a byte-level BPE vocabulary is an error.
pub fn from_gguf(c: &Content) -> Result<Tokenizer, LlmError> {
    let model = c
        .metadata
        .get("tokenizer.ggml.model")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    if model != "gpt2" {
        return Err(LlmError::Format(format!(
            "tokenizer model {model:?}, expected byte-level BPE (\"gpt2\")"
        )));
    }
    let tokens = strings(c, "tokenizer.ggml.tokens")?;
    let merges = strings(c, "tokenizer.ggml.merges")?;
    let kinds = types(c, tokens.len());
    let vocab: serde_json::Map<String, serde_json::Value> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), json!(i)))
        .collect();
    let added: Vec<serde_json::Value> = tokens
        .iter()
        .enumerate()
        .filter(|(i, _)| matches!(kinds.get(*i), Some(&CONTROL) | Some(&USER_DEFINED)))
        .map(|(i, t)| {
            json!({"id": i, "content": t, "single_word": false, "lstrip": false, "rstrip": false,
                   "normalized": false, "special": kinds.get(i) == Some(&CONTROL)})
        })
        .collect();
    let spec = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": true},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
        ]},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                  "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                  "ignore_merges": false, "vocab": vocab, "merges": merges}
    });
    Tokenizer::from_bytes(spec.to_string().as_bytes())
        .map_err(|e| LlmError::Format(format!("tokenizer: {e}")))
}
