//! What the bundle's int8 MF factors cost in ranking quality: visitors made
//! from real users' ratings (five liked items folded in, the rest of their
//! liked items held out), ranked with the f32 factors of a version-1 bundle
//! and with the same factors stored as int8 (format 2, a quarter the size).
//! Prints recall@10 of the held-out items for both and the overlap of the
//! two top-10 lists.
//!
//!     cargo bench --bench bundle -- BUNDLE.kith [DATA_DIR]
//!
//! BUNDLE must be a version-1 bundle (f32 factors) for the comparison to mean
//! anything (a version-2 bundle's factors are int8 already); DATA_DIR is its
//! goodbooks folder (default data/goodbooks).

use std::collections::HashSet;
use std::path::PathBuf;

use kith::core::bundle::Bundle;
use kith::core::interactions::rng;
use kith::core::mf::{top_k, MfModel};
use kith::offline::build::{load, Format, LoadOptions};
use rand::seq::SliceRandom;

const PICKS: usize = 5;
const K: usize = 10;
const USERS: usize = 3000;

fn top(m: &MfModel, gram: &kith::core::mf::linalg::Symmetric, picks: &[u32]) -> Vec<u32> {
    let u = m.fold_in(gram, picks, &[]).expect("fold-in");
    let mut scores = Vec::new();
    m.score_all(&u, &mut scores).expect("scores");
    top_k(&scores, K, picks)
        .into_iter()
        .map(|(i, _)| i)
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let Some(path) = args.first().map(PathBuf::from) else {
        println!("give a version-1 bundle: cargo bench --bench bundle -- BUNDLE.kith [DATA_DIR]");
        return;
    };
    let data_dir = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| "data/goodbooks".into());
    let bytes = std::fs::read(&path).expect("bundle");
    let f32_bundle = Bundle::from_bytes(&bytes).expect("bundle loads");
    let int8_bundle = Bundle::from_bytes(&f32_bundle.to_bytes()).expect("re-encoded bundle loads");
    if f32_bundle.mf == int8_bundle.mf {
        println!(
            "note: {} stores int8 factors already; both columns are the same",
            path.display()
        );
    }
    let data = load(Format::Goodbooks, &data_dir, LoadOptions::default()).expect("data");
    // Dataset item index → bundle item index, by id.
    let to_bundle: Vec<Option<u32>> = data
        .catalog
        .items()
        .iter()
        .map(|it| f32_bundle.catalog.index_of(&it.id))
        .collect();
    let mut liked: Vec<Vec<u32>> = vec![Vec::new(); data.interactions.users.len()];
    for e in &data.interactions.entries {
        if e.rating >= 4.0 {
            if let Some(i) = to_bundle[e.item as usize] {
                liked[e.user as usize].push(i);
            }
        }
    }
    let mut r = rng(11);
    let mut users: Vec<usize> = (0..liked.len())
        .filter(|&u| liked[u].len() >= PICKS + 5)
        .collect();
    users.shuffle(&mut r);
    users.truncate(USERS);
    let (gf, gq) = (f32_bundle.mf.gram(), int8_bundle.mf.gram());
    let (mut hits_f, mut hits_q, mut overlap) = (0f64, 0f64, 0f64);
    for &u in &users {
        let mut items = liked[u].clone();
        items.shuffle(&mut r);
        let (picks, held) = items.split_at(PICKS);
        let held: HashSet<u32> = held.iter().copied().collect();
        let a = top(&f32_bundle.mf, &gf, picks);
        let b = top(&int8_bundle.mf, &gq, picks);
        let denom = held.len().min(K) as f64;
        hits_f += a.iter().filter(|i| held.contains(i)).count() as f64 / denom;
        hits_q += b.iter().filter(|i| held.contains(i)).count() as f64 / denom;
        overlap += a.iter().filter(|i| b.contains(i)).count() as f64 / K as f64;
    }
    let n = users.len() as f64;
    println!(
        "{} users, {PICKS} liked items folded in, the rest held out: recall@{K} f32 {:.4}, int8 {:.4} ({:+.2}%); top-{K} overlap {:.3}; MF section {:.2} MB → {:.2} MB",
        users.len(),
        hits_f / n,
        hits_q / n,
        100.0 * (hits_q - hits_f) / hits_f.max(1e-9),
        overlap / n,
        (f32_bundle.mf.item_factors.len() * 4 + f32_bundle.mf.item_bias.len() * 4) as f64 / 1e6,
        (f32_bundle.mf.item_factors.len() + f32_bundle.mf.item_bias.len() * 8) as f64 / 1e6,
    );
}
