//! The text-to-MF bridge: a ridge regression from a text embedding to an MF
//! item's factors and bias.
//!
//! It serves both cold starts. An item nobody has rated gets factors from its
//! text, so the one MF scorer still ranks it; a visitor's sentence becomes a
//! virtual item that folds into their user vector like a liked book.

use serde::{Deserialize, Serialize};

use crate::core::embeddings::QuantizedEmbeddings;
use crate::core::mf::linalg::Symmetric;
use crate::core::mf::MfModel;

/// How far an item's factors are trusted when fitting the bridge: the more
/// interactions trained them, the better they are known (0.2..1).
pub fn item_weight(interactions: u32) -> f32 {
    ((interactions as f32 + 1.0).ln() / 3.0).clamp(0.2, 1.0)
}

/// Fits the bridge on the items `use_item` accepts (and that have an
/// embedding), each weighted by [`item_weight`]; `None` when there is none.
pub fn fit_items(
    embeddings: &QuantizedEmbeddings,
    mf: &MfModel,
    interactions: &[u32],
    use_item: &dyn Fn(usize) -> bool,
    lambda: f32,
) -> Result<Option<Bridge>, BridgeError> {
    let n = mf.n_items().min(embeddings.len()).min(interactions.len());
    let rows: Vec<(Vec<f32>, usize)> = (0..n)
        .filter(|&i| use_item(i))
        .filter_map(|i| embeddings.row(i).map(|r| (r, i)))
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let fit: Vec<(&[f32], &[f32], f32, f32)> = rows
        .iter()
        .map(|(e, i)| {
            (
                e.as_slice(),
                mf.item(*i as u32),
                mf.item_bias[*i],
                item_weight(interactions[*i]),
            )
        })
        .collect();
    Bridge::fit(embeddings.dim(), mf.dim, lambda, &fit).map(Some)
}

/// Why a bridge could not be fitted or used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BridgeError {
    /// Inputs disagree in length.
    #[error("bridge shape mismatch: {0}")]
    Shape(String),
    /// Nothing to fit on.
    #[error("the bridge needs at least one training item")]
    Empty,
    /// The regularised system could not be solved (λ must be > 0).
    #[error("bridge system is not positive definite (lambda must be > 0)")]
    NotPositiveDefinite,
}

/// A linear map W: [embedding, 1] → [factors, bias].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bridge {
    /// Input (text embedding) dimension.
    pub text_dim: usize,
    /// Output MF dimension (the bias is one more output).
    pub mf_dim: usize,
    /// The ridge penalty it was fitted with.
    pub lambda: f32,
    /// Row-major `(text_dim + 1) × (mf_dim + 1)`; the last input row is the
    /// intercept, the last output column the bias.
    pub weights: Vec<f32>,
}

impl Bridge {
    /// Fits W = (XᵀX + λI)⁻¹ XᵀY over items given as (embedding, factors,
    /// bias), each weighted (for example by how well its factors are known).
    pub fn fit(
        text_dim: usize,
        mf_dim: usize,
        lambda: f32,
        items: &[(&[f32], &[f32], f32, f32)],
    ) -> Result<Bridge, BridgeError> {
        if items.is_empty() {
            return Err(BridgeError::Empty);
        }
        if lambda.is_nan() || lambda <= 0.0 {
            return Err(BridgeError::NotPositiveDefinite);
        }
        let n_in = text_dim + 1;
        let n_out = mf_dim + 1;
        let mut xtx = Symmetric::zeros(n_in);
        let mut xty = vec![0f64; n_in * n_out];
        let mut x = vec![0f32; n_in];
        for (k, &(emb, factors, bias, weight)) in items.iter().enumerate() {
            if emb.len() != text_dim || factors.len() != mf_dim {
                return Err(BridgeError::Shape(format!(
                    "item {k}: embedding {} (want {text_dim}), factors {} (want {mf_dim})",
                    emb.len(),
                    factors.len()
                )));
            }
            if !(weight >= 0.0 && weight.is_finite()) {
                return Err(BridgeError::Shape(format!("item {k}: invalid weight")));
            }
            x[..text_dim].copy_from_slice(emb);
            x[text_dim] = 1.0;
            xtx.add_outer(&x, weight);
            for (r, &xr) in x.iter().enumerate() {
                let row = &mut xty[r * n_out..(r + 1) * n_out];
                let wx = (weight * xr) as f64;
                for (o, &f) in row.iter_mut().zip(factors) {
                    *o += wx * f as f64;
                }
                row[mf_dim] += wx * bias as f64;
            }
        }
        xtx.add_diagonal(lambda);
        let chol = xtx.cholesky().ok_or(BridgeError::NotPositiveDefinite)?;
        let mut weights = vec![0f32; n_in * n_out];
        let mut rhs = vec![0f32; n_in];
        for o in 0..n_out {
            for r in 0..n_in {
                rhs[r] = xty[r * n_out + o] as f32;
            }
            let col = chol.solve(&rhs);
            for r in 0..n_in {
                weights[r * n_out + o] = col[r];
            }
        }
        Ok(Bridge {
            text_dim,
            mf_dim,
            lambda,
            weights,
        })
    }

