//! The BERT forward pass over candle-core: embeddings, self-attention
//! layers, masked mean pooling, L2 normalisation. Linear weights run through
//! `QMatMul` (Q8_0 × Q8_0 dot products, simd128 in wasm).

use std::io::{Read, Seek};
use std::sync::Arc;

use super::config::{load_layers, LayerWeights, LoadWeights};
use super::{BertConfig, EncoderError, WeightMode};
use candle_core::quantized::{gguf_file, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor, D};

struct Linear {
    weight: QMatMul,
    bias: Tensor,
}

impl Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.weight.forward(x)?.broadcast_add(&self.bias)
    }
}

struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centred.broadcast_div(&(var + self.eps)?.sqrt()?)?;
        normed
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

type Layer = LayerWeights<Linear, LayerNorm>;

/// The loaded network.
pub(super) struct Bert {
    config: BertConfig,
    word: QMatMul,
    position: Tensor,
    token_type: Tensor,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
}

/// Reads named tensors from a GGUF file, checking their shapes.
struct Loader<'a, R> {
    content: &'a gguf_file::Content,
    reader: &'a mut R,
    weights: WeightMode,
    eps: f64,
}

impl<R: Read + Seek> Loader<'_, R> {
    fn qtensor(&mut self, name: &str, dims: &[usize]) -> Result<QTensor, EncoderError> {
        let t = self
            .content
            .tensor(self.reader, name, &Device::Cpu)
            .map_err(|e| EncoderError::Format(format!("tensor {name:?}: {e}")))?;
        if t.shape().dims() != dims {
            return Err(EncoderError::Format(format!(
                "tensor {name:?} has shape {:?}, expected {dims:?}",
                t.shape().dims()
            )));
        }
        Ok(t)
    }

    fn f32(&mut self, name: &str, dims: &[usize]) -> Result<Tensor, EncoderError> {
        Ok(self
            .qtensor(name, dims)?
            .dequantize(&Device::Cpu)?
            .to_dtype(DType::F32)?)
    }
}

impl<R: Read + Seek> LoadWeights for Loader<'_, R> {
    type Linear = Linear;
    type Norm = LayerNorm;

    fn linear(&mut self, prefix: &str, out: usize, inp: usize) -> Result<Linear, EncoderError> {
        let w = self.qtensor(&format!("{prefix}.weight"), &[out, inp])?;
        let weight = match self.weights {
            WeightMode::Quantized => QMatMul::from_arc(Arc::new(w))?,
            WeightMode::Dequantized | WeightMode::Int8 => {
                QMatMul::Tensor(w.dequantize(&Device::Cpu)?)
            }
        };
        Ok(Linear {
            weight,
            bias: self.f32(&format!("{prefix}.bias"), &[out])?,
        })
    }

    fn norm(&mut self, prefix: &str, dim: usize) -> Result<LayerNorm, EncoderError> {
        Ok(LayerNorm {
            weight: self.f32(&format!("{prefix}.weight"), &[dim])?,
            bias: self.f32(&format!("{prefix}.bias"), &[dim])?,
            eps: self.eps,
        })
    }
}

impl Bert {
    pub(super) fn load<R: Read + Seek>(
        content: &gguf_file::Content,
        reader: &mut R,
        config: BertConfig,
        weights: WeightMode,
    ) -> Result<Self, EncoderError> {
        let (h, eps) = (config.hidden, config.layer_norm_eps);
        let mut l = Loader {
            content,
            reader,
            weights,
            eps,
        };
        let word_info = content
            .tensor_infos
            .get("embeddings.word_embeddings.weight")
            .ok_or_else(|| EncoderError::Format("missing word embeddings".into()))?;
        let vocab = word_info.shape.dims().first().copied().unwrap_or(0);
        let word = QMatMul::from_arc(Arc::new(
            l.qtensor("embeddings.word_embeddings.weight", &[vocab, h])?,
        ))?;
        let position = l.f32(
            "embeddings.position_embeddings.weight",
            &[config.max_position, h],
        )?;
        let token_type = l
            .f32("embeddings.token_type_embeddings.weight", &[2, h])?
            .get(0)?;
        let embed_norm = l.norm("embeddings.LayerNorm", h)?;
        let layers = load_layers(&mut l, &config)?;
        Ok(Bert {
            config,
            word,
            position,
            token_type,
            embed_norm,
            layers,
        })
    }

    pub(super) fn config(&self) -> &BertConfig {
        &self.config
    }

    /// Unit sentence vectors `(batch, hidden)` for ids `(batch, seq)` and a
    /// 0/1 mask of real tokens.
    pub(super) fn embed(&self, ids: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, seq) = ids.dims2()?;
        if seq > self.config.max_position {
            candle_core::bail!(
                "{seq} tokens exceed the model's {}",
                self.config.max_position
            );
        }
        let (h, heads) = (self.config.hidden, self.config.heads);
        let dh = h / heads;
        let x = self
            .word
            .embedding(ids)?
            .broadcast_add(&self.position.narrow(0, 0, seq)?)?
            .broadcast_add(&self.token_type)?;
        let mut x = self.embed_norm.forward(&x)?;
        // 0 for real tokens, a large negative for padding: (batch, 1, 1, seq).
        let bias = ((mask.ones_like()? - mask)? * -1e9)?.reshape((batch, 1, 1, seq))?;
        let scale = 1.0 / (dh as f64).sqrt();
        for layer in &self.layers {
            let split = |t: Tensor| -> candle_core::Result<Tensor> {
                t.reshape((batch, seq, heads, dh))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let q = split(layer.query.forward(&x)?)?;
            let k = split(layer.key.forward(&x)?)?;
            let v = split(layer.value.forward(&x)?)?;
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&bias)?;
            let probs = softmax_last(&scores)?;
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((batch, seq, h))?;
            x = layer
                .attn_norm
                .forward(&(layer.attn_out.forward(&ctx)? + &x)?)?;
            let inner = layer.intermediate.forward(&x)?.gelu_erf()?;
            x = layer
                .out_norm
                .forward(&(layer.output.forward(&inner)? + &x)?)?;
        }
        // Masked mean pooling, then L2 normalisation.
        let m = mask.unsqueeze(2)?;
        let summed = x.broadcast_mul(&m)?.sum(1)?;
        let counts = m.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        mean.broadcast_div(&norm)
    }
}

fn softmax_last(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?;
    let e = x.broadcast_sub(&max)?.exp()?;
    let sum = e.sum_keepdim(D::Minus1)?;
    e.broadcast_div(&sum)
}
