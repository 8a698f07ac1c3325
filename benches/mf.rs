//! MF speed in one run: fold-in of a new user from a few picks, and scoring
//! plus top-10 over a goodbooks-sized catalog (10,000 items × 64 dims), and
//! one weighted-ALS iteration on a goodbooks-sized matrix (53,424 users ×
//! 10,000 items, 600,000 positives, long-tailed item popularity) at the
//! dimensions the build's search tries.
//!
//!     cargo bench --bench mf            # everything
//!     cargo bench --bench mf -- als     # ALS only

use std::time::Instant;

use kith::core::interactions::{rng, SparseMatrix};
use kith::core::mf::als::{self, AlsParams};
use kith::core::mf::{top_k, MfModel};
use rand::Rng;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let als_only = std::env::args().any(|a| a == "als");
    if !als_only {
        serving();
    }
    als_iteration();
}

/// Seconds for one ALS iteration (both half steps), per dimension.
fn als_iteration() {
    let (users, items, nnz) = (53_424usize, 10_000usize, 600_000usize);
    let mut r = rng(7);
    // Item popularity ∝ 1/(rank + 10): a long tail like real catalogs'.
    let weights: Vec<f64> = (0..items).map(|i| 1.0 / (i as f64 + 10.0)).collect();
    let total: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(items);
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cdf.push(acc);
    }
    let triplets = (0..nnz).map(|k| {
        let u = (k % users) as u32;
        let x: f64 = r.random();
        let i = cdf.partition_point(|&c| c < x).min(items - 1) as u32;
        (u, i, 1.0f32)
    });
    let m = SparseMatrix::from_triplets(users, items, triplets.collect::<Vec<_>>());
    for dim in [64usize, 128, 256, 512] {
        let p = AlsParams {
            dim,
            iterations: 2,
            reg: 1.0,
            alpha: 10.0,
            ..AlsParams::default()
        };
        let t = Instant::now();
        let model = als::train(&m, &p, &mut |_, _| {}).expect("als");
        std::hint::black_box(model);
        println!(
            "ALS, {} users × {} items, {} positives, dim {dim}: {:.2} s per iteration",
            m.n_rows(),
            m.n_cols(),
            m.nnz(),
            t.elapsed().as_secs_f64() / p.iterations as f64
        );
    }
}

fn serving() {
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
