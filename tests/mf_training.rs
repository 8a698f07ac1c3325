//! BPR, weighted ALS and fold-in on a small synthetic problem whose answer is
//! known: two taste groups, each liking its own block of items.

use kith::core::interactions::SparseMatrix;
use kith::core::mf::als::{self, AlsParams};
use kith::core::mf::bpr::{self, BprParams};
use kith::core::mf::{top_k, MfModel};

const USERS: u32 = 40;
const ITEMS: u32 = 40;

/// Users 0..20 like a random 60% of items 0..20; users 20..40 of items 20..40.
fn two_groups() -> SparseMatrix {
    let mut t = Vec::new();
    for u in 0..USERS {
        let base = if u < USERS / 2 { 0 } else { ITEMS / 2 };
        for k in 0..ITEMS / 2 {
            // A fixed pseudo-random pattern so each user misses some block items.
            if (u * 7 + k * 13) % 5 < 3 {
                t.push((u, base + k, 1.0));
            }
        }
    }
    SparseMatrix::from_triplets(USERS as usize, ITEMS as usize, t)
}

/// ALS settings for this 40 × 40 problem: the defaults are MovieLens 100K's
/// (a constant λ = 28 against 1,682 items), far too strong for 40 items; λ
/// that grows with a row's weight (ν = 1) suits any size.
fn small_problem_als() -> AlsParams {
    AlsParams {
        reg: 0.03,
        alpha: 10.0,
        reg_exponent: 1.0,
        ..AlsParams::default()
    }
}

fn in_block(u: u32, i: u32) -> bool {
    (u < USERS / 2) == (i < ITEMS / 2)
}

/// Every user's top-5 unseen items come from their own block.
fn assert_recovers_blocks(m: &MfModel, data: &SparseMatrix) {
    let mut scores = Vec::new();
    for u in 0..USERS {
        m.score_all(&m.user(u as usize).unwrap(), &mut scores)
            .unwrap();
        let top = top_k(&scores, 5, data.row(u as usize));
        for (i, _) in top {
            assert!(
                in_block(u, i),
                "user {u} was recommended item {i} outside its block"
            );
        }
    }
}

fn quiet() -> impl FnMut(usize, usize) {
    |_, _| {}
}

#[test]
fn bpr_recovers_the_block_structure() {
    let data = two_groups();
    let p = BprParams {
        dim: 8,
        epochs: 60,
        ..BprParams::default()
    };
    let m = bpr::train(&data, &p, &mut quiet()).unwrap();
    assert_recovers_blocks(&m, &data);
}

#[test]
fn als_recovers_the_block_structure() {
    let data = two_groups();
    let p = AlsParams {
        dim: 8,
        ..small_problem_als()
    };
    let m = als::train(&data, &p, &mut quiet()).unwrap();
    assert_recovers_blocks(&m, &data);
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let data = two_groups();
    let p = BprParams {
        dim: 4,
        epochs: 5,
        ..BprParams::default()
    };
    let a = bpr::train(&data, &p, &mut quiet()).unwrap();
    let b = bpr::train(&data, &p, &mut quiet()).unwrap();
    assert_eq!(a, b);
    let c = bpr::train(&data, &BprParams { seed: 7, ..p }, &mut quiet()).unwrap();
    assert_ne!(a.item_factors, c.item_factors);

    let q = AlsParams {
        dim: 4,
        iterations: 3,
        ..small_problem_als()
    };
    let x = als::train(&data, &q, &mut quiet()).unwrap();
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let y = one_thread.install(|| als::train(&data, &q, &mut quiet()).unwrap());
    assert_eq!(x, y, "ALS gives the same factors on any number of threads");
}

#[test]
fn fold_in_of_a_new_user_recommends_their_block() {
    let data = two_groups();
    for m in [
        bpr::train(
            &data,
            &BprParams {
                dim: 8,
                ..BprParams::default()
            },
            &mut quiet(),
        )
        .unwrap(),
        als::train(
            &data,
            &AlsParams {
                dim: 8,
                ..small_problem_als()
            },
            &mut quiet(),
        )
        .unwrap(),
    ] {
        let g = m.gram();
        // A newcomer who liked three items of the second block.
        let liked = [21, 25, 30];
        let u = m.fold_in(&g, &liked, &[]).unwrap();
        let mut scores = Vec::new();
        m.score_all(&u, &mut scores).unwrap();
        for (i, _) in top_k(&scores, 5, &liked) {
            assert!(
                i >= ITEMS / 2,
                "fold-in recommended item {i} from the wrong block"
            );
        }
        // Disliking an item pushes it below where a like alone put it.
        let with_dislike = m.fold_in(&g, &liked, &[22]).unwrap();
        assert!(m.score(&with_dislike, 22).unwrap() < m.score(&u, 22).unwrap());
    }
}

#[test]
fn als_fold_in_matches_the_trained_user_vector() {
    // Fold-in solves the very least-squares problem an ALS user step solves;
    // with enough CG steps the trained vector is that solution.
    let data = two_groups();
    let p = AlsParams {
        dim: 6,
        iterations: 10,
        cg_steps: 20,
        ..small_problem_als()
    };
    let m = als::train(&data, &p, &mut quiet()).unwrap();
    let g = m.gram();
    for u in [0usize, 17, 33] {
        let folded = m.fold_in(&g, data.row(u), &[]).unwrap();
        let trained = m.user(u).unwrap();
        // The last half-step updated items after users, so compare rankings.
        let (mut a, mut b) = (Vec::new(), Vec::new());
        m.score_all(&folded, &mut a).unwrap();
        m.score_all(&trained, &mut b).unwrap();
        let ta: Vec<u32> = top_k(&a, 5, data.row(u)).into_iter().map(|x| x.0).collect();
        let tb: Vec<u32> = top_k(&b, 5, data.row(u)).into_iter().map(|x| x.0).collect();
        let common = ta.iter().filter(|i| tb.contains(i)).count();
        assert!(common >= 4, "user {u}: fold-in {ta:?} vs trained {tb:?}");
    }
}

#[test]
fn invalid_parameters_are_errors_not_panics() {
    let data = two_groups();
    assert!(bpr::train(
        &data,
        &BprParams {
            dim: 0,
            ..BprParams::default()
        },
        &mut quiet()
    )
    .is_err());
    assert!(als::train(
        &data,
        &AlsParams {
            reg: 0.0,
            ..small_problem_als()
        },
        &mut quiet()
    )
    .is_err());
    let empty = SparseMatrix::from_triplets(3, 3, vec![]);
    let m = bpr::train(
        &empty,
        &BprParams {
            dim: 2,
            ..BprParams::default()
        },
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(m.n_items(), 3);
}
