//! The wasm-bindgen shell: converts between JS values and the core, and
//! nothing else. Errors become JS exceptions carrying the core's message.

use wasm_bindgen::prelude::*;

use crate::encoder::{Encoder, WeightMode};

/// The sentence encoder, for JS.
#[wasm_bindgen(js_name = Encoder)]
pub struct WasmEncoder {
    inner: Encoder,
}

#[wasm_bindgen(js_class = Encoder)]
impl WasmEncoder {
    /// Loads the encoder from the bytes of its GGUF file. `mode` is "int8"
    /// (Kith's fused int8 kernels, the default), "quantized" (candle QMatMul)
    /// or "dequantized" (candle, f32 weights).
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], mode: Option<String>) -> Result<WasmEncoder, JsError> {
        let mode = match mode.as_deref().unwrap_or("int8") {
            "int8" => WeightMode::Int8,
            "quantized" => WeightMode::Quantized,
            "dequantized" => WeightMode::Dequantized,
            other => return Err(JsError::new(&format!("unknown encoder mode {other:?}"))),
        };
        let inner =
            Encoder::from_gguf_bytes_with(bytes, mode).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(WasmEncoder { inner })
    }

    /// Vector dimension (384).
    pub fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// The unit vector of one text, as a Float32Array.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, JsError> {
        self.inner
            .embed(text)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Vectors of several texts, concatenated (n × dim) in one Float32Array.
    #[wasm_bindgen(js_name = embedBatch)]
    pub fn embed_batch(&self, texts: Vec<String>) -> Result<Vec<f32>, JsError> {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let out = self
            .inner
            .embed_batch(&refs)
            .map_err(|e| JsError::new(&e.to_string()))?;
        Ok(out.into_iter().flatten().collect())
    }

    /// Token ids of a text as the encoder sees it.
    #[wasm_bindgen(js_name = tokenIds)]
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, JsError> {
        self.inner
            .token_ids(text)
            .map_err(|e| JsError::new(&e.to_string()))
    }
}
