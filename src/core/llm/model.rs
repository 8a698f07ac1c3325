//! The llama decoder over candle-core: quantized matrix products
//! (`QMatMul`: Q8_0 / Q4_0 with wasm simd128 kernels), RMSNorm, rotary
//! position embeddings (the interleaved form GGUF files are converted for),
//! grouped-query attention and a KV cache, so each new token costs one
//! pass over the weights.

use std::io::{Read, Seek};
use std::sync::Arc;

use candle_core::quantized::{gguf_file, GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor, D};

use super::LlmError;

/// The shape of a llama model, read from GGUF metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    /// Transformer blocks.
    pub layers: usize,
    /// Hidden size.
    pub hidden: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (fewer: grouped-query attention).
    pub kv_heads: usize,
    /// Feed-forward size.
    pub ffn: usize,
    /// Vocabulary size.
    pub vocab: usize,
    /// RMSNorm epsilon.
    pub eps: f64,
    /// RoPE frequency base.
    pub rope_base: f32,
    /// Longest context the model was trained for.
    pub context: usize,
}

impl LlamaConfig {
    /// Reads the `llama.*` keys.
    pub fn from_gguf(c: &gguf_file::Content) -> Result<Self, LlmError> {
        let int = |k: &str| -> Result<usize, LlmError> {
            c.metadata
                .get(k)
                .and_then(|v| v.to_u32().ok().map(|x| x as usize))
                .ok_or_else(|| LlmError::Format(format!("missing or bad metadata {k:?}")))
        };
        let float = |k: &str| -> Result<f32, LlmError> {
            c.metadata
                .get(k)
                .and_then(|v| v.to_f32().ok())
                .ok_or_else(|| LlmError::Format(format!("missing or bad metadata {k:?}")))
        };
        let arch = c
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        if arch != "llama" {
            return Err(LlmError::Format(format!(
                "architecture {arch:?}, expected \"llama\""
            )));
        }
        let cfg = LlamaConfig {
            layers: int("llama.block_count")?,
            hidden: int("llama.embedding_length")?,
            heads: int("llama.attention.head_count")?,
            kv_heads: int("llama.attention.head_count_kv")?,
            ffn: int("llama.feed_forward_length")?,
            vocab: int("llama.vocab_size").or_else(|_| {
                c.metadata
                    .get("tokenizer.ggml.tokens")
                    .and_then(|v| v.to_vec().ok().map(|t| t.len()))
                    .ok_or_else(|| LlmError::Format("no vocabulary size".into()))
            })?,
            eps: float("llama.attention.layer_norm_rms_epsilon")? as f64,
            rope_base: float("llama.rope.freq_base").unwrap_or(10_000.0),
            context: int("llama.context_length").unwrap_or(2048),
        };
        if cfg.heads == 0
            || cfg.kv_heads == 0
            || cfg.hidden % cfg.heads != 0
            || cfg.heads % cfg.kv_heads != 0
            || (cfg.hidden / cfg.heads) % 2 != 0
            || cfg.layers == 0
            || cfg.layers > 256
        {
            return Err(LlmError::Format(format!("inconsistent shape {cfg:?}")));
        }
        Ok(cfg)
    }

    /// Size of one attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden / self.heads
    }
}

struct Block {
    attn_norm: Tensor,
    q: QMatMul,
    k: QMatMul,
    v: QMatMul,
    o: QMatMul,
    ffn_norm: Tensor,
    gate: QMatMul,
    up: QMatMul,
    down: QMatMul,
    cache: Option<(Tensor, Tensor)>,
}

/// Token embeddings kept quantized: rows are expanded only when looked up.
struct Embeddings {
    table: Arc<QTensor>,
    rows: usize,
    dim: usize,
}

impl Embeddings {
    fn lookup(&self, ids: &[u32]) -> Result<Tensor, LlmError> {
        let mut rows = Vec::with_capacity(ids.len());
        for &id in ids {
            if id as usize >= self.rows {
                return Err(LlmError::Token(id));
            }
            rows.push(self.row(id as usize)?);
        }
        Ok(Tensor::stack(&rows, 0)?)
    }

    fn row(&self, i: usize) -> Result<Tensor, LlmError> {
        let d = self.dim;
        let dtype = self.table.dtype();
        let (block, bytes) = (dtype.block_size(), dtype.type_size());
        if d % block != 0 {
            return Err(LlmError::Format("embedding rows not whole blocks".into()));
        }
        let data = self.table.data()?;
        let row_bytes = d / block * bytes;
        let raw = data
            .get(i * row_bytes..(i + 1) * row_bytes)
            .ok_or_else(|| LlmError::Format("embedding table too short".into()))?;
        let one = QTensor::new(
            candle_core::quantized::QStorage::from_data(
                std::borrow::Cow::Borrowed(raw),
                &Device::Cpu,
                dtype,
            )?,
            (d,),
        )?;
        Ok(one.dequantize(&Device::Cpu)?)
    }
}

