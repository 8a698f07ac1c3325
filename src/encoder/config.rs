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
