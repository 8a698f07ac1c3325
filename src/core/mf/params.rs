//! Weighted-ALS hyper-parameters: trained natively ([`super::als`]), but also
//! recorded in bundles (`bundle::MfChoice`), so the type lives in the core.

use serde::{Deserialize, Serialize};

/// Weighted-ALS hyper-parameters. Defaults were chosen on validation folds
/// of MovieLens 100K's training part (`kith tune --trainer als`, see docs/BENCHMARKS.md).
///
/// A field missing from a record (an older bundle's `mf_choice`) takes its
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlsParams {
    /// Latent dimensions.
    pub dim: usize,
    /// Alternations (one user half-step plus one item half-step each).
    pub iterations: usize,
    /// λ.
    pub reg: f32,
    /// α: an observed pair has confidence 1 + α.
    pub alpha: f32,
    /// ν: how strongly λ scales with a row's total weight (0 = constant λ).
    pub reg_exponent: f32,
    /// Conjugate-gradient steps per solve.
    pub cg_steps: usize,
    /// Seed for initialisation.
    pub seed: u64,
}

impl Default for AlsParams {
    /// MovieLens 100K's values: the best of 168 configurations on user-fold
    /// validation (`kith tune`, docs/BENCHMARKS.md §1).
    fn default() -> Self {
        AlsParams {
            dim: 48,
            iterations: 15,
            reg: 28.0,
            alpha: 2.0,
            reg_exponent: 0.0,
            cg_steps: 3,
            seed: 42,
        }
    }
}
