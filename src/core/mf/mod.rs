//! The matrix-factorization scorer, r = mu + b_u + b_i + p_u·q_i, and fold-in
//! of a new user's vector from their picks.
//!
//! One scorer serves evaluation, the CLI and the browser, whichever trainer
//! produced the factors ([`bpr`] or [`als`]), so what is measured is what ships.

pub mod linalg;
pub mod params;

#[cfg(not(target_arch = "wasm32"))]
pub mod als;
#[cfg(not(target_arch = "wasm32"))]
pub mod bpr;

use serde::{Deserialize, Serialize};

use crate::core::catalog::ItemIdx;
use crate::core::vectors::dot;
use linalg::Symmetric;

/// Why an MF operation could not run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MfError {
    /// A vector or matrix had the wrong length for the model's dimension.
    #[error("shape mismatch: expected {expected} values, got {got}")]
    Shape {
        /// Expected length.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// An item index was outside the model.
    #[error("item index {0} is outside the model")]
    UnknownItem(ItemIdx),
    /// The fold-in system could not be solved (non-positive regularisation).
    #[error("fold-in system is not positive definite (regularisation must be > 0)")]
    NotPositiveDefinite,
    /// A parameter was outside its valid range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}

/// How a new user's vector is solved from their picks: the implicit-feedback
/// least-squares problem of weighted ALS, which any factors can be folded into.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FoldInParams {
    /// L2 regularisation of the user vector.
    pub reg: f32,
    /// Extra confidence of a liked item (confidence = 1 + alpha).
    pub alpha: f32,
    /// Extra confidence that a disliked item is not wanted.
    pub alpha_negative: f32,
    /// ν: λ grows as (n_items + alpha·picks)^ν, as in the ALS trainer.
    #[serde(default)]
    pub reg_exponent: f32,
}

impl FoldInParams {
    /// Checks that a fold-in can be solved with these parameters: a stored
    /// regularisation ≤ 0 or NaN would make every turn naming an item fail.
    pub fn validate(&self) -> Result<(), MfError> {
        let ok = |x: f32, lo: f32, hi: f32| x.is_finite() && x >= lo && x <= hi;
        if !(self.reg > 0.0 && ok(self.reg, 0.0, 1.0e6)) {
            return Err(MfError::InvalidParameter(format!(
                "fold-in regularisation {} must be in (0, 1e6]",
                self.reg
            )));
        }
        if !ok(self.alpha, 0.0, 1.0e6) || !ok(self.alpha_negative, 0.0, 1.0e6) {
            return Err(MfError::InvalidParameter(format!(
                "fold-in confidences {} / {} must be in [0, 1e6]",
                self.alpha, self.alpha_negative
            )));
        }
        if !ok(self.reg_exponent, 0.0, 2.0) {
            return Err(MfError::InvalidParameter(format!(
                "fold-in regularisation exponent {} must be in [0, 2]",
                self.reg_exponent
            )));
        }
        Ok(())
    }
}

impl Default for FoldInParams {
    fn default() -> Self {
        FoldInParams {
            reg: 0.1,
            alpha: 10.0,
            alpha_negative: 10.0,
            reg_exponent: 0.0,
        }
    }
}

/// Trained factors and biases: everything needed to score items for a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfModel {
    /// Number of latent dimensions.
    pub dim: usize,
    /// mu: the global offset.
    pub global_bias: f32,
    /// b_i per item.
    pub item_bias: Vec<f32>,
    /// q_i per item, row-major `n_items × dim`.
    pub item_factors: Vec<f32>,
    /// b_u per training user (may be empty in a shipped bundle).
    pub user_bias: Vec<f32>,
    /// p_u per training user, row-major (may be empty in a shipped bundle).
    pub user_factors: Vec<f32>,
    /// How new users are folded in against these factors.
    pub fold_in: FoldInParams,
}

/// A user's position in factor space: p_u and b_u.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserVector {
    /// p_u.
    pub factors: Vec<f32>,
    /// b_u.
    pub bias: f32,
}

impl MfModel {
    /// A model from item factors alone (for example trained elsewhere);
    /// checks that lengths agree.
    pub fn from_items(
        dim: usize,
        item_factors: Vec<f32>,
        item_bias: Vec<f32>,
    ) -> Result<Self, MfError> {
        if dim == 0 {
            return Err(MfError::InvalidParameter("dim must be > 0".into()));
        }
        if item_factors.len() != item_bias.len() * dim {
            return Err(MfError::Shape {
                expected: item_bias.len() * dim,
                got: item_factors.len(),
            });
        }
        Ok(MfModel {
            dim,
            global_bias: 0.0,
            item_bias,
            item_factors,
            user_bias: Vec::new(),
            user_factors: Vec::new(),
            fold_in: FoldInParams::default(),
        })
    }

    /// Number of items the model scores.
    pub fn n_items(&self) -> usize {
        self.item_bias.len()
    }

