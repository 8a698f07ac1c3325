//! The encoder's fast path: the same BERT forward pass as [`super::bert`],
//! written as fused loops over plain slices with int8 linear layers
//! ([`super::kernels`]). Each sequence attends over its own tokens only, so a
//! batch needs no padding and gives exactly the single-text vectors.

use std::io::{Read, Seek};

use candle_core::quantized::{gguf_file, GgmlDType};
use candle_core::Device;
use half::f16;

use super::config::{load_layers, BertConfig, LayerWeights, LoadWeights};
use super::kernels::{gelu, layer_norm, softmax, Int8Linear, Quantized, BLOCK};
use super::EncoderError;

/// Word embeddings kept in their file form and dequantized per looked-up row.
enum Embeddings {
    /// Q8_0 blocks: 32 values per (f16 scale, 32 × i8), 34 bytes.
    Q8(Vec<u8>),
    /// Q4_1 blocks: 32 values per (f16 scale d, f16 minimum m, 16 bytes of
    /// nibbles), 20 bytes; value = nibble × d + m, low nibbles first.
    Q4_1(Vec<u8>),
    /// Q5_1 blocks: 32 values per (f16 d, f16 m, 4 bytes of fifth bits,
    /// 16 bytes of nibbles), 24 bytes; value = (nibble | bit << 4) × d + m.
    Q5_1(Vec<u8>),
    /// Plain f32 rows.
    F32(Vec<f32>),
}

/// The blocks (of `size` bytes, 32 values each) of word row `id` in a
/// table `h` wide, or None past the table's end.
fn row_blocks(
    bytes: &[u8],
    id: usize,
    h: usize,
    size: usize,
) -> Option<std::slice::ChunksExact<'_, u8>> {
    let len = h / 32 * size;
    bytes
        .get(id * len..(id + 1) * len)
        .map(|row| row.chunks_exact(size))
}

type Layer = LayerWeights<Int8Linear, (Vec<f32>, Vec<f32>)>;

/// The network with int8 linear layers.
pub(super) struct FusedBert {
    config: BertConfig,
    vocab: usize,
    word: Embeddings,
    position: Vec<f32>,
    token_type: Vec<f32>,
    embed_norm: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
}

struct Reader<'a, R> {
    content: &'a gguf_file::Content,
    reader: &'a mut R,
}

impl<R: Read + Seek> Reader<'_, R> {
    fn f32(&mut self, name: &str, dims: &[usize]) -> Result<Vec<f32>, EncoderError> {
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
        Ok(t.dequantize(&Device::Cpu)?
            .flatten_all()?
            .to_vec1::<f32>()?)
    }
}

impl<R: Read + Seek> LoadWeights for Reader<'_, R> {
    type Linear = Int8Linear;
    type Norm = (Vec<f32>, Vec<f32>);

    fn linear(&mut self, prefix: &str, out: usize, inp: usize) -> Result<Int8Linear, EncoderError> {
        if inp % BLOCK != 0 {
            return Err(EncoderError::Format(format!(
                "{prefix}: input size {inp} is not a multiple of {BLOCK}"
            )));
        }
        let name = format!("{prefix}.weight");
        let b = self.f32(&format!("{prefix}.bias"), &[out])?;
        let q = self
            .content
            .tensor(self.reader, &name, &Device::Cpu)
            .map_err(|e| EncoderError::Format(format!("tensor {name:?}: {e}")))?;
        if q.shape().dims() != [out, inp] {
            return Err(EncoderError::Format(format!(
                "tensor {name:?} has shape {:?}, expected {:?}",
                q.shape().dims(),
                [out, inp]
            )));
        }
        if q.dtype() == GgmlDType::Q8_0 {
            Int8Linear::from_q8_0(&q.data()?, b, out, inp)
                .ok_or_else(|| EncoderError::Format(format!("tensor {name:?}: bad Q8_0 data")))
        } else {
            let w = q
                .dequantize(&Device::Cpu)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            Ok(Int8Linear::from_f32(&w, b, out, inp))
        }
    }

    fn norm(&mut self, prefix: &str, dim: usize) -> Result<(Vec<f32>, Vec<f32>), EncoderError> {
        Ok((
            self.f32(&format!("{prefix}.weight"), &[dim])?,
            self.f32(&format!("{prefix}.bias"), &[dim])?,
        ))
    }
}

