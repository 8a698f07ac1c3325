//! The metadata keys of Kith's encoder GGUF, shared by the reader (the
//! encoder) and the writer (`kith model convert`), so the two cannot drift.

use std::io::Cursor;

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

/// Reads the header (metadata and tensor table) of a GGUF file from its
/// bytes, checked so that nothing it declares can make candle panic or
/// allocate what the file merely claims: the alignment first
/// ([`check_alignment`]), then the tensor table ([`check_tensor_table`]).
/// Shared by the encoder and the phrasing model's reader.
pub fn read_content(bytes: &[u8]) -> Result<Content, String> {
    check_alignment(bytes)?;
    let content =
        Content::read(&mut Cursor::new(bytes)).map_err(|e| format!("not a GGUF file: {e}"))?;
    check_tensor_table(&content, bytes.len() as u64)?;
    Ok(content)
}

/// The metadata key candle divides by.
const KEY_ALIGNMENT: &[u8] = b"general.alignment";
/// Nesting of arrays candle accepts (its `GGUF_MAX_VALUE_DEPTH`).
const MAX_DEPTH: usize = 64;

/// Refuses a file whose `general.alignment` is zero. candle-core 0.11
/// divides by that value unchecked at the end of `Content::read` (a
/// panic, which in wasm kills the instance; found by Kith's fuzzing, fixed
/// upstream in huggingface/candle#3876, not yet released), so the metadata
/// is walked here first, the way candle reads it (GGUF v1–v3). A file this
/// walk cannot read is refused too: candle would fail there as well.
pub fn check_alignment(bytes: &[u8]) -> Result<(), String> {
    let mut w = MetadataWalk {
        bytes,
        at: 0,
        wide: true,
    };
    let bad = |e: &str| format!("not a GGUF file: {e}");
    // candle takes the magic in either byte order.
    if !matches!(w.take(4).map_err(|e| bad(&e))?, b"GGUF" | b"FUGG") {
        return Err(bad("no GGUF magic"));
    }
    w.wide = match w.u32().map_err(|e| bad(&e))? {
        1 => false,
        2 | 3 => true,
        v => return Err(bad(&format!("unsupported version {v}"))),
    };
    let _tensors = w.length().map_err(|e| bad(&e))?;
    let entries = w.length().map_err(|e| bad(&e))?;
    for _ in 0..entries {
        let key = w.string().map_err(|e| bad(&e))?;
        let ty = w.u32().map_err(|e| bad(&e))?;
        let zero = w.skip_value(ty, 0).map_err(|e| bad(&e))?;
        if key == KEY_ALIGNMENT && zero {
            return Err("GGUF general.alignment is 0 (it must be a power of two)".into());
        }
    }
    Ok(())
}

/// A cursor over GGUF metadata that only skips values, bounded by the bytes.
struct MetadataWalk<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Lengths and counts are u64 (v2, v3), else u32 (v1).
    wide: bool,
}