    /// Number of training users whose vectors are kept.
    pub fn n_users(&self) -> usize {
        self.user_factors.len().checked_div(self.dim).unwrap_or(0)
    }

    /// q_i.
    pub fn item(&self, i: ItemIdx) -> &[f32] {
        let s = i as usize * self.dim;
        &self.item_factors[s..s + self.dim]
    }

    /// The stored vector of training user `u`, if kept.
    pub fn user(&self, u: usize) -> Option<UserVector> {
        let s = u * self.dim;
        let factors = self.user_factors.get(s..s + self.dim)?.to_vec();
        Some(UserVector {
            factors,
            bias: self.user_bias.get(u).copied().unwrap_or(0.0),
        })
    }

    /// Scores every item for a user into `out` (resized to `n_items`).
    pub fn score_all(&self, user: &UserVector, out: &mut Vec<f32>) -> Result<(), MfError> {
        if user.factors.len() != self.dim {
            return Err(MfError::Shape {
                expected: self.dim,
                got: user.factors.len(),
            });
        }
        let offset = self.global_bias + user.bias;
        out.clear();
        out.extend(
            self.item_factors
                .chunks_exact(self.dim)
                .zip(&self.item_bias)
                .map(|(q, b)| offset + b + dot(&user.factors, q)),
        );
        Ok(())
    }

    /// The model's score of one item for a user.
    pub fn score(&self, user: &UserVector, i: ItemIdx) -> Result<f32, MfError> {
        if i as usize >= self.n_items() {
            return Err(MfError::UnknownItem(i));
        }
        if user.factors.len() != self.dim {
            return Err(MfError::Shape {
                expected: self.dim,
                got: user.factors.len(),
            });
        }
        Ok(self.global_bias
            + user.bias
            + self.item_bias[i as usize]
            + dot(&user.factors, self.item(i)))
    }

    /// Y^T Y over all items: the fixed part of every fold-in system, computed
    /// once per model.
    pub fn gram(&self) -> Symmetric {
        Symmetric::gram(&self.item_factors, self.dim)
    }

    /// Solves a new user's vector from liked and disliked items in O(d³ + n·d²)
    /// for n picks, without retraining. `gram` is [`MfModel::gram`].
    ///
    /// The user bias is left at 0: it shifts every item equally and so never
    /// changes a ranking.
    pub fn fold_in(
        &self,
        gram: &Symmetric,
        liked: &[ItemIdx],
        disliked: &[ItemIdx],
    ) -> Result<UserVector, MfError> {
        let weighted: Vec<(ItemIdx, f32)> = liked
            .iter()
            .map(|&i| (i, 1.0))
            .chain(disliked.iter().map(|&i| (i, -1.0)))
            .collect();
        self.fold_in_weighted(gram, &weighted)
    }

    /// Fold-in with a signed strength per item: +1 a full like, −1 a full
    /// dislike, values between for softer evidence.
    pub fn fold_in_weighted(
        &self,
        gram: &Symmetric,
        picks: &[(ItemIdx, f32)],
    ) -> Result<UserVector, MfError> {
        let mut evidence = Vec::with_capacity(picks.len());
        for &(i, strength) in picks {
            if i as usize >= self.n_items() {
                return Err(MfError::UnknownItem(i));
            }
            evidence.push((self.item(i), strength));
        }
        self.fold_in_vectors(gram, &evidence)
    }

    /// Fold-in from evidence given as factor vectors with signed strengths:
    /// real items' q_i, or virtual items such as the bridge's image of a
    /// sentence ([`crate::core::bridge`]).
    pub fn fold_in_vectors(
        &self,
        gram: &Symmetric,
        evidence: &[(&[f32], f32)],
    ) -> Result<UserVector, MfError> {
        let p = self.fold_in;
        if p.reg.is_nan() || p.reg <= 0.0 || p.alpha < 0.0 || p.alpha_negative < 0.0 {
            return Err(MfError::NotPositiveDefinite);
        }
        if gram.dim() != self.dim {
            return Err(MfError::Shape {
                expected: self.dim,
                got: gram.dim(),
            });
        }
        let mut a = gram.clone();
        let weight = self.n_items() as f32 + p.alpha * evidence.len() as f32;
        let lambda = if p.reg_exponent == 0.0 {
            p.reg
        } else {
            p.reg * weight.powf(p.reg_exponent)
        };
        a.add_diagonal(lambda);
        let mut b = vec![0f32; self.dim];
        for &(q, strength) in evidence {
            if q.len() != self.dim {
                return Err(MfError::Shape {
                    expected: self.dim,
                    got: q.len(),
                });
            }
            if !strength.is_finite() || q.iter().any(|x| !x.is_finite()) {
                return Err(MfError::InvalidParameter(
                    "non-finite fold-in evidence".into(),
                ));
            }
            if strength > 0.0 {
                let extra = p.alpha * strength;
                a.add_outer(q, extra);
                for (bk, &qk) in b.iter_mut().zip(q) {
                    *bk += (1.0 + extra) * qk;
                }
            } else if strength < 0.0 {
                a.add_outer(q, p.alpha_negative * -strength);
            }
        }
        let factors = a.solve(&b).ok_or(MfError::NotPositiveDefinite)?;
        Ok(UserVector { factors, bias: 0.0 })
    }
}

