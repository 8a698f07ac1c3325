//! MF speed in one run: fold-in of a new user from a few picks, and scoring
//! plus top-10 over a goodbooks-sized catalog (10,000 items × 64 dims).
//!
//!     cargo bench --bench mf

use std::time::Instant;

use kith::interactions::rng;
use kith::mf::{top_k, MfModel};
use rand::Rng;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let (n, d) = (10_000usize, 64usize);
    let mut r = rng(1);
    let factors: Vec<f32> = (0..n * d).map(|_| r.random::<f32>() - 0.5).collect();
    let model = MfModel::from_items(d, factors, vec![0.0; n]).expect("model");
    let t = Instant::now();
    let gram = model.gram();
    println!(
        "gram (once per model): {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    for picks in [1usize, 5, 20] {
        let liked: Vec<u32> = (0..picks as u32).map(|i| i * 37).collect();
        let times: Vec<f64> = (0..200)
            .map(|_| {
                let t = Instant::now();
                let u = model.fold_in(&gram, &liked, &[7]).expect("fold-in");
                std::hint::black_box(u);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        println!(
            "fold-in from {picks} likes + 1 dislike: median {:.3} ms",
            median(times)
        );
    }
    let user = model.fold_in(&gram, &[1, 2, 3], &[]).expect("fold-in");
    let mut scores = Vec::new();
    let times: Vec<f64> = (0..200)
        .map(|_| {
            let t = Instant::now();
            model.score_all(&user, &mut scores).expect("score");
            std::hint::black_box(top_k(&scores, 10, &[1, 2, 3]));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    println!("score {n} items + top-10: median {:.3} ms", median(times));
}
