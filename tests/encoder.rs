//! The sentence encoder against an independent NumPy reference, on hard
//! input, and on broken model files. Needs the converted model (the test
//! command runs `kith model fetch` and `kith model convert` first).

use std::path::PathBuf;
use std::sync::OnceLock;

use kith::core::encoder::{Encoder, EncoderError, MAX_TOKENS};
use kith::core::vectors::cosine;

fn model_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/all-MiniLM-L6-v2.q8.gguf")
}

fn model_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        std::fs::read(model_path()).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run `kith model fetch && kith model convert`",
                model_path().display()
            )
        })
    })
}

fn encoder() -> &'static Encoder {
    static ENC: OnceLock<Encoder> = OnceLock::new();
    ENC.get_or_init(|| Encoder::from_gguf_bytes(model_bytes()).expect("the converted model loads"))
}

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    ids: Vec<u32>,
    embedding: Vec<f32>,
}

fn reference() -> Vec<Case> {
    #[derive(serde::Deserialize)]
    struct Fixture {
        cases: Vec<Case>,
    }
    let text = include_str!("fixtures/minilm_reference.json");
    serde_json::from_str::<Fixture>(text)
        .expect("fixture parses")
        .cases
}

#[test]
fn tokens_match_the_reference_tokenizer() {
    for case in reference() {
        assert_eq!(
            encoder().token_ids(&case.text).unwrap(),
            case.ids,
            "{:?}",
            case.text
        );
    }
}

#[test]
fn embeddings_agree_with_the_numpy_reference() {
    let cases = reference();
    let texts: Vec<&str> = cases.iter().map(|c| c.text.as_str()).collect();
    // One padded batch: padding must not leak into any sentence's vector.
    let batch = encoder().embed_batch(&texts).unwrap();
    for (case, v) in cases.iter().zip(&batch) {
        assert_eq!(v.len(), 384);
        let c = cosine(v, &case.embedding);
        assert!(c >= 0.999, "{:?}: cosine {c}", case.text);
        let single = encoder().embed(&case.text).unwrap();
        assert!(
            cosine(&single, v) > 0.9999,
            "{:?}: batch and single differ",
            case.text
        );
    }
}

#[test]
fn meaning_is_captured() {
    let e = encoder();
    let q = e.embed("a space opera with political intrigue").unwrap();
    let sf = e.embed("epic science fiction").unwrap();
    let cook = e.embed("a cookbook of Italian recipes").unwrap();
    assert!(
        cosine(&q, &sf) > cosine(&q, &cook) + 0.05,
        "{} vs {}",
        cosine(&q, &sf),
        cosine(&q, &cook)
    );
}

#[test]
fn any_text_gives_a_unit_vector() {
    let long = "the quick brown fox jumps over the lazy dog ".repeat(500);
    for text in [
        "",
        "   ",
        "🙂📚🚀",
        "日本の推理小説",
        "Ελληνικά βιβλία",
        "<img src=x onerror=alert(1)>",
        long.as_str(),
    ] {
        let v = encoder().embed(text).unwrap();
        assert_eq!(v.len(), 384);
        assert!(v.iter().all(|x| x.is_finite()), "{text:?}");
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "{text:?}: norm {norm}");
    }
    assert_eq!(encoder().token_ids(&long).unwrap().len(), MAX_TOKENS);
    assert!(encoder().embed_batch(&[]).unwrap().is_empty());
}

#[test]
fn broken_model_files_are_typed_errors() {
    let bytes = model_bytes();
    for cut in [0, 3, 100, 4096, bytes.len() / 2, bytes.len() - 1] {
        let r = Encoder::from_gguf_bytes(&bytes[..cut]);
        assert!(
            matches!(r, Err(EncoderError::Format(_))),
            "truncated at {cut}: {r:?}"
        );
    }
    let r = Encoder::from_gguf_bytes(b"definitely not a model file");
    assert!(matches!(r, Err(EncoderError::Format(_))));
}

/// Embedding a catalog batches texts of similar length together; every text
/// still gets its own embedding, in the order given.
#[test]
fn a_catalog_is_embedded_in_order_whatever_the_batching() {
    let texts: Vec<String> = (0..70)
        .map(|i| {
            let words = [
                "space opera",
                "a quiet village romance",
                "puzzle game",
                "tax software",
            ];
            words[i % 4].repeat(1 + (i * 7) % 13)
        })
        .collect();
    let all = kith::offline::build::bundle::embed_all(encoder(), &texts, &|_, _| {}).unwrap();
    assert_eq!(all.len(), texts.len());
    for (i, t) in texts.iter().enumerate().step_by(9) {
        let one = &encoder().embed_batch(&[t.as_str()]).unwrap()[0];
        let cos: f32 = one.iter().zip(&all[i]).map(|(a, b)| a * b).sum();
        assert!(cos > 0.9999, "text {i}: cosine {cos}");
    }
}