/// A loaded llama model with its KV cache.
pub struct Llama {
    cfg: LlamaConfig,
    embed: Embeddings,
    blocks: Vec<Block>,
    norm: Tensor,
    output: QMatMul,
    /// Tokens already in the cache.
    pos: usize,
}

fn qtensor<R: Read + Seek>(
    c: &gguf_file::Content,
    r: &mut R,
    name: &str,
    dims: &[usize],
) -> Result<QTensor, LlmError> {
    let t = c
        .tensor(r, name, &Device::Cpu)
        .map_err(|e| LlmError::Format(format!("tensor {name:?}: {e}")))?;
    if t.shape().dims() != dims {
        return Err(LlmError::Format(format!(
            "tensor {name:?} has shape {:?}, expected {dims:?}",
            t.shape().dims()
        )));
    }
    Ok(t)
}

fn matmul<R: Read + Seek>(
    c: &gguf_file::Content,
    r: &mut R,
    name: &str,
    dims: &[usize],
) -> Result<QMatMul, LlmError> {
    Ok(QMatMul::from_arc(Arc::new(qtensor(c, r, name, dims)?))?)
}

fn vector<R: Read + Seek>(
    c: &gguf_file::Content,
    r: &mut R,
    name: &str,
    n: usize,
) -> Result<Tensor, LlmError> {
    Ok(qtensor(c, r, name, &[n])?
        .dequantize(&Device::Cpu)?
        .to_dtype(DType::F32)?)
}

fn rms_norm(x: &Tensor, w: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
    let ms = x.sqr()?.mean_keepdim(D::Minus1)?;
    x.broadcast_div(&(ms + eps)?.sqrt()?)?.broadcast_mul(w)
}

fn softmax_last(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?;
    let e = x.broadcast_sub(&max)?.exp()?;
    let sum = e.sum_keepdim(D::Minus1)?;
    e.broadcast_div(&sum)
}

impl Llama {
    /// Loads the weights named as llama.cpp names them.
    pub fn load<R: Read + Seek>(c: &gguf_file::Content, r: &mut R) -> Result<Self, LlmError> {
        let cfg = LlamaConfig::from_gguf(c)?;
        let (h, kv) = (cfg.hidden, cfg.kv_heads * cfg.head_dim());
        let table = Arc::new(qtensor(c, r, "token_embd.weight", &[cfg.vocab, h])?);
        let output = if c.tensor_infos.contains_key("output.weight") {
            matmul(c, r, "output.weight", &[cfg.vocab, h])?
        } else {
            // Tied embeddings: the output projection is the embedding table.
            QMatMul::from_arc(table.clone())?
        };
        let mut blocks = Vec::with_capacity(cfg.layers);
        for i in 0..cfg.layers {
            let p = |n: &str| format!("blk.{i}.{n}.weight");
            blocks.push(Block {
                attn_norm: vector(c, r, &p("attn_norm"), h)?,
                q: matmul(c, r, &p("attn_q"), &[h, h])?,
                k: matmul(c, r, &p("attn_k"), &[kv, h])?,
                v: matmul(c, r, &p("attn_v"), &[kv, h])?,
                o: matmul(c, r, &p("attn_output"), &[h, h])?,
                ffn_norm: vector(c, r, &p("ffn_norm"), h)?,
                gate: matmul(c, r, &p("ffn_gate"), &[cfg.ffn, h])?,
                up: matmul(c, r, &p("ffn_up"), &[cfg.ffn, h])?,
                down: matmul(c, r, &p("ffn_down"), &[h, cfg.ffn])?,
                cache: None,
            });
        }
        Ok(Llama {
            embed: Embeddings {
                table,
                rows: cfg.vocab,
                dim: h,
            },
            norm: vector(c, r, "output_norm.weight", h)?,
            output,
            blocks,
            cfg,
            pos: 0,
        })
    }

    /// The model's shape.
    pub fn config(&self) -> &LlamaConfig {
        &self.cfg
    }

    /// Tokens in the cache (the position of the next token).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Forgets the cached context (a new conversation).
    pub fn clear(&mut self) {
        self.pos = 0;
        for b in &mut self.blocks {
            b.cache = None;
        }
    }

    /// Keeps only the first `keep` cached tokens (a new prompt that shares
    /// a prefix with the last one reuses its cache).
    pub fn truncate(&mut self, keep: usize) -> Result<(), LlmError> {
        if keep >= self.pos {
            return Ok(());
        }
        if keep == 0 {
            self.clear();
            return Ok(());
        }
        for b in &mut self.blocks {
            if let Some((k, v)) = &b.cache {
                b.cache = Some((k.narrow(1, 0, keep)?, v.narrow(1, 0, keep)?));
            }
        }
        self.pos = keep;
        Ok(())
    }

