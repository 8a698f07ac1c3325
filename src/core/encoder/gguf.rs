//! The metadata keys of Kith's encoder GGUF, shared by the reader (the
//! encoder) and the writer (`kith model convert`), so the two cannot drift.

use candle_core::quantized::gguf_file::{Content, Value};

use super::{BertConfig, EncoderError};

/// Architecture name in `general.architecture`.
pub const ARCHITECTURE: &str = "bert";
/// The tokenizer, as the full `tokenizer.json` text.
pub const KEY_TOKENIZER: &str = "kith.tokenizer.json";
/// Kith's own format revision of this file.
pub const KEY_FORMAT: &str = "kith.encoder.format";
/// Current format revision.
pub const FORMAT: u32 = 1;

/// (key, meaning) of the config values, in `bert.*` as llama.cpp names them.
pub const KEY_LAYERS: &str = "bert.block_count";
/// Hidden size.
pub const KEY_HIDDEN: &str = "bert.embedding_length";
/// Attention heads.
pub const KEY_HEADS: &str = "bert.attention.head_count";
/// Feed-forward size.
pub const KEY_FFN: &str = "bert.feed_forward_length";
/// Position embeddings.
pub const KEY_CONTEXT: &str = "bert.context_length";
/// LayerNorm epsilon.
pub const KEY_EPS: &str = "bert.attention.layer_norm_epsilon";

/// Checks every tensor's declared shape before any is read: its element
/// count must not overflow (candle multiplies the dimensions unchecked),
/// must not be zero, must fill whole quantization blocks, and must fit in
/// the file. A hostile
/// or damaged file is then a clear error, never an overflow or an
/// allocation of what the file merely claims. Shared by the encoder and
/// the phrasing model's reader.
pub fn check_tensor_table(c: &Content, file_len: u64) -> Result<(), String> {
    for (name, info) in &c.tensor_infos {
        let elems = info
            .shape
            .dims()
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| {
                format!(
                    "tensor {name:?} has an impossible shape {:?}",
                    info.shape.dims()
                )
            })?;
        // An empty tensor makes candle cast a dangling byte pointer to a
        // wider type (misaligned: undefined behaviour; found by fuzzing).
        if elems == 0 {
            return Err(format!("tensor {name:?} has no values"));
        }
        let block = info.ggml_dtype.block_size();
        if block == 0 || elems % block != 0 {
            return Err(format!(
                "tensor {name:?} of {elems} values does not fill whole {:?} blocks",
                info.ggml_dtype
            ));
        }
        let bytes = (elems / block)
            .checked_mul(info.ggml_dtype.type_size())
            .ok_or_else(|| format!("tensor {name:?} is impossibly large"))?;
        let end = c
            .tensor_data_offset
            .checked_add(info.offset)
            .and_then(|start| start.checked_add(bytes as u64));
        if end.is_none_or(|end| end > file_len) {
            return Err(format!("tensor {name:?} lies beyond the end of the file"));
        }
    }
    Ok(())
}

fn get<'a>(c: &'a Content, key: &str) -> Result<&'a Value, EncoderError> {
    c.metadata
        .get(key)
        .ok_or_else(|| EncoderError::Format(format!("missing metadata {key:?}")))
}

fn read_u32(c: &Content, key: &str) -> Result<usize, EncoderError> {
    match get(c, key)? {
        Value::U32(v) => Ok(*v as usize),
        Value::U64(v) => Ok(*v as usize),
        Value::I32(v) if *v >= 0 => Ok(*v as usize),
        other => Err(EncoderError::Format(format!(
            "{key:?} is {other:?}, expected an integer"
        ))),
    }
}

/// A string metadata value.
pub fn read_string(c: &Content, key: &str) -> Result<String, EncoderError> {
    match get(c, key)? {
        Value::String(s) => Ok(s.clone()),
        _ => Err(EncoderError::Format(format!("{key:?} is not a string"))),
    }
}

/// The model configuration from the metadata, checked for consistency.
pub fn read_config(c: &Content) -> Result<BertConfig, EncoderError> {
    let arch = read_string(c, "general.architecture")?;
    if arch != ARCHITECTURE {
        return Err(EncoderError::Format(format!(
            "architecture {arch:?}, expected {ARCHITECTURE:?}"
        )));
    }
    let format = read_u32(c, KEY_FORMAT)?;
    if format as u32 != FORMAT {
        return Err(EncoderError::Format(format!(
            "encoder format {format}, this Kith reads {FORMAT}: reconvert with `kith model convert`"
        )));
    }
    let eps = match get(c, KEY_EPS)? {
        Value::F32(v) => *v as f64,
        Value::F64(v) => *v,
        other => return Err(EncoderError::Format(format!("{KEY_EPS:?} is {other:?}"))),
    };
    let cfg = BertConfig {
        layers: read_u32(c, KEY_LAYERS)?,
        hidden: read_u32(c, KEY_HIDDEN)?,
        heads: read_u32(c, KEY_HEADS)?,
        intermediate: read_u32(c, KEY_FFN)?,
        max_position: read_u32(c, KEY_CONTEXT)?,
        layer_norm_eps: eps,
    };
    if cfg.heads == 0
        || cfg.hidden == 0
        || cfg.hidden % cfg.heads != 0
        || cfg.layers == 0
        || cfg.max_position < 2
    {
        return Err(EncoderError::Format(format!("inconsistent config {cfg:?}")));
    }
    Ok(cfg)
}

/// The metadata entries describing a config (for the writer).
pub fn config_metadata(cfg: &BertConfig) -> Vec<(&'static str, Value)> {
    vec![
        ("general.architecture", Value::String(ARCHITECTURE.into())),
        (KEY_FORMAT, Value::U32(FORMAT)),
        (KEY_LAYERS, Value::U32(cfg.layers as u32)),
        (KEY_HIDDEN, Value::U32(cfg.hidden as u32)),
        (KEY_HEADS, Value::U32(cfg.heads as u32)),
        (KEY_FFN, Value::U32(cfg.intermediate as u32)),
        (KEY_CONTEXT, Value::U32(cfg.max_position as u32)),
        (KEY_EPS, Value::F32(cfg.layer_norm_eps as f32)),
    ]
}
