//! A table of unit vectors stored as int8 with one scale per row: item and
//! tag embeddings shipped in the bundle at a quarter of their f32 size.
//!
//! Similarities are computed against an f32 query without dequantizing the
//! table, so scoring 10k items × 384 dimensions is one pass over 3.8 MB.

use serde::{Deserialize, Serialize};

/// Rows of int8 values, each with its own f32 scale (value ≈ q · scale).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuantizedEmbeddings {
    dim: usize,
    values: Vec<i8>,
    scales: Vec<f32>,
}

/// Why a table could not be assembled from raw parts.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EmbeddingsError {
    /// The value count is not rows × dim.
    #[error("embedding table shape mismatch: {values} values for {rows} rows of {dim}")]
    Shape {
        /// Values given.
        values: usize,
        /// Rows (scales) given.
        rows: usize,
        /// Declared dimension.
        dim: usize,
    },
    /// A row's length differs from the table's dimension.
    #[error("row {row} has {got} values, the table has {dim}")]
    RowLength {
        /// Which row.
        row: usize,
        /// Its length.
        got: usize,
        /// The table's dimension.
        dim: usize,
    },
    /// A scale is negative, NaN or infinite.
    #[error("row {0} has an invalid scale")]
    Scale(usize),
}

impl QuantizedEmbeddings {
    /// Quantizes f32 rows symmetrically (scale = max |x| / 127 per row).
    pub fn from_rows(dim: usize, rows: &[Vec<f32>]) -> Result<Self, EmbeddingsError> {
        let mut values = Vec::with_capacity(rows.len() * dim);
        let mut scales = Vec::with_capacity(rows.len());
        for (r, row) in rows.iter().enumerate() {
            if row.len() != dim {
                return Err(EmbeddingsError::RowLength {
                    row: r,
                    got: row.len(),
                    dim,
                });
            }
            let max = row
                .iter()
                .filter(|x| x.is_finite())
                .fold(0f32, |m, &x| m.max(x.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 0.0 };
            scales.push(scale);
            for &x in row {
                let q = if scale > 0.0 && x.is_finite() {
                    (x / scale).round().clamp(-127.0, 127.0) as i8
                } else {
                    0
                };
                values.push(q);
            }
        }
        Ok(QuantizedEmbeddings {
            dim,
            values,
            scales,
        })
    }

    /// A table from stored parts, validated.
    pub fn from_parts(
        dim: usize,
        values: Vec<i8>,
        scales: Vec<f32>,
    ) -> Result<Self, EmbeddingsError> {
        if scales.len().checked_mul(dim) != Some(values.len()) {
            return Err(EmbeddingsError::Shape {
                values: values.len(),
                rows: scales.len(),
                dim,
            });
        }
        if let Some(bad) = scales.iter().position(|s| !s.is_finite() || *s < 0.0) {
            return Err(EmbeddingsError::Scale(bad));
        }
        Ok(QuantizedEmbeddings {
            dim,
            values,
            scales,
        })
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.scales.len()
    }

    /// True when the table has no row.
    pub fn is_empty(&self) -> bool {
        self.scales.is_empty()
    }

    /// The int8 values, row-major.
    pub fn values(&self) -> &[i8] {
        &self.values
    }

    /// One scale per row.
    pub fn scales(&self) -> &[f32] {
        &self.scales
    }

    /// Row `r` dequantized (`None` when out of range).
    pub fn row(&self, r: usize) -> Option<Vec<f32>> {
        let s = *self.scales.get(r)?;
        Some(
            self.values[r * self.dim..(r + 1) * self.dim]
                .iter()
                .map(|&q| q as f32 * s)
                .collect(),
        )
    }

    /// Dot product of row `r` with an f32 query (0 when out of range or the
    /// query has the wrong length). Rows are unit vectors, so this is their
    /// cosine with a unit query.
    pub fn dot(&self, r: usize, query: &[f32]) -> f32 {
        match self.scales.get(r) {
            Some(&s) if query.len() == self.dim => {
                let row = &self.values[r * self.dim..(r + 1) * self.dim];
                let mut acc = [0f32; 8];
                let chunks = row.chunks_exact(8).zip(query.chunks_exact(8));
                for (a, b) in chunks {
                    for k in 0..8 {
                        acc[k] += a[k] as f32 * b[k];
                    }
                }
                let tail = self.dim - self.dim % 8;
                let mut sum: f32 = acc.iter().sum();
                for k in tail..self.dim {
                    sum += row[k] as f32 * query[k];
                }
                sum * s
            }
            _ => 0.0,
        }
    }

    /// Dot products of every row with a query, into `out`.
    pub fn dot_all(&self, query: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend((0..self.len()).map(|r| self.dot(r, query)));
    }

    /// Dot product of two rows (their cosine: rows are unit vectors).
    pub fn row_dot(&self, a: usize, b: usize) -> f32 {
        match (self.scales.get(a), self.scales.get(b)) {
            (Some(&sa), Some(&sb)) => {
                let ra = &self.values[a * self.dim..(a + 1) * self.dim];
                let rb = &self.values[b * self.dim..(b + 1) * self.dim];
                let s: i32 = ra.iter().zip(rb).map(|(&x, &y)| x as i32 * y as i32).sum();
                s as f32 * sa * sb
            }
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantization_keeps_cosines_close() {
        let a = vec![0.6f32, 0.8, 0.0];
        let b = vec![0.0f32, 0.6, 0.8];
        let t = QuantizedEmbeddings::from_rows(3, &[a.clone(), b.clone()]).unwrap();
        assert_eq!(t.len(), 2);
        assert!((t.dot(0, &a) - 1.0).abs() < 0.01);
        assert!((t.dot(1, &a) - 0.48).abs() < 0.01);
        assert!((t.row_dot(0, 1) - 0.48).abs() < 0.01);
        assert_eq!(t.dot(5, &a), 0.0, "out of range reads as no similarity");
        assert_eq!(t.dot(0, &[1.0]), 0.0, "wrong query length reads as none");
        let mut out = Vec::new();
        t.dot_all(&b, &mut out);
        assert_eq!(out.len(), 2);
        assert!((out[1] - 1.0).abs() < 0.01);
    }

    #[test]
    fn bad_shapes_and_values_are_errors() {
        assert!(QuantizedEmbeddings::from_rows(3, &[vec![1.0, 0.0]]).is_err());
        assert!(QuantizedEmbeddings::from_parts(2, vec![1, 2, 3], vec![1.0]).is_err());
        assert!(QuantizedEmbeddings::from_parts(1, vec![1], vec![f32::NAN]).is_err());
        let z = QuantizedEmbeddings::from_rows(2, &[vec![0.0, 0.0]]).unwrap();
        assert_eq!(z.row(0), Some(vec![0.0, 0.0]));
    }
}