    /// Runs `ids` after the cached context; returns the logits of the last
    /// one (vocab floats).
    pub fn forward(&mut self, ids: &[u32]) -> Result<Vec<f32>, LlmError> {
        if ids.is_empty() {
            return Err(LlmError::Format("no tokens to run".into()));
        }
        let t = ids.len();
        if self.pos + t > self.cfg.context {
            return Err(LlmError::ContextFull(self.cfg.context));
        }
        let (h, hd) = (self.cfg.hidden, self.cfg.head_dim());
        let (nh, nkv) = (self.cfg.heads, self.cfg.kv_heads);
        let (cos, sin) = self.rope_tables(self.pos, t)?;
        let mask = if t > 1 {
            Some(self.causal_mask(t)?)
        } else {
            None
        };
        let mut x = self.embed.lookup(ids)?; // [t, h]
        let scale = 1.0 / (hd as f64).sqrt();
        for b in &mut self.blocks {
            let n = rms_norm(&x, &b.attn_norm, self.cfg.eps)?;
            let heads = |m: &QMatMul, k: usize| -> candle_core::Result<Tensor> {
                m.forward(&n)?
                    .reshape((t, k, hd))?
                    .transpose(0, 1)?
                    .contiguous()
            };
            let q = rope(&heads(&b.q, nh)?, &cos, &sin)?; // [nh, t, hd]
            let k = rope(&heads(&b.k, nkv)?, &cos, &sin)?; // [nkv, t, hd]
            let v = heads(&b.v, nkv)?;
            let (k, v) = match &b.cache {
                Some((ck, cv)) => (Tensor::cat(&[ck, &k], 1)?, Tensor::cat(&[cv, &v], 1)?),
                None => (k, v),
            };
            b.cache = Some((k.clone(), v.clone()));
            // Grouped-query attention: each KV head serves nh / nkv query heads.
            let group = nh / nkv;
            let q = q.reshape((nkv, group * t, hd))?;
            let mut att = (q.matmul(&k.t()?)? * scale)?; // [nkv, group*t, s]
            if let Some(m) = &mask {
                let m = m.repeat((group, 1))?; // [group*t, s]
                att = att.broadcast_add(&m)?;
            }
            let att = softmax_last(&att)?;
            let y = att.matmul(&v)?; // [nkv, group*t, hd]
            let y = y
                .reshape((nh, t, hd))?
                .transpose(0, 1)?
                .contiguous()?
                .reshape((t, h))?;
            x = (x + b.o.forward(&y)?)?;
            let n = rms_norm(&x, &b.ffn_norm, self.cfg.eps)?;
            let g = b.gate.forward(&n)?.silu()?;
            let u = b.up.forward(&n)?;
            x = (x + b.down.forward(&(g * u)?)?)?;
        }
        self.pos += t;
        let last = x.narrow(0, t - 1, 1)?;
        let logits = self
            .output
            .forward(&rms_norm(&last, &self.norm, self.cfg.eps)?)?;
        Ok(logits.flatten_all()?.to_vec1::<f32>()?)
    }

    /// cos and sin of every (position, frequency) pair: [t, hd/2] each.
    fn rope_tables(&self, start: usize, t: usize) -> Result<(Tensor, Tensor), LlmError> {
        let half = self.cfg.head_dim() / 2;
        let mut cos = Vec::with_capacity(t * half);
        let mut sin = Vec::with_capacity(t * half);
        for p in start..start + t {
            for i in 0..half {
                let freq = 1.0 / self.cfg.rope_base.powf(2.0 * i as f32 / (2 * half) as f32);
                let a = p as f32 * freq;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        Ok((
            Tensor::from_vec(cos, (t, half), &Device::Cpu)?,
            Tensor::from_vec(sin, (t, half), &Device::Cpu)?,
        ))
    }

    /// −∞ above the diagonal for the new tokens, over cache + new: [t, pos + t].
    fn causal_mask(&self, t: usize) -> Result<Tensor, LlmError> {
        let s = self.pos + t;
        let m: Vec<f32> = (0..t)
            .flat_map(|i| {
                (0..s).map(move |j| {
                    if j > self.pos + i {
                        f32::NEG_INFINITY
                    } else {
                        0.0
                    }
                })
            })
            .collect();
        Ok(Tensor::from_vec(m, (t, s), &Device::Cpu)?)
    }
}

/// Rotates consecutive pairs (x₂ᵢ, x₂ᵢ₊₁) by position × frequency ᵢ.
fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> candle_core::Result<Tensor> {
    let (h, t, d) = x.dims3()?;
    let pairs = x.reshape((h, t, d / 2, 2))?;
    let a = pairs.narrow(3, 0, 1)?.squeeze(3)?;
    let b = pairs.narrow(3, 1, 1)?.squeeze(3)?;
    let ra = (a.broadcast_mul(cos)? - b.broadcast_mul(sin)?)?;
    let rb = (a.broadcast_mul(sin)? + b.broadcast_mul(cos)?)?;
    Tensor::stack(&[ra, rb], 3)?.reshape((h, t, d))
}

/// Storage types the converter may choose for the linear weights.
pub const CONVERT_TYPES: [GgmlDType; 2] = [GgmlDType::Q8_0, GgmlDType::Q4_0];
