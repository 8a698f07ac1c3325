//! Native encoder speed: single-sentence latency and a batch of 32, for both
//! weight modes, in one run (compare the ratios, not absolute times).
//!
//!     cargo bench --bench encoder
//!     cargo bench --bench encoder -- agree OTHER.gguf [TEXTS.txt]
//!
//! `agree` compares the encoder with another conversion of the same model
//! (a smaller word-embedding table, say): cosine of each against the fp32
//! reference vectors (tests/fixtures/minilm_reference.json), and of the two
//! against each other over many texts (one per line of TEXTS, default the
//! demo catalog's titles), with the two file sizes.
//!
//! Needs `kith model fetch && kith model convert` first.

use std::time::Instant;

use kith::core::encoder::{Encoder, WeightMode};
use kith::core::vectors::cosine;

const SENTENCES: [&str; 8] = [
    "I loved Dune for its world-building and political intrigue",
    "something action-packed but not too violent",
    "a cozy mystery set in a small English village",
    "books like The Hunger Games but for adults",
    "a space opera with political intrigue",
    "historical fiction about the second world war",
    "a funny memoir I can read on a plane",
    "epic fantasy with dragons and a great magic system",
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn agree(path: &str, other: &str, texts: Option<&str>) {
    let load = |p: &str| {
        let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        (
            bytes.len(),
            Encoder::from_gguf_bytes(&bytes).expect("loads"),
        )
    };
    let ((na, a), (nb, b)) = (load(path), load(other));
    #[derive(serde::Deserialize)]
    struct Case {
        text: String,
        embedding: Vec<f32>,
    }
    #[derive(serde::Deserialize)]
    struct Fixture {
        cases: Vec<Case>,
    }
    let fixture: Fixture =
        serde_json::from_str(include_str!("../tests/fixtures/minilm_reference.json"))
            .expect("fixture");
    let min_against = |e: &Encoder| {
        fixture
            .cases
            .iter()
            .map(|c| cosine(&e.embed(&c.text).expect("embed"), &c.embedding))
            .fold(1f32, f32::min)
    };
    let lines: Vec<String> = match texts {
        Some(f) => std::fs::read_to_string(f)
            .expect("texts")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        None => {
            let bytes = std::fs::read("models/goodbooks.kith").expect("models/goodbooks.kith");
            let b = kith::core::bundle::Bundle::from_bytes(&bytes).expect("bundle");
            b.catalog
                .items()
                .iter()
                .take(3000)
                .map(|i| i.title.clone())
                .collect()
        }
    };
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (va, vb) = (
        a.embed_batch(&refs).expect("embed"),
        b.embed_batch(&refs).expect("embed"),
    );
    let mut cos: Vec<f32> = va.iter().zip(&vb).map(|(x, y)| cosine(x, y)).collect();
    cos.sort_by(f32::total_cmp);
    println!(
        "{path} ({:.1} MB): min cosine with the fp32 reference {:.5}",
        na as f64 / 1e6,
        min_against(&a)
    );
    println!(
        "{other} ({:.1} MB): min cosine with the fp32 reference {:.5}",
        nb as f64 / 1e6,
        min_against(&b)
    );
    println!(
        "the two over {} texts: cosine mean {:.5}, 1st percentile {:.5}, min {:.5}",
        cos.len(),
        cos.iter().map(|&c| c as f64).sum::<f64>() / cos.len() as f64,
        cos[cos.len() / 100],
        cos[0]
    );
}

fn main() {
    let path =
        std::env::var("KITH_ENCODER").unwrap_or_else(|_| "models/all-MiniLM-L6-v2.q8.gguf".into());
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if args.first().map(String::as_str) == Some("agree") {
        let other = args.get(1).expect("agree OTHER.gguf [TEXTS.txt]");
        agree(&path, other, args.get(2).map(String::as_str));
        return;
    }
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run kith model fetch && kith model convert)"));
    println!(
        "encoder {path}, {} threads available",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let mut singles = Vec::new();
    for mode in [
        WeightMode::Quantized,
        WeightMode::Dequantized,
        WeightMode::Int8,
    ] {
        let t0 = Instant::now();
        let enc = Encoder::from_gguf_bytes_with(&bytes, mode).expect("load");
        let load_ms = t0.elapsed().as_secs_f64() * 1e3;
        for s in SENTENCES.iter().cycle().take(50) {
            enc.embed(s).expect("embed");
        }
        let single: Vec<f64> = SENTENCES
            .iter()
            .cycle()
            .take(400)
            .map(|s| {
                let t = Instant::now();
                enc.embed(s).expect("embed");
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let batch: Vec<&str> = SENTENCES.iter().cycle().take(32).copied().collect();
        let batches: Vec<f64> = (0..10)
            .map(|_| {
                let t = Instant::now();
                enc.embed_batch(&batch).expect("embed");
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let tokens = enc.token_ids(SENTENCES[0]).map(|t| t.len()).unwrap_or(0);
        let s = median(single);
        singles.push(s);
        println!(
            "{mode:?}: load {load_ms:.1} ms; single sentence (~{tokens} tokens) median {s:.2} ms; batch of 32 median {:.1} ms",
            median(batches)
        );
    }
    println!(
        "single-sentence ratios: Dequantized/Quantized = {:.2}, Int8/Quantized = {:.2}",
        singles[1] / singles[0],
        singles[2] / singles[0]
    );
}