    /// Checks a stored bridge's shape.
    pub fn validate(&self) -> Result<(), BridgeError> {
        let expected = self
            .text_dim
            .checked_add(1)
            .zip(self.mf_dim.checked_add(1))
            .and_then(|(a, b)| a.checked_mul(b));
        if expected != Some(self.weights.len()) {
            return Err(BridgeError::Shape(format!(
                "{} weights for a {}→{} bridge",
                self.weights.len(),
                self.text_dim,
                self.mf_dim
            )));
        }
        if self.weights.iter().any(|w| !w.is_finite()) {
            return Err(BridgeError::Shape("non-finite weight".into()));
        }
        Ok(())
    }

    /// The predicted MF factors and bias of a text embedding.
    pub fn predict(&self, embedding: &[f32]) -> Result<(Vec<f32>, f32), BridgeError> {
        if embedding.len() != self.text_dim {
            return Err(BridgeError::Shape(format!(
                "embedding has {} values, the bridge takes {}",
                embedding.len(),
                self.text_dim
            )));
        }
        let n_out = self.mf_dim + 1;
        // Start from the intercept row, then add each input's row.
        let mut out: Vec<f32> = self.weights[self.text_dim * n_out..].to_vec();
        for (r, &x) in embedding.iter().enumerate() {
            if x != 0.0 {
                crate::core::vectors::axpy(x, &self.weights[r * n_out..(r + 1) * n_out], &mut out);
            }
        }
        let bias = out.pop().unwrap_or(0.0);
        Ok((out, bias))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_linear_map() {
        // factors = [2·e0, −e1], bias = 0.5 + e0
        let embs: Vec<Vec<f32>> = (0..40)
            .map(|k| {
                let a = k as f32 * 0.37;
                vec![a.sin(), a.cos()]
            })
            .collect();
        let targets: Vec<(Vec<f32>, f32)> = embs
            .iter()
            .map(|e| (vec![2.0 * e[0], -e[1]], 0.5 + e[0]))
            .collect();
        let items: Vec<(&[f32], &[f32], f32, f32)> = embs
            .iter()
            .zip(&targets)
            .map(|(e, (f, b))| (e.as_slice(), f.as_slice(), *b, 1.0))
            .collect();
        let br = Bridge::fit(2, 2, 1e-4, &items).unwrap();
        br.validate().unwrap();
        let (f, b) = br.predict(&[0.6, 0.8]).unwrap();
        assert!(
            (f[0] - 1.2).abs() < 1e-2 && (f[1] + 0.8).abs() < 1e-2,
            "{f:?}"
        );
        assert!((b - 1.1).abs() < 1e-2, "{b}");
        assert!(br.predict(&[1.0]).is_err());
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(Bridge::fit(2, 1, 1.0, &[]), Err(BridgeError::Empty));
        let e = [1.0f32, 0.0];
        let f = [1.0f32];
        assert_eq!(
            Bridge::fit(2, 1, 0.0, &[(&e, &f, 0.0, 1.0)]),
            Err(BridgeError::NotPositiveDefinite)
        );
        assert!(Bridge::fit(3, 1, 1.0, &[(&e, &f, 0.0, 1.0)]).is_err());
        let mut b = Bridge::fit(2, 1, 1.0, &[(&e, &f, 0.0, 1.0)]).unwrap();
        b.weights.pop();
        assert!(b.validate().is_err());
    }
}
