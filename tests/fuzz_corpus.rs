//! Replays the fuzz corpus and every crash the fuzzers ever found through
//! the fuzz targets' own checks (`fuzz/src/checks.rs`), on stable Rust:
//! a fixed bug stays fixed, and each target's invariants hold on thousands
//! of saved inputs in every `./scripts/test` run. The campaign itself
//! (libFuzzer, nightly) is `./scripts/fuzz`; docs/FUZZING.md.
//!
//! `cargo test --test fuzz_corpus -- --ignored write_seeds` rewrites the
//! hand-made seeds (`fuzz/seeds/<target>/`).

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Every saved input of a target: seeds, the campaign's corpus, regressions.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for kind in ["seeds", "corpus", "regressions"] {
        let dir = fuzz_dir().join(kind).join(target);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            out.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
        }
    }
    out.sort();
    out
}

fn replay(target: &str) {
    let files = inputs(target);
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("/seeds/")),
        "fuzz/seeds/{target} is empty"
    );
    for f in &files {
        // A running fuzzer replaces corpus files as it shrinks them.
        let Ok(data) = std::fs::read(f) else {
            continue;
        };
        let run = std::panic::catch_unwind(|| checks::run(target, &data));
        assert!(run.is_ok(), "{target}: {} fails its check", f.display());
    }
    eprintln!("{target}: {} inputs replayed", files.len());
}

#[test]
fn bundle_corpus() {
    replay("bundle");
}

#[test]
fn encoder_gguf_corpus() {
    replay("encoder_gguf");
}

#[test]
fn llm_gguf_corpus() {
    replay("llm_gguf");
}

#[test]
fn profile_corpus() {
    replay("profile");
}

#[test]
fn sync_corpus() {
    replay("sync");
}

#[test]
fn csv_corpus() {
    replay("csv");
}

#[test]
fn dialogue_corpus() {
    replay("dialogue");
}