/// The `k` best-scoring indices, best first, skipping `exclude` (sorted).
/// NaN scores rank last; ties keep the lower index first.
pub fn top_k(scores: &[f32], k: usize, exclude: &[u32]) -> Vec<(ItemIdx, f32)> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[derive(PartialEq)]
    struct Entry(f32, Reverse<u32>);
    impl Eq for Entry {}
    impl PartialOrd for Entry {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Entry {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            let a = if self.0.is_nan() {
                f32::NEG_INFINITY
            } else {
                self.0
            };
            let b = if o.0.is_nan() { f32::NEG_INFINITY } else { o.0 };
            a.total_cmp(&b).then(self.1.cmp(&o.1))
        }
    }

    if k == 0 {
        return Vec::new();
    }
    // Min-heap of the best k seen so far.
    let mut heap: BinaryHeap<Reverse<Entry>> = BinaryHeap::with_capacity(k + 1);
    let mut ex = exclude.iter().peekable();
    for (i, &s) in scores.iter().enumerate() {
        let i = i as u32;
        while ex.peek().is_some_and(|&&e| e < i) {
            ex.next();
        }
        if ex.peek().is_some_and(|&&e| e == i) {
            continue;
        }
        let e = Entry(s, Reverse(i));
        if heap.len() < k {
            heap.push(Reverse(e));
        } else if let Some(Reverse(min)) = heap.peek() {
            if e > *min {
                heap.pop();
                heap.push(Reverse(e));
            }
        }
    }
    let mut out: Vec<Entry> = heap.into_iter().map(|Reverse(e)| e).collect();
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.into_iter().map(|Entry(s, Reverse(i))| (i, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_excludes_and_handles_nan() {
        let s = [0.1, 0.9, f32::NAN, 0.5, 0.9, 0.7];
        assert_eq!(top_k(&s, 3, &[]), vec![(1, 0.9), (4, 0.9), (5, 0.7)]);
        assert_eq!(top_k(&s, 2, &[1, 5]), vec![(4, 0.9), (3, 0.5)]);
        let all = top_k(&s, 10, &[]);
        assert_eq!(all.len(), 6);
        assert_eq!(all[5].0, 2); // NaN last
        assert!(top_k(&s, 0, &[]).is_empty());
        assert!(top_k(&[], 3, &[]).is_empty());
    }

    #[test]
    fn scorer_is_mu_plus_biases_plus_dot() {
        let mut m = MfModel::from_items(2, vec![1.0, 0.0, 0.0, 2.0], vec![0.5, -0.5]).unwrap();
        m.global_bias = 1.0;
        let u = UserVector {
            factors: vec![3.0, 1.0],
            bias: 0.25,
        };
        let mut out = Vec::new();
        m.score_all(&u, &mut out).unwrap();
        assert_eq!(out, vec![1.0 + 0.25 + 0.5 + 3.0, 1.0 + 0.25 - 0.5 + 2.0]);
        assert_eq!(m.score(&u, 1).unwrap(), out[1]);
        assert_eq!(m.score(&u, 2), Err(MfError::UnknownItem(2)));
        let bad = UserVector {
            factors: vec![1.0],
            bias: 0.0,
        };
        assert!(matches!(
            m.score_all(&bad, &mut out),
            Err(MfError::Shape { .. })
        ));
    }

    #[test]
    fn from_items_checks_shapes() {
        assert!(MfModel::from_items(2, vec![1.0; 3], vec![0.0; 2]).is_err());
        assert!(MfModel::from_items(0, vec![], vec![]).is_err());
    }

    #[test]
    fn fold_in_moves_towards_likes_and_away_from_dislikes() {
        // Three orthogonal-ish item directions.
        let m = MfModel::from_items(2, vec![1.0, 0.0, 0.9, 0.1, 0.0, 1.0], vec![0.0; 3]).unwrap();
        let g = m.gram();
        let u = m.fold_in(&g, &[0], &[]).unwrap();
        let mut s = Vec::new();
        m.score_all(&u, &mut s).unwrap();
        assert!(s[1] > s[2], "liking item 0 favours its neighbour 1: {s:?}");
        let v = m.fold_in(&g, &[0], &[1]).unwrap();
        m.score_all(&v, &mut s).unwrap();
        let before = m.score(&u, 1).unwrap();
        assert!(s[1] < before, "disliking item 1 lowers it");
        assert_eq!(m.fold_in(&g, &[7], &[]), Err(MfError::UnknownItem(7)));
        let empty = m.fold_in(&g, &[], &[]).unwrap();
        assert!(empty.factors.iter().all(|&x| x == 0.0));
    }
}