impl FusedBert {
    pub(super) fn load<R: Read + Seek>(
        content: &gguf_file::Content,
        reader: &mut R,
        config: BertConfig,
    ) -> Result<Self, EncoderError> {
        let h = config.hidden;
        let info = content
            .tensor_infos
            .get("embeddings.word_embeddings.weight")
            .ok_or_else(|| EncoderError::Format("missing word embeddings".into()))?;
        let vocab = info.shape.dims().first().copied().unwrap_or(0);
        if info.shape.dims() != [vocab, h] || vocab == 0 {
            return Err(EncoderError::Format(format!(
                "word embeddings have shape {:?}",
                info.shape.dims()
            )));
        }
        let word_q = content
            .tensor(reader, "embeddings.word_embeddings.weight", &Device::Cpu)
            .map_err(|e| EncoderError::Format(format!("word embeddings: {e}")))?;
        let word = match word_q.dtype() {
            GgmlDType::Q8_0 if h % 32 == 0 => Embeddings::Q8(word_q.data()?.into_owned()),
            GgmlDType::Q4_1 if h % 32 == 0 => Embeddings::Q4_1(word_q.data()?.into_owned()),
            GgmlDType::Q5_1 if h % 32 == 0 => Embeddings::Q5_1(word_q.data()?.into_owned()),
            _ => Embeddings::F32(
                word_q
                    .dequantize(&Device::Cpu)?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            ),
        };
        let mut r = Reader { content, reader };
        let position = r.f32(
            "embeddings.position_embeddings.weight",
            &[config.max_position, h],
        )?;
        let token_type = r.f32("embeddings.token_type_embeddings.weight", &[2, h])?[..h].to_vec();
        let embed_norm = r.norm("embeddings.LayerNorm", h)?;
        let layers = load_layers(&mut r, &config)?;
        Ok(FusedBert {
            config,
            vocab,
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

    /// Adds word row `id` to `out` (ids past the vocabulary count as [UNK]-free zeros).
    fn add_word(&self, id: u32, out: &mut [f32]) {
        let h = self.config.hidden;
        let id = id as usize;
        if id >= self.vocab {
            return;
        }
        match &self.word {
            Embeddings::F32(w) => {
                for (o, v) in out.iter_mut().zip(&w[id * h..(id + 1) * h]) {
                    *o += v;
                }
            }
            Embeddings::Q8(bytes) => {
                let Some(row) = row_blocks(bytes, id, h, 34) else {
                    return;
                };
                for (b, block) in row.enumerate() {
                    let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
                    for (k, &q) in block[2..].iter().enumerate() {
                        out[b * 32 + k] += d * (q as i8) as f32;
                    }
                }
            }
            // Q4_1 is Q5_1 without the fifth bits.
            Embeddings::Q4_1(bytes) | Embeddings::Q5_1(bytes) => {
                let five = matches!(self.word, Embeddings::Q5_1(_));
                let Some(row) = row_blocks(bytes, id, h, if five { 24 } else { 20 }) else {
                    return;
                };
                for (b, block) in row.enumerate() {
                    let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
                    let m = f16::from_le_bytes([block[2], block[3]]).to_f32();
                    let (high, nibbles) = if five {
                        let high = u32::from_le_bytes([block[4], block[5], block[6], block[7]]);
                        (high, &block[8..])
                    } else {
                        (0, &block[4..])
                    };
                    let o = &mut out[b * 32..(b + 1) * 32];
                    for (k, &q) in nibbles.iter().enumerate() {
                        let lo = (q & 0x0F) | (((high >> k) & 1) << 4) as u8;
                        let hi = (q >> 4) | (((high >> (k + 16)) & 1) << 4) as u8;
                        o[k] += f32::from(lo) * d + m;
                        o[k + 16] += f32::from(hi) * d + m;
                    }
                }
            }
        }
    }

    /// Unit vectors for token-id sequences (each at most `max_position` long).
    pub(super) fn embed(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EncoderError> {
        let (h, heads, eps) = (
            self.config.hidden,
            self.config.heads,
            self.config.layer_norm_eps as f32,
        );
        let dh = h / heads;
        let total: usize = seqs.iter().map(Vec::len).sum();
        if let Some(s) = seqs.iter().find(|s| s.len() > self.config.max_position) {
            return Err(EncoderError::Format(format!(
                "{} tokens exceed the model's {}",
                s.len(),
                self.config.max_position
            )));
        }
        // Embeddings.
        let mut x = vec![0f32; total * h];
        let mut row = 0;
        for seq in seqs {
            for (pos, &id) in seq.iter().enumerate() {
                let out = &mut x[row * h..(row + 1) * h];
                self.add_word(id, out);
                for ((o, p), t) in out
                    .iter_mut()
                    .zip(&self.position[pos * h..(pos + 1) * h])
                    .zip(&self.token_type)
                {
                    *o += p + t;
                }
                row += 1;
            }
        }
        layer_norm(&mut x, h, &self.embed_norm.0, &self.embed_norm.1, eps);
        let mut scratch = Quantized::default();
        let (mut q, mut k, mut v, mut a, mut inter, mut out) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        let mut ctx = vec![0f32; total * h];
        let mut scores = Vec::new();
        let scale = 1.0 / (dh as f32).sqrt();
        for layer in &self.layers {
            layer.query.forward(&x, total, &mut scratch, &mut q);
            layer.key.forward(&x, total, &mut scratch, &mut k);
            layer.value.forward(&x, total, &mut scratch, &mut v);
            ctx.iter_mut().for_each(|c| *c = 0.0);
            let mut start = 0;
            for seq in seqs {
                let len = seq.len();
                for head in 0..heads {
                    let (lo, hi) = (head * dh, (head + 1) * dh);
                    for i in start..start + len {
                        scores.clear();
                        let qi = &q[i * h + lo..i * h + hi];
                        scores.extend((start..start + len).map(|j| {
                            crate::core::vectors::dot(qi, &k[j * h + lo..j * h + hi]) * scale
                        }));
                        softmax(&mut scores);
                        let ci = &mut ctx[i * h + lo..i * h + hi];
                        for (j, &p) in (start..start + len).zip(&scores) {
                            crate::core::vectors::axpy(p, &v[j * h + lo..j * h + hi], ci);
                        }
                    }
                }
                start += len;
            }
            layer.attn_out.forward(&ctx, total, &mut scratch, &mut a);
            for (xi, ai) in x.iter_mut().zip(&a) {
                *xi += ai;
            }
            layer_norm(&mut x, h, &layer.attn_norm.0, &layer.attn_norm.1, eps);
            layer
                .intermediate
                .forward(&x, total, &mut scratch, &mut inter);
            gelu(&mut inter);
            layer.output.forward(&inter, total, &mut scratch, &mut out);
            for (xi, oi) in x.iter_mut().zip(&out) {
                *xi += oi;
            }
            layer_norm(&mut x, h, &layer.out_norm.0, &layer.out_norm.1, eps);
        }
        // Mean pooling over each sequence's tokens, then L2 normalisation.
        let mut result = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for seq in seqs {
            let mut m = vec![0f32; h];
            for t in start..start + seq.len() {
                for (mi, xi) in m.iter_mut().zip(&x[t * h..(t + 1) * h]) {
                    *mi += xi;
                }
            }
            start += seq.len();
            let norm = m.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            m.iter_mut().for_each(|v| *v /= norm);
            result.push(m);
        }
        Ok(result)
    }
}
