//! Item cold start, measured (native): hold a share of items out of MF
//! training entirely, give them factors from their text through the bridge,
//! and see how well the MF scorer ranks them for the users who chose them.
//!
//! Protocol: 10% of the items with interactions (seeded) are cold; ALS trains
//! on every interaction with the other items; for each user who chose a cold
//! item, the cold items alone are ranked with the user's trained vector and
//! the bridge's factors, and NDCG@K / HR@K count the cold items they chose.
//! The bridge's ridge penalty is chosen the same way on a validation split
//! of the warm items, never on the cold ones.

use rand::seq::SliceRandom;
use serde::Serialize;

use crate::core::bridge::{fit_items, BridgeError};
use crate::core::embeddings::QuantizedEmbeddings;
use crate::core::interactions::{rng, SparseMatrix};
use crate::core::mf::als::{self, AlsParams};
use crate::core::mf::{top_k, MfError, MfModel};
use crate::offline::metrics::user_accuracy;

/// Why the evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ColdStartError {
    /// Embeddings do not cover the items.
    #[error("the bundle has {got} item embeddings for {items} items (build it with the encoder, from the same data)")]
    Embeddings {
        /// Rows present.
        got: usize,
        /// Items in the data.
        items: usize,
    },
    /// Training failed.
    #[error(transparent)]
    Mf(#[from] MfError),
    /// The bridge failed.
    #[error(transparent)]
    Bridge(#[from] BridgeError),
}

/// One model's cold-item ranking quality.
#[derive(Debug, Clone, Serialize)]
pub struct ColdScore {
    /// Model name.
    pub name: String,
    /// NDCG@K over the cold items.
    pub ndcg: f64,
    /// HR@K over the cold items.
    pub hr: f64,
}

/// The evaluation's output.
#[derive(Debug, Clone, Serialize)]
pub struct ColdStartReport {
    /// Items held out of training.
    pub cold_items: usize,
    /// Users ranked (those who chose a cold item).
    pub users: usize,
    /// List length.
    pub k: usize,
    /// Validation NDCG per ridge penalty tried.
    pub validation: Vec<(f32, f64)>,
    /// The penalty chosen on validation.
    pub lambda: f32,
    /// Bridge-MF against the baselines on the test cold items.
    pub models: Vec<ColdScore>,
}

/// Items with interactions, split (seeded) into `share` cold and the rest warm.
fn split_items(m: &SparseMatrix, share: f64, seed: u64, among: &[bool]) -> (Vec<bool>, usize) {
    let counts = m.column_counts();
    let mut items: Vec<usize> = (0..m.n_cols())
        .filter(|&i| counts[i] > 0 && among[i])
        .collect();
    items.shuffle(&mut rng(seed));
    let n = ((items.len() as f64) * share).round() as usize;
    let mut cold = vec![false; m.n_cols()];
    for &i in &items[..n.min(items.len())] {
        cold[i] = true;
    }
    (cold, n)
}

/// The interactions with items where `keep` holds.
fn restrict(m: &SparseMatrix, keep: &[bool]) -> SparseMatrix {
    let t: Vec<(u32, u32, f32)> = m.triplets().filter(|(_, i, _)| keep[*i as usize]).collect();
    SparseMatrix::from_triplets(m.n_rows(), m.n_cols(), t)
}

/// Ranks the cold items for every user who chose one; returns (NDCG, HR, users).
fn rank_cold(
    cold: &[bool],
    relevant: &SparseMatrix,
    k: usize,
    score: &dyn Fn(usize, &mut Vec<f32>),
) -> (f64, f64, usize) {
    let n = cold.len();
    let not_cold: Vec<u32> = (0..n as u32).filter(|&i| !cold[i as usize]).collect();
    let (mut nd, mut hr, mut users) = (0f64, 0f64, 0usize);
    let mut s = Vec::with_capacity(n);
    for u in 0..relevant.n_rows() {
        let rel: Vec<u32> = relevant
            .row(u)
            .iter()
            .copied()
            .filter(|&i| cold[i as usize])
            .collect();
        if rel.is_empty() {
            continue;
        }
        score(u, &mut s);
        let list: Vec<u32> = top_k(&s, k, &not_cold).into_iter().map(|x| x.0).collect();
        let acc = user_accuracy(&list, &rel, k);
        nd += acc.ndcg;
        hr += acc.hit;
        users += 1;
    }
    let d = users.max(1) as f64;
    (nd / d, hr / d, users)
}

/// MF trained without the cold items, with the bridge filling their factors.
fn bridged_model(
    train: &SparseMatrix,
    cold: &[bool],
    emb: &QuantizedEmbeddings,
    als_params: &AlsParams,
    lambda: f32,
) -> Result<MfModel, ColdStartError> {
    let mut mf = als::train(train, als_params, &mut |_, _| {})?;
    fill_cold(&mut mf, train, cold, emb, lambda)?;
    Ok(mf)
}

fn fill_cold(
    mf: &mut MfModel,
    train: &SparseMatrix,
    cold: &[bool],
    emb: &QuantizedEmbeddings,
    lambda: f32,
) -> Result<(), ColdStartError> {
    let counts = train.column_counts();
    let Some(bridge) = fit_items(emb, mf, &counts, &|i| !cold[i] && counts[i] > 0, lambda)? else {
        return Ok(());
    };
    for (i, _) in cold.iter().enumerate().filter(|(_, c)| **c) {
        {
            if let Some(e) = emb.row(i) {
                let (f, b) = bridge.predict(&e)?;
                mf.item_factors[i * mf.dim..(i + 1) * mf.dim].copy_from_slice(&f);
                mf.item_bias[i] = b;
            }
        }
    }
    Ok(())
}

fn mf_scores(mf: &MfModel) -> impl Fn(usize, &mut Vec<f32>) + '_ {
    move |u, out| {
        if let Some(uv) = mf.user(u) {
            if mf.score_all(&uv, out).is_ok() {
                return;
            }
        }
        out.clear();
        out.resize(mf.n_items(), 0.0);
    }
}