/// The checks themselves can fail: a bundle whose MF dimension is absurd
/// must be refused by the reader, and the harness's section list really
/// reaches the decoders (a valid list loads).
#[test]
fn the_bundle_harness_reaches_the_decoders() {
    let b = checks::fixture_bundle();
    let sections = plain_sections(b);
    let bytes = checks::assemble(&sections);
    kith::core::bundle::Bundle::from_bytes(&bytes).expect("the assembled fixture loads");
    let mut huge = sections.clone();
    for (name, plain) in huge.iter_mut() {
        if name == "mf_q8" {
            plain[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        }
    }
    let err = kith::core::bundle::Bundle::from_bytes(&checks::assemble(&huge)).unwrap_err();
    assert!(err.to_string().contains("dimension"), "{err}");
}

/// The fixture's sections with the compressed ones as plain bytes (the
/// fuzzer's list format compresses them itself).
fn plain_sections(b: &kith::core::bundle::Bundle) -> Vec<(String, Vec<u8>)> {
    let bytes = b.to_bytes();
    let sizes = kith::core::bundle::Bundle::section_sizes(&bytes).expect("sizes");
    let header = 16 + sizes.len() * 36 + 4;
    let mut at = header;
    let mut out = Vec::new();
    for (name, len) in sizes {
        let mut body = bytes[at..at + len].to_vec();
        at += len;
        if name == "catalog_zlib" || name == "mf_q8" {
            body = miniz_oxide::inflate::decompress_to_vec_zlib(&body[8..]).expect("inflates");
        }
        out.push((name, body));
    }
    out
}

// ----------------------------------------------------------------- seeds

fn write_seed(target: &str, name: &str, data: &[u8]) {
    let dir = fuzz_dir().join("seeds").join(target);
    std::fs::create_dir_all(&dir).expect("seed folder");
    std::fs::write(dir.join(name), data).expect("seed written");
}

#[test]
#[ignore = "rewrites fuzz/seeds/; run by hand when the formats change"]
fn write_seeds() {
    let b = checks::fixture_bundle();
    // bundle: the fixture whole, as a core part and as a text part, raw,
    // with checksums to fix, and as a section list.
    let whole = b.to_bytes();
    let parts = b.to_parts();
    for (name, bytes) in [
        ("whole", &whole),
        ("core", &parts[0].1),
        ("text", &parts[1].1),
    ] {
        let mut raw = vec![0u8];
        raw.extend_from_slice(bytes);
        write_seed("bundle", &format!("{name}-raw"), &raw);
        raw[0] = 1;
        write_seed("bundle", &format!("{name}-fixed"), &raw);
    }
    write_seed(
        "bundle",
        "whole-sections",
        &checks::write_sections(&plain_sections(b)),
    );

    // profile: an empty one, a version-1 one, one mid-conversation.
    let engine = checks::fixture_engine();
    let mut p = engine.new_profile();
    write_seed("profile", "fresh", p.to_json().as_bytes());
    for said in [
        "I loved Dune but not horror",
        "something newer",
        "more like the first",
    ] {
        let _ = engine.say(&mut p, said);
    }
    let _ = engine.feedback(&mut p, "3", kith::core::session::Feedback::Love);
    write_seed("profile", "conversation", p.to_json().as_bytes());
    write_seed(
        "profile",
        "version-1",
        br#"{"catalog":"fuzz","liked":["1"],"disliked":["7"],"answers":["hi"]}"#,
    );

    // sync: a few changes on each side.
    write_seed(
        "sync",
        "both-tabs",
        &[
            1, 0, 2, 3, 4, 5, 0xFF, 3, 2, 0, 5, b'h', b'e', b'l', b'l', b'o',
        ],
    );

    // csv: the fixture catalog strict and lenient, a catalog with bad rows.
    let items = std::fs::read_to_string(fuzz_dir().join("src/checks.rs")).expect("checks");
    let start = items
        .find("id,title,creator,tags,year,length")
        .expect("items");
    let end = items[start..].find("\";").expect("end") + start;
    let items = items[start..end].replace("\\\"", "\"");
    let inter = "user,item,rating\nu1,1,5\nu1,2,4\nu2,3,5\nu2,1,1\nu3,12,5\n";
    for mode in [0u8, 1] {
        let mut d = vec![mode];
        d.extend_from_slice(items.as_bytes());
        d.push(0xFF);
        d.extend_from_slice(inter.as_bytes());
        write_seed("csv", &format!("fixture-{mode}"), &d);
    }
    let mut bad = vec![1u8];
    bad.extend_from_slice(b"id,title,year,length\na,A,abc,1\nb,\"B\"\"\",2001,-1\nc,C\xe9,,\n\xFFuser,item\nu,a\nu,zz\nv,b,nan\n");
    write_seed("csv", "bad-rows", &bad);
    write_seed(
        "csv",
        "tsv",
        b"\x00id,title\n1,x\n\xFFu1\t1\t4.5\t99\nu2,1\n",
    );

    // dialogue: what visitors say, including the hostile.
    for (name, text) in [
        (
            "liked",
            "I loved Dune for its world-building and political intrigue",
        ),
        (
            "negation",
            "not not not no horror, never anything like It, but not without romance",
        ),
        ("greeting", "hi"),
        (
            "mixed",
            "something like Hyperion but shorter and newer, no vampires",
        ),
        ("rtl", "أحب الروايات الخيالية \u{200f}Dune\u{200e} مثل"),
        ("zero-width", "I\u{200b} lo\u{200d}ved Du\u{feff}ne"),
        ("cjk", "ノルウェイの森みたいな本"),
        ("emoji", "🙂🙂 📚"),
        ("controls", "\u{0}\u{1}\u{7f}\r\n\t"),
    ] {
        write_seed("dialogue", name, text.as_bytes());
    }
    write_seed("dialogue", "nested", "(not ".repeat(300).as_bytes());

    // GGUF: tiny models made from the real files' metadata and tensor
    // names (models/, built by `kith model convert`).
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    write_seed(
        "encoder_gguf",
        "tiny",
        &gguf_seeds::tiny_encoder(&models.join("all-MiniLM-L6-v2.q8.gguf")),
    );
    write_seed(
        "llm_gguf",
        "tiny",
        &gguf_seeds::tiny_llm(&models.join("SmolLM2-135M-Instruct.q8.gguf")),
    );
}

/// Tiny GGUF files with the real files' metadata keys and tensor names but
/// small shapes, so a fuzzer's mutations of them stay fast and reach the
/// loaders' checks and kernels.
mod gguf_seeds {
    use std::collections::HashMap;
    use std::path::Path;

    use candle_core::quantized::gguf_file::{self, Content, Value};
    use candle_core::quantized::{GgmlDType, QTensor};
    use candle_core::{Device, Tensor};

    fn read(path: &Path) -> (Content, std::fs::File) {
        let mut f = std::fs::File::open(path).expect("model file (kith model fetch && convert)");
        let c = Content::read(&mut f).expect("gguf");
        (c, f)
    }

    fn tensor(dims: &[usize], dtype: GgmlDType, salt: usize) -> QTensor {
        let n: usize = dims.iter().product();
        let v: Vec<f32> = (0..n)
            .map(|i| (((i * 31 + salt * 17) % 97) as f32 / 97.0 - 0.5) * 0.2)
            .collect();
        let t = Tensor::from_vec(v, dims, &Device::Cpu).expect("tensor");
        let dtype = if dims.last().is_some_and(|d| d % 32 == 0) {
            dtype
        } else {
            GgmlDType::F32
        };
        QTensor::quantize(&t, dtype).expect("quantize")
    }

    /// The file's tensors that `keep` names, each with its dimensions mapped
    /// by `dim` (given the tensor's name) and made-up values.
    fn shrunk_tensors(
        c: &Content,
        keep: impl Fn(&str) -> bool,
        dim: impl Fn(&str, usize) -> usize,
    ) -> Vec<(String, QTensor)> {
        c.tensor_infos
            .iter()
            .enumerate()
            .filter(|(_, (name, _))| keep(name))
            .map(|(i, (name, info))| {
                let dims: Vec<usize> = info.shape.dims().iter().map(|&d| dim(name, d)).collect();
                (name.clone(), tensor(&dims, info.ggml_dtype, i))
            })
            .collect()
    }

    fn write(md: Vec<(String, Value)>, ts: Vec<(String, QTensor)>) -> Vec<u8> {
        let md: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let ts: Vec<(&str, &QTensor)> = ts.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let mut out = std::io::Cursor::new(Vec::new());
        gguf_file::write(&mut out, &md, &ts).expect("gguf written");
        out.into_inner()
    }

    /// A one-layer, 32-wide BERT with about 320 WordPiece tokens: the
    /// special ones, single characters and the most common words.
    pub fn tiny_encoder(path: &Path) -> Vec<u8> {
        let (c, _) = read(path);
        let json = match c.metadata.get("kith.tokenizer.json") {
            Some(Value::String(s)) => s.clone(),
            _ => panic!("no tokenizer"),
        };
        let (json, vocab) = shrink_wordpiece(&json, |id| {
            id < 110 || (999..1110).contains(&id) || (1996..2100).contains(&id)
        });
        let map: HashMap<usize, usize> = [(384, 32), (1536, 64), (512, 16), (30522, vocab)].into();
        let mut md = Vec::new();
        for (k, v) in &c.metadata {
            let v = match (k.as_str(), v) {
                (k, Value::U32(_)) if k.ends_with("layers") || k.contains("block_count") => {
                    Value::U32(1)
                }
                (k, Value::U32(_)) if k.contains("head") => Value::U32(2),
                (_, Value::U32(x)) => {
                    Value::U32(*map.get(&(*x as usize)).unwrap_or(&(*x as usize)) as u32)
                }
                ("kith.tokenizer.json", _) => Value::String(json.clone()),
                (_, v) => v.clone(),
            };
            md.push((k.clone(), v));
        }
        let ts = shrunk_tensors(
            &c,
            |name| !name.contains("layer.") || name.contains("layer.0."),
            |_, d| *map.get(&d).unwrap_or(&d),
        );
        write(md, ts)
    }

    /// The WordPiece tokenizer JSON keeping the tokens whose id `keep`
    /// accepts, numbered again from 0 in the same order; and their count.
    fn shrink_wordpiece(json: &str, keep: impl Fn(usize) -> bool) -> (String, usize) {
        let mut v: serde_json::Value = serde_json::from_str(json).expect("tokenizer json");
        let vocab = v["model"]["vocab"].as_object().expect("vocab").clone();
        let mut kept: Vec<(String, usize)> = vocab
            .into_iter()
            .filter_map(|(t, id)| Some((t, id.as_u64()? as usize)))
            .filter(|(_, id)| keep(*id))
            .collect();
        kept.sort_by_key(|(_, id)| *id);
        let remapped: serde_json::Map<String, serde_json::Value> = kept
            .iter()
            .enumerate()
            .map(|(new, (t, _))| (t.clone(), serde_json::json!(new)))
            .collect();
        let n = remapped.len();
        v["model"]["vocab"] = serde_json::Value::Object(remapped);
        if let Some(added) = v["added_tokens"].as_array_mut() {
            added.retain(|a| {
                a["content"]
                    .as_str()
                    .is_some_and(|t| kept.iter().any(|(k, _)| k == t))
            });
            for a in added.iter_mut() {
                let t = a["content"].as_str().unwrap_or("").to_string();
                if let Some(pos) = kept.iter().position(|(k, _)| *k == t) {
                    a["id"] = serde_json::json!(pos);
                }
            }
        }
        (v.to_string(), n)
    }

    /// A one-layer, 64-wide llama with the first 600 BPE tokens and the
    /// merges among them.
    pub fn tiny_llm(path: &Path) -> Vec<u8> {
        const VOCAB: usize = 320;
        let (c, _) = read(path);
        let map: HashMap<usize, usize> = [(576, 64), (1536, 64), (49152, VOCAB)].into();
        let tokens: Vec<String> = match c.metadata.get("tokenizer.ggml.tokens") {
            Some(Value::Array(a)) => a
                .iter()
                .take(VOCAB)
                .filter_map(|t| t.to_string().ok().cloned())
                .collect(),
            _ => panic!("no tokens"),
        };
        let known: std::collections::HashSet<&str> = tokens.iter().map(String::as_str).collect();
        let mut md = Vec::new();
        for (k, v) in &c.metadata {
            let v = match (k.as_str(), v) {
                ("llama.block_count", _) => Value::U32(1),
                ("llama.attention.head_count", _) => Value::U32(2),
                ("llama.attention.head_count_kv", _) => Value::U32(1),
                ("llama.rope.dimension_count", _) => Value::U32(32),
                ("llama.context_length", _) => Value::U32(64),
                ("tokenizer.ggml.tokens", _) => {
                    Value::Array(tokens.iter().map(|t| Value::String(t.clone())).collect())
                }
                ("tokenizer.ggml.token_type" | "tokenizer.ggml.scores", Value::Array(a)) => {
                    Value::Array(a.iter().take(VOCAB).cloned().collect())
                }
                ("tokenizer.ggml.merges", Value::Array(a)) => Value::Array(
                    a.iter()
                        .filter(|m| {
                            m.to_string().ok().is_some_and(|m| {
                                let mut it = m.splitn(2, ' ');
                                let (l, r) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
                                known.contains(l)
                                    && known.contains(r)
                                    && known.contains(format!("{l}{r}").as_str())
                            })
                        })
                        .cloned()
                        .collect(),
                ),
                (k, Value::U32(id)) if k.ends_with("token_id") => {
                    Value::U32((*id as usize).min(VOCAB - 1) as u32)
                }
                (_, Value::U32(x)) => {
                    Value::U32(*map.get(&(*x as usize)).unwrap_or(&(*x as usize)) as u32)
                }
                (_, v) => v.clone(),
            };
            md.push((k.clone(), v));
        }
        let ts = shrunk_tensors(
            &c,
            |name| !name.starts_with("blk.") || name.starts_with("blk.0."),
            |name, d| match *map.get(&d).unwrap_or(&d) {
                // One key/value head of 32.
                192 if name.contains("attn_k") || name.contains("attn_v") => 32,
                d => d,
            },
        );
        write(md, ts)
    }
}

/// The GGUF seeds are real models (tiny ones), so mutations of them reach
/// the tensor loaders and kernels rather than stopping at the header.
#[test]
fn the_gguf_seeds_load_and_run() {
    let enc = std::fs::read(fuzz_dir().join("seeds/encoder_gguf/tiny")).expect("seed");
    let encoder =
        kith::core::encoder::Encoder::from_gguf_bytes(&enc).expect("the tiny encoder loads");
    assert_eq!(encoder.embed("the sea").expect("embeds").len(), 32);
    let llm = std::fs::read(fuzz_dir().join("seeds/llm_gguf/tiny")).expect("seed");
    let mut llm = kith::core::llm::Llm::from_gguf_bytes(&llm).expect("the tiny llm loads");
    let ids = llm.encode("Hello there").expect("encodes");
    assert!(!ids.is_empty());
    assert_eq!(llm.greedy(&ids, 2).expect("generates").len(), 2);
}
