//! Weighted alternating least squares for implicit feedback (Hu, Koren and
//! Volinsky, 2008), solved per user and per item with a few conjugate-gradient
//! steps warm-started from the previous iterate (Takács et al., 2011), as the
//! `implicit` library does. Users (and items) are independent within a half
//! step, so the result is the same on any number of threads.
//!
//! Objective: Σ_u,i c_ui (p_ui − x_u·y_i)² + Σ_u λ_u|x_u|² + Σ_i λ_i|y_i|²,
//! p_ui = 1 for observed pairs (confidence 1 + α) and 0 elsewhere
//! (confidence 1). Following Rendle et al. (2021, "Revisiting the performance of iALS"), a
//! row's λ grows with its total confidence weight w:
//! λ_u = λ·w_u^ν, w_u = n_items + α·|I_u|; ν = 0 is plain iALS.

use rand::Rng;
use rayon::prelude::*;

use super::linalg::{axpy, dot, Symmetric};
pub use super::params::AlsParams;
use super::{FoldInParams, MfError, MfModel};
use crate::interactions::{rng, SparseMatrix};

/// Trains weighted ALS on a users × items matrix (every stored entry is a
/// positive). `progress(done, total)` is called after each iteration.
pub fn train(
    m: &SparseMatrix,
    p: &AlsParams,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<MfModel, MfError> {
    if p.dim == 0 || p.reg.is_nan() || p.reg <= 0.0 || p.alpha < 0.0 || p.cg_steps == 0 {
        return Err(MfError::InvalidParameter(format!("{p:?}")));
    }
    let d = p.dim;
    let mut r = rng(p.seed);
    let scale = 0.01;
    let mut users: Vec<f32> = (0..m.n_rows() * d)
        .map(|_| r.random::<f32>() * scale)
        .collect();
    let mut items: Vec<f32> = (0..m.n_cols() * d)
        .map(|_| r.random::<f32>() * scale)
        .collect();
    let mt = m.transpose();
    for it in 0..p.iterations {
        half_step(m, &mut users, &items, p);
        half_step(&mt, &mut items, &users, p);
        progress(it + 1, p.iterations);
    }
    Ok(MfModel {
        dim: d,
        global_bias: 0.0,
        item_bias: vec![0.0; m.n_cols()],
        item_factors: items,
        user_bias: vec![0.0; m.n_rows()],
        user_factors: users,
        fold_in: FoldInParams {
            reg: p.reg,
            alpha: p.alpha,
            alpha_negative: p.alpha,
            reg_exponent: p.reg_exponent,
        },
    })
}

/// Updates every row vector of `x` against fixed `y`, rows of `m` giving each
/// row's positives.
fn half_step(m: &SparseMatrix, x: &mut [f32], y: &[f32], p: &AlsParams) {
    let d = p.dim;
    let gram = Symmetric::gram(y, d);
    let n_cols = m.n_cols() as f32;
    x.par_chunks_mut(d).enumerate().for_each_init(
        || (vec![0f32; d], vec![0f32; d], vec![0f32; d]),
        |(r, pv, ap), (row, xu)| {
            let cols = m.row(row);
            let lambda = row_reg(p, n_cols, cols.len());
            conjugate_gradient(&gram, lambda, y, cols, p.alpha, p.cg_steps, xu, r, pv, ap);
        },
    );
}

/// λ for a row with `n` positives among `n_cols` columns.
pub fn row_reg(p: &AlsParams, n_cols: f32, n: usize) -> f32 {
    if p.reg_exponent == 0.0 {
        p.reg
    } else {
        p.reg * (n_cols + p.alpha * n as f32).powf(p.reg_exponent)
    }
}

/// A few CG steps on (G + λI + Σ α y_j y_jᵀ) x = Σ (1 + α) y_j over the row's
/// positives j, warm-started at x.
#[allow(clippy::too_many_arguments)]
fn conjugate_gradient(
    gram: &Symmetric,
    lambda: f32,
    y: &[f32],
    cols: &[u32],
    alpha: f32,
    steps: usize,
    x: &mut [f32],
    r: &mut [f32],
    p: &mut [f32],
    ap: &mut [f32],
) {
    let d = x.len();
    // r = b − A x
    gram.mul_vec(x, r);
    for (v, xk) in r.iter_mut().zip(x.iter()) {
        *v = -*v - lambda * xk;
    }
    for &i in cols {
        let yi = &y[i as usize * d..(i as usize + 1) * d];
        axpy(1.0 + alpha - alpha * dot(yi, x), yi, r);
    }
    p.copy_from_slice(r);
    let mut rs_old = dot(r, r);
    for _ in 0..steps {
        if rs_old < 1e-20 {
            break;
        }
        gram.mul_vec(p, ap);
        axpy(lambda, p, ap);
        for &i in cols {
            let yi = &y[i as usize * d..(i as usize + 1) * d];
            axpy(alpha * dot(yi, p), yi, ap);
        }
        let pap = dot(p, ap);
        if pap.is_nan() || pap <= 0.0 {
            break;
        }
        let step = rs_old / pap;
        axpy(step, p, x);
        axpy(-step, ap, r);
        let rs_new = dot(r, r);
        let beta = rs_new / rs_old;
        for k in 0..d {
            p[k] = r[k] + beta * p[k];
        }
        rs_old = rs_new;
    }
}