/// The bridge penalties `kith build` tries: a log grid wide enough for
/// catalogs where text predicts factors well (small λ) and badly (large λ).
pub const BRIDGE_LAMBDAS: [f32; 7] = [1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0];

/// Chooses the bridge's ridge penalty among `lambdas` on pseudo-cold items:
/// 10% of the items with interactions in `data` are held out of an ALS fit,
/// given factors through the bridge, and ranked (NDCG@`k`) for the users who
/// chose them. Returns the best penalty and every (λ, NDCG) tried; with no
/// item to hold out, the first penalty.
pub fn choose_bridge_lambda(
    data: &SparseMatrix,
    emb: &QuantizedEmbeddings,
    als_params: &AlsParams,
    lambdas: &[f32],
    k: usize,
    seed: u64,
) -> Result<(f32, Vec<(f32, f64)>), ColdStartError> {
    let everyone = vec![true; data.n_cols()];
    let (val_cold, held) = split_items(data, 0.1, seed ^ 0xC01D, &everyone);
    let Some(&first) = lambdas.first() else {
        return Ok((1.0, Vec::new()));
    };
    if held == 0 {
        return Ok((first, Vec::new()));
    }
    let val_train = restrict(data, &val_cold.iter().map(|c| !c).collect::<Vec<_>>());
    let val_base = als::train(&val_train, als_params, &mut |_, _| {})?;
    let mut validation = Vec::new();
    for &l in lambdas {
        let mut m = val_base.clone();
        fill_cold(&mut m, &val_train, &val_cold, emb, l)?;
        let (nd, _, _) = rank_cold(&val_cold, data, k, &mf_scores(&m));
        validation.push((l, nd));
    }
    let lambda = validation
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(first, |x| x.0);
    Ok((lambda, validation))
}

/// Runs the protocol. `lambdas` are the bridge penalties tried on validation.
pub fn evaluate(
    full: &SparseMatrix,
    emb: &QuantizedEmbeddings,
    als_params: &AlsParams,
    lambdas: &[f32],
    k: usize,
    seed: u64,
) -> Result<ColdStartReport, ColdStartError> {
    if emb.len() != full.n_cols() {
        return Err(ColdStartError::Embeddings {
            got: emb.len(),
            items: full.n_cols(),
        });
    }
    let everyone = vec![true; full.n_cols()];
    let (cold, n_cold) = split_items(full, 0.1, seed, &everyone);
    let warm: Vec<bool> = cold.iter().map(|c| !c).collect();
    let warm_data = restrict(full, &warm);

    let (lambda, validation) = choose_bridge_lambda(&warm_data, emb, als_params, lambdas, k, seed)?;

    let mf = bridged_model(&warm_data, &cold, emb, als_params, lambda)?;
    let mut models = Vec::new();
    let (nd, hr, users) = rank_cold(&cold, full, k, &mf_scores(&mf));
    models.push(ColdScore {
        name: "bridge_mf".into(),
        ndcg: nd,
        hr,
    });

    // Text only: the user's mean training-item embedding against each item's.
    let text = |u: usize, out: &mut Vec<f32>| {
        let mut mean = vec![0f32; emb.dim()];
        for &i in warm_data.row(u) {
            if let Some(r) = emb.row(i as usize) {
                mean.iter_mut().zip(&r).for_each(|(a, b)| *a += b);
            }
        }
        emb.dot_all(&mean, out);
    };
    let (nd, hr, _) = rank_cold(&cold, full, k, &text);
    models.push(ColdScore {
        name: "text_similarity".into(),
        ndcg: nd,
        hr,
    });

    // Popularity of the cold items counted on the held-out interactions: an
    // oracle no real cold start has, shown as a reference.
    let counts: Vec<f32> = full.column_counts().iter().map(|&c| c as f32).collect();
    let (nd, hr, _) = rank_cold(&cold, full, k, &|_, out: &mut Vec<f32>| {
        out.clear();
        out.extend_from_slice(&counts);
    });
    models.push(ColdScore {
        name: "popularity_oracle".into(),
        ndcg: nd,
        hr,
    });

    let (nd, hr, _) = rank_cold(&cold, full, k, &|u, out: &mut Vec<f32>| {
        use rand::Rng;
        let mut r = rng(seed ^ (u as u64).wrapping_mul(0x9E37_79B9));
        out.clear();
        out.extend((0..counts.len()).map(|_| r.random::<f32>()));
    });
    models.push(ColdScore {
        name: "random".into(),
        ndcg: nd,
        hr,
    });

    Ok(ColdStartReport {
        cold_items: n_cold,
        users,
        k,
        validation,
        lambda,
        models,
    })
}
