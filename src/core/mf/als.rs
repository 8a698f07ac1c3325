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

use super::linalg::Symmetric;
pub use super::params::AlsParams;
use super::{FoldInParams, MfError, MfModel};
use crate::core::interactions::{rng, SparseMatrix};
use crate::core::vectors::{axpy, dot};

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

/// Rows solved together: their conjugate-gradient steps share one
/// matrix–matrix product with the Gram matrix (a cache-blocked GEMM with the
/// CPU's widest vector units) instead of one matrix–vector product per row,
/// which is what makes the large dimensions affordable within a build budget.
const BLOCK_ROWS: usize = 128;

/// Updates every row vector of `x` against fixed `y`, rows of `m` giving each
/// row's positives.
fn half_step(m: &SparseMatrix, x: &mut [f32], y: &[f32], p: &AlsParams) {
    let d = p.dim;
    let gram = gram(y, d);
    let n_cols = m.n_cols() as f32;
    x.par_chunks_mut(d * BLOCK_ROWS)
        .enumerate()
        .for_each(|(block, xb)| {
            let rows = Rows {
                m,
                first: block * BLOCK_ROWS,
                lambdas: (0..xb.len() / d)
                    .map(|k| row_reg(p, n_cols, m.row(block * BLOCK_ROWS + k).len()))
                    .collect(),
            };
            block_conjugate_gradient(&gram, y, &rows, p.alpha, p.cg_steps, xb);
        });
}

/// YᵀY for row-major rows of length `d`: partial products of a few thousand
/// rows by GEMM in f32, summed in f64 so a large catalog loses no precision.
fn gram(y: &[f32], d: usize) -> Symmetric {
    const CHUNK: usize = 4096;
    let acc = y
        .par_chunks(d * CHUNK)
        .map(|chunk| {
            let n = chunk.len() / d;
            let mut part = vec![0f32; d * d];
            // Yᵀ (d×n: row stride 1, column stride d) · Y (n×d).
            matmul(&mut part, (d, d, n), (chunk, 1, d), (chunk, d, 1));
            part.into_iter().map(f64::from).collect::<Vec<f64>>()
        })
        .reduce(
            || vec![0f64; d * d],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let mut full = vec![0f32; d * d];
    for i in 0..d {
        for j in 0..d {
            // Exactly symmetric whatever the summation order was.
            full[i * d + j] = (0.5 * (acc[i * d + j] + acc[j * d + i])) as f32;
        }
    }
    Symmetric::from_full(d, full)
}

/// out (n×d) = a (n×d) · G (d×d), row-major.
fn times_gram(a: &[f32], gram: &Symmetric, out: &mut [f32]) {
    let d = gram.dim();
    let n = a.len() / d;
    matmul(out, (n, d, d), (a, d, 1), (gram.as_slice(), d, 1));
}

/// out (m×n, row-major) = lhs (m×k) · rhs (k×n), each input a slice with
/// its (row, column) strides: the one place the unchecked GEMM is called,
/// with every index it will touch checked first.
fn matmul(
    out: &mut [f32],
    (m, n, k): (usize, usize, usize),
    lhs: (&[f32], usize, usize),
    rhs: (&[f32], usize, usize),
) {
    let reach = |rows: usize, cols: usize, rs: usize, cs: usize| {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs + 1
        }
    };
    assert!(
        out.len() >= m * n
            && lhs.0.len() >= reach(m, k, lhs.1, lhs.2)
            && rhs.0.len() >= reach(k, n, rhs.1, rhs.2)
    );
    // SAFETY: every element read or written lies inside its slice (checked
    // above); `out` is a distinct mutable slice, so it aliases neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.0.as_ptr(),
            lhs.2 as isize,
            lhs.1 as isize,
            rhs.0.as_ptr(),
            rhs.2 as isize,
            rhs.1 as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// The rows of one block: where they start in `m` and each one's λ.
struct Rows<'a> {
    m: &'a SparseMatrix,
    first: usize,
    lambdas: Vec<f32>,
}

