//! The few dense linear-algebra kernels MF serving needs (a d×d symmetric
//! system and its Cholesky solve; dot products are [`crate::core::vectors`]). A visitor's fold-in solves one
//! small system, so plain loops written for auto-vectorisation beat pulling in
//! a BLAS; the native trainer's block products use the `gemm` crate
//! ([`super::als`]).

use crate::core::vectors::{axpy, dot};

/// A dense symmetric d×d matrix (stored full, row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct Symmetric {
    dim: usize,
    data: Vec<f32>,
}

impl Symmetric {
    /// The d×d zero matrix.
    pub fn zeros(dim: usize) -> Self {
        Symmetric {
            dim,
            data: vec![0.0; dim * dim],
        }
    }

    /// Y^T Y for row-major rows of length `dim`, accumulated in f64 for accuracy.
    pub fn gram(rows: &[f32], dim: usize) -> Self {
        let mut acc = vec![0f64; dim * dim];
        for y in rows.chunks_exact(dim) {
            for i in 0..dim {
                let yi = y[i] as f64;
                if yi == 0.0 {
                    continue;
                }
                let row = &mut acc[i * dim..(i + 1) * dim];
                for j in i..dim {
                    row[j] += yi * y[j] as f64;
                }
            }
        }
        let mut data = vec![0f32; dim * dim];
        for i in 0..dim {
            for j in i..dim {
                let v = acc[i * dim + j] as f32;
                data[i * dim + j] = v;
                data[j * dim + i] = v;
            }
        }
        Symmetric { dim, data }
    }

    /// A matrix from its full row-major d×d values, which the caller keeps
    /// symmetric (the ALS trainer's GEMM-built Gram matrix).
    ///
    /// Panics if `data` is not d×d: callers compute it, it never comes from outside.
    pub fn from_full(dim: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), dim * dim, "a {dim}×{dim} matrix");
        Symmetric { dim, data }
    }

    /// The full row-major values.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Element (i, j).
    pub fn get(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.dim + j]
    }

    /// A += lambda·I.
    pub fn add_diagonal(&mut self, lambda: f32) {
        for i in 0..self.dim {
            self.data[i * self.dim + i] += lambda;
        }
    }

    /// A += w·x xᵀ.
    pub fn add_outer(&mut self, x: &[f32], w: f32) {
        for i in 0..self.dim {
            let s = w * x[i];
            axpy(s, x, &mut self.data[i * self.dim..(i + 1) * self.dim]);
        }
    }

    /// out = A·x.
    pub fn mul_vec(&self, x: &[f32], out: &mut [f32]) {
        for (i, o) in out.iter_mut().enumerate().take(self.dim) {
            *o = dot(&self.data[i * self.dim..(i + 1) * self.dim], x);
        }
    }

    /// Solves A·x = b by Cholesky in f64; `None` if A is not positive definite.
    pub fn solve(&self, b: &[f32]) -> Option<Vec<f32>> {
        if b.len() != self.dim {
            return None;
        }
        Some(self.cholesky()?.solve(b))
    }

    /// The Cholesky factor L (A = L·Lᵀ) in f64, for solving many right-hand
    /// sides against one matrix; `None` if A is not positive definite.
    pub fn cholesky(&self) -> Option<Cholesky> {
        let n = self.dim;
        let mut l = vec![0f64; n * n];
        for i in 0..n {
            for j in 0..=i {
                let mut s = self.data[i * n + j] as f64;
                for k in 0..j {
                    s -= l[i * n + k] * l[j * n + k];
                }
                if i == j {
                    if s <= 0.0 || !s.is_finite() {
                        return None;
                    }
                    l[i * n + i] = s.sqrt();
                } else {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        Some(Cholesky { n, l })
    }
}

/// A factored positive-definite matrix: solves cost O(n²) each.
#[derive(Debug, Clone)]
pub struct Cholesky {
    n: usize,
    l: Vec<f64>,
}

impl Cholesky {
    /// Solves A·x = b. `b` must have the matrix's dimension (missing values
    /// read as 0, extra ones are ignored).
    pub fn solve(&self, b: &[f32]) -> Vec<f32> {
        let (n, l) = (self.n, &self.l);
        let mut y = vec![0f64; n];
        for i in 0..n {
            let mut s = b.get(i).copied().unwrap_or(0.0) as f64;
            for k in 0..i {
                s -= l[i * n + k] * y[k];
            }
            y[i] = s / l[i * n + i];
        }
        let mut x = vec![0f64; n];
        for i in (0..n).rev() {
            let mut s = y[i];
            for k in i + 1..n {
                s -= l[k * n + i] * x[k];
            }
            x[i] = s / l[i * n + i];
        }
        x.into_iter().map(|v| v as f32).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gram_outer_and_solve() {
        // rows (1,2) and (3,4): YᵀY = [[10,14],[14,20]]
        let g = Symmetric::gram(&[1.0, 2.0, 3.0, 4.0], 2);
        assert_eq!(g.get(0, 0), 10.0);
        assert_eq!(g.get(0, 1), 14.0);
        assert_eq!(g.get(1, 0), 14.0);
        assert_eq!(g.get(1, 1), 20.0);
        let mut a = Symmetric::zeros(2);
        a.add_outer(&[1.0, 2.0], 1.0);
        a.add_outer(&[3.0, 4.0], 1.0);
        assert_eq!(a, g);
        a.add_diagonal(1.0);
        // [[11,14],[14,21]] x = [1,2]
        let x = a.solve(&[1.0, 2.0]).unwrap();
        let mut back = [0f32; 2];
        a.mul_vec(&x, &mut back);
        assert!((back[0] - 1.0).abs() < 1e-5 && (back[1] - 2.0).abs() < 1e-5);
        assert!(Symmetric::zeros(2).solve(&[1.0, 1.0]).is_none());
        assert!(a.solve(&[1.0]).is_none());
    }
}