impl<'a> MetadataWalk<'a> {
    fn take(&mut self, n: u64) -> Result<&'a [u8], String> {
        let left = self.bytes.len() - self.at;
        if n > left as u64 {
            return Err(format!("{n} bytes declared, {left} left"));
        }
        let part = &self.bytes[self.at..self.at + n as usize];
        self.at += n as usize;
        Ok(part)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn length(&mut self) -> Result<u64, String> {
        if !self.wide {
            return self.u32().map(u64::from);
        }
        let b = self.take(8)?;
        Ok(u64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    /// A string's bytes without the trailing NULs candle strips.
    fn string(&mut self) -> Result<&'a [u8], String> {
        let n = self.length()?;
        let mut s = self.take(n)?;
        while let [rest @ .., 0] = s {
            s = rest;
        }
        Ok(s)
    }

    /// Skips one value of GGUF type `ty`; true when it is a zero of a type
    /// candle reads an alignment from (u8, i8, u16, i16, u32, i32).
    fn skip_value(&mut self, ty: u32, depth: usize) -> Result<bool, String> {
        if depth > MAX_DEPTH {
            return Err("arrays nested too deeply".into());
        }
        let zero = |b: &[u8]| b.iter().all(|&x| x == 0);
        Ok(match ty {
            0 | 1 => zero(self.take(1)?),
            2 | 3 => zero(self.take(2)?),
            4 | 5 => zero(self.take(4)?),
            6 => self.take(4).map(|_| false)?,
            7 => self.take(1).map(|_| false)?,
            8 => self.string().map(|_| false)?,
            10..=12 => self.take(8).map(|_| false)?,
            9 => {
                let element = self.u32()?;
                let n = self.length()?;
                // Every element takes at least one byte: a count beyond the
                // bytes left is refused before the loop, not after it.
                if n > (self.bytes.len() - self.at) as u64 {
                    return Err(format!("an array of {n} values in a shorter file"));
                }
                for _ in 0..n {
                    self.skip_value(element, depth + 1)?;
                }
                false
            }
            other => return Err(format!("unknown value type {other}")),
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
    use candle_core::{Device, Tensor};

    /// A GGUF file written by candle with `metadata` and one small tensor.
    fn file(metadata: &[(&str, Value)]) -> Vec<u8> {
        let t = Tensor::ones((2, 32), candle_core::DType::F32, &Device::Cpu).unwrap();
        let q = QTensor::quantize(&t, GgmlDType::Q8_0).unwrap();
        let md: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
        let mut out = Cursor::new(Vec::new());
        gguf_file::write(&mut out, &md, &[("t", &q)]).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_zero_alignment_is_an_error_not_a_panic() {
        for zero in [
            Value::U8(0),
            Value::I8(0),
            Value::U16(0),
            Value::I16(0),
            Value::U32(0),
            Value::I32(0),
        ] {
            let bytes = file(&[
                ("general.architecture", Value::String("x".into())),
                ("general.alignment", zero.clone()),
            ]);
            let e = read_content(&bytes).unwrap_err();
            assert!(e.contains("alignment is 0"), "{zero:?}: {e}");
        }
    }

    #[test]
    fn files_candle_reads_are_read_alike() {
        let nested = Value::Array(vec![
            Value::Array(vec![
                Value::String("a\0\0".into()),
                Value::String("".into()),
            ]),
            Value::Array(vec![]),
        ]);
        for alignment in [
            None,
            Some(Value::U32(32)),
            Some(Value::U64(0)),
            Some(Value::I32(-4)),
        ] {
            let mut md = vec![
                ("tokenizer.tokens", nested.clone()),
                ("f", Value::F64(1.5)),
                ("b", Value::Bool(true)),
                ("n", Value::I64(-3)),
            ];
            if let Some(a) = alignment.clone() {
                md.push(("general.alignment", a));
            }
            let bytes = file(&md);
            let content = read_content(&bytes).unwrap();
            assert_eq!(content.metadata.len(), md.len(), "{alignment:?}");
            assert!(content.tensor_infos.contains_key("t"));
        }
    }

    #[test]
    fn truncated_or_foreign_headers_are_refused() {
        let bytes = file(&[("general.alignment", Value::U32(32))]);
        for cut in [0, 3, 8, 20, 30, 40] {
            assert!(check_alignment(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut foreign = bytes.clone();
        foreign[..4].copy_from_slice(b"GGML");
        assert!(read_content(&foreign).is_err());
        // A count of array values no file could hold.
        let mut huge = b"GGUF".to_vec();
        huge.extend(3u32.to_le_bytes());
        huge.extend(0u64.to_le_bytes());
        huge.extend(1u64.to_le_bytes());
        huge.extend(1u64.to_le_bytes());
        huge.push(b'k');
        huge.extend(9u32.to_le_bytes());
        huge.extend(0u32.to_le_bytes());
        huge.extend(u64::MAX.to_le_bytes());
        assert!(check_alignment(&huge).unwrap_err().contains("array"));
    }
}
