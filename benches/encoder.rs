//! Native encoder speed: single-sentence latency and a batch of 32, for both
//! weight modes, in one run (compare the ratios, not absolute times).
//!
//!     cargo bench --bench encoder
//!
//! Needs `kith model fetch && kith model convert` first.

use std::time::Instant;

use kith::encoder::{Encoder, WeightMode};

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

fn main() {
    let path =
        std::env::var("KITH_ENCODER").unwrap_or_else(|_| "models/all-MiniLM-L6-v2.q8.gguf".into());
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
