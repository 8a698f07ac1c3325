//! The encoder's shape and how its weights are held: plain data shared by
//! every forward pass and by the converter.

use serde::{Deserialize, Serialize};

/// The shape of a BERT encoder.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    /// Transformer layers.
    pub layers: usize,
    /// Hidden size (the output dimension).
    pub hidden: usize,
    /// Attention heads.
    pub heads: usize,
    /// Feed-forward size.
    pub intermediate: usize,
    /// Number of position embeddings (the hard token limit).
    pub max_position: usize,
    /// LayerNorm epsilon.
    pub layer_norm_eps: f64,
}

/// How linear weights are held in memory (the file is Q8_0 either way).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum WeightMode {
    /// Q8_0 weights, activations quantized on the fly (QMatMul): 4× less memory.
    Quantized,
    /// Weights dequantized to f32 at load: f32 activations, closer to the reference.
    Dequantized,
    /// Kith's fused forward pass: weights requantized per row to int8,
    /// activations per token, i32 accumulation (wasm `i32x4.dot_i16x8`).
    #[default]
    Int8,
}

/// One transformer layer's weights, whatever form a forward pass holds them in.
pub(super) struct LayerWeights<L, N> {
    pub query: L,
    pub key: L,
    pub value: L,
    pub attn_out: L,
    pub attn_norm: N,
    pub intermediate: L,
    pub output: L,
    pub out_norm: N,
}

/// How a forward pass loads a linear layer and a LayerNorm by tensor prefix.
pub(super) trait LoadWeights {
    /// The pass's linear layer.
    type Linear;
    /// The pass's LayerNorm.
    type Norm;
    /// Loads `{prefix}.weight` (`out × inp`) and `{prefix}.bias`.
    fn linear(
        &mut self,
        prefix: &str,
        out: usize,
        inp: usize,
    ) -> Result<Self::Linear, super::EncoderError>;
    /// Loads `{prefix}.weight` and `{prefix}.bias` (`dim`).
    fn norm(&mut self, prefix: &str, dim: usize) -> Result<Self::Norm, super::EncoderError>;
}

/// All layers as a given loader holds them.
pub(super) type Layers<T> = Vec<LayerWeights<<T as LoadWeights>::Linear, <T as LoadWeights>::Norm>>;

/// Loads every layer with the BERT tensor names: the one place that knows
/// the file's layout.
pub(super) fn load_layers<T: LoadWeights>(
    loader: &mut T,
    config: &BertConfig,
) -> Result<Layers<T>, super::EncoderError> {
    let (h, ffn) = (config.hidden, config.intermediate);
    (0..config.layers)
        .map(|i| {
            let p = format!("encoder.layer.{i}");
            Ok(LayerWeights {
                query: loader.linear(&format!("{p}.attention.self.query"), h, h)?,
                key: loader.linear(&format!("{p}.attention.self.key"), h, h)?,
                value: loader.linear(&format!("{p}.attention.self.value"), h, h)?,
                attn_out: loader.linear(&format!("{p}.attention.output.dense"), h, h)?,
                attn_norm: loader.norm(&format!("{p}.attention.output.LayerNorm"), h)?,
                intermediate: loader.linear(&format!("{p}.intermediate.dense"), ffn, h)?,
                output: loader.linear(&format!("{p}.output.dense"), h, ffn)?,
                out_norm: loader.norm(&format!("{p}.output.LayerNorm"), h)?,
            })
        })
        .collect()
}