/// A few CG steps per row on (G + λI + Σ α y_j y_jᵀ) x = Σ (1 + α) y_j over
/// the row's positives j, warm-started at x, for a block of rows at once.
/// Each row keeps its own step sizes, so the result is what solving the rows
/// one by one gives.
fn block_conjugate_gradient(
    gram: &Symmetric,
    y: &[f32],
    rows: &Rows,
    alpha: f32,
    steps: usize,
    x: &mut [f32],
) {
    let d = gram.dim();
    let n = x.len() / d;
    let item = |i: u32| &y[i as usize * d..(i as usize + 1) * d];
    // r = b − A x
    let mut r = vec![0f32; x.len()];
    times_gram(x, gram, &mut r);
    let mut rs_old = vec![0f32; n];
    for k in 0..n {
        let (xk, rk) = (&x[k * d..(k + 1) * d], &mut r[k * d..(k + 1) * d]);
        let lambda = rows.lambdas[k];
        for (v, xv) in rk.iter_mut().zip(xk) {
            *v = -*v - lambda * xv;
        }
        for &i in rows.m.row(rows.first + k) {
            let yi = item(i);
            axpy(1.0 + alpha - alpha * dot(yi, xk), yi, rk);
        }
        rs_old[k] = dot(rk, rk);
    }
    let mut p = r.clone();
    let mut ap = vec![0f32; x.len()];
    let mut active: Vec<bool> = rs_old.iter().map(|&v| v >= 1e-20).collect();
    for _ in 0..steps {
        if !active.iter().any(|&a| a) {
            break;
        }
        times_gram(&p, gram, &mut ap);
        for k in 0..n {
            if !active[k] {
                continue;
            }
            let span = k * d..(k + 1) * d;
            let (pk, apk) = (&mut p[span.clone()], &mut ap[span.clone()]);
            axpy(rows.lambdas[k], pk, apk);
            for &i in rows.m.row(rows.first + k) {
                let yi = item(i);
                axpy(alpha * dot(yi, pk), yi, apk);
            }
            let pap = dot(pk, apk);
            if pap.is_nan() || pap <= 0.0 {
                active[k] = false;
                continue;
            }
            let step = rs_old[k] / pap;
            let rk = &mut r[span.clone()];
            axpy(step, pk, &mut x[span]);
            axpy(-step, apk, rk);
            let rs_new = dot(rk, rk);
            let beta = rs_new / rs_old[k];
            for (pv, rv) in pk.iter_mut().zip(rk.iter()) {
                *pv = rv + beta * *pv;
            }
            rs_old[k] = rs_new;
            active[k] = rs_new >= 1e-20;
        }
    }
}

/// λ for a row with `n` positives among `n_cols` columns.
pub fn row_reg(p: &AlsParams, n_cols: f32, n: usize) -> f32 {
    if p.reg_exponent == 0.0 {
        p.reg
    } else {
        p.reg * (n_cols + p.alpha * n as f32).powf(p.reg_exponent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With as many CG steps as dimensions, a half step solves every row's
    /// system exactly: the blocked solver must agree with a direct Cholesky
    /// solve of the same system, row by row, across block boundaries and for
    /// rows with no positives.
    #[test]
    fn a_half_step_solves_each_rows_system() {
        let (n_rows, n_cols, d) = (BLOCK_ROWS * 2 + 37, 23, 6);
        let mut r = rng(3);
        let triplets: Vec<(u32, u32, f32)> = (0..n_rows as u32)
            .flat_map(|u| (0..n_cols as u32).map(move |i| (u, i)))
            .filter(|_| r.random::<f32>() < 0.2)
            .map(|(u, i)| (u, i, 1.0))
            .collect();
        let m = SparseMatrix::from_triplets(n_rows, n_cols, triplets);
        let mut r = rng(4);
        let y: Vec<f32> = (0..n_cols * d).map(|_| r.random::<f32>() - 0.5).collect();
        let p = AlsParams {
            dim: d,
            reg: 0.3,
            alpha: 4.0,
            reg_exponent: 0.5,
            cg_steps: 3 * d,
            ..AlsParams::default()
        };
        let mut x = vec![0.01f32; n_rows * d];
        half_step(&m, &mut x, &y, &p);
        let g = Symmetric::gram(&y, d);
        for u in 0..n_rows {
            let mut a = g.clone();
            a.add_diagonal(row_reg(&p, n_cols as f32, m.row(u).len()));
            let mut b = vec![0f32; d];
            for &i in m.row(u) {
                let yi = &y[i as usize * d..(i as usize + 1) * d];
                a.add_outer(yi, p.alpha);
                axpy(1.0 + p.alpha, yi, &mut b);
            }
            let exact = a.solve(&b).expect("positive definite");
            for (k, e) in exact.iter().enumerate() {
                let got = x[u * d + k];
                assert!((got - e).abs() < 1e-3, "row {u} dim {k}: {got} vs {e}");
            }
        }
    }

    /// The GEMM-built Gram matrix is YᵀY.
    #[test]
    fn the_gram_matrix_is_y_transpose_y() {
        let mut r = rng(5);
        let d = 5;
        let y: Vec<f32> = (0..9_000 * d).map(|_| r.random::<f32>() - 0.5).collect();
        let fast = gram(&y, d);
        let slow = Symmetric::gram(&y, d);
        for i in 0..d {
            for j in 0..d {
                assert!((fast.get(i, j) - slow.get(i, j)).abs() < 1e-2);
                assert_eq!(fast.get(i, j), fast.get(j, i));
            }
        }
    }
}
