//! Who interacted with what: the sparse user × item matrix that MF trains on
//! and evaluation splits.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::core::catalog::ItemIdx;

/// Dense index of a user inside one data set (0..n_users).
pub type UserIdx = u32;

/// The seeded generator used everywhere Kith needs randomness: the same
/// stream on every platform (unlike `SmallRng`), so splits and training are
/// reproducible natively and in wasm.
pub type KithRng = Xoshiro256PlusPlus;

/// A seeded [`KithRng`].
pub fn rng(seed: u64) -> KithRng {
    KithRng::seed_from_u64(seed)
}

/// One observed interaction, already mapped to dense indices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The user.
    pub user: UserIdx,
    /// The item.
    pub item: ItemIdx,
    /// The explicit rating if the source has one, else 1.
    pub rating: f32,
    /// Seconds since the epoch, when the source records it.
    pub timestamp: Option<i64>,
}

/// All interactions of a data set, with the users' external ids.
#[derive(Debug, Clone, Default)]
pub struct Interactions {
    /// External user ids, indexed by [`UserIdx`].
    pub users: Vec<String>,
    /// Number of items in the catalog these interactions refer to.
    pub n_items: usize,
    /// One entry per distinct (user, item) pair.
    pub entries: Vec<Interaction>,
}

impl Interactions {
    /// The user × item matrix with each entry's rating as value.
    pub fn to_matrix(&self) -> SparseMatrix {
        SparseMatrix::from_triplets(
            self.users.len(),
            self.n_items,
            self.entries.iter().map(|e| (e.user, e.item, e.rating)),
        )
    }
}

/// A compressed-sparse-row matrix of f32 (rows: users, columns: items, or the
/// transpose). Column indices within a row are sorted and unique.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseMatrix {
    n_rows: usize,
    n_cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl SparseMatrix {
    /// Builds a matrix from (row, column, value) triplets. A repeated
    /// (row, column) keeps the largest value: callers that care about
    /// duplicates resolve them before and report it.
    ///
    /// Panics if a triplet lies outside `n_rows × n_cols`; loaders map ids to
    /// indices so this cannot come from outside input.
    pub fn from_triplets(
        n_rows: usize,
        n_cols: usize,
        triplets: impl IntoIterator<Item = (u32, u32, f32)>,
    ) -> Self {
        let mut t: Vec<(u32, u32, f32)> = triplets.into_iter().collect();
        t.sort_unstable_by_key(|a| (a.0, a.1));
        let mut indptr = vec![0usize; n_rows + 1];
        let mut indices = Vec::with_capacity(t.len());
        let mut values: Vec<f32> = Vec::with_capacity(t.len());
        let mut last: Option<(u32, u32)> = None;
        for (r, c, v) in t {
            assert!(
                (r as usize) < n_rows && (c as usize) < n_cols,
                "triplet ({r}, {c}) outside {n_rows}×{n_cols}"
            );
            if last == Some((r, c)) {
                if let Some(prev) = values.last_mut() {
                    *prev = prev.max(v);
                }
                continue;
            }
            last = Some((r, c));
            indptr[r as usize + 1] += 1;
            indices.push(c);
            values.push(v);
        }
        for i in 0..n_rows {
            indptr[i + 1] += indptr[i];
        }
        SparseMatrix {
            n_rows,
            n_cols,
            indptr,
            indices,
            values,
        }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// The column indices of one row, sorted.
    pub fn row(&self, r: usize) -> &[u32] {
        &self.indices[self.indptr[r]..self.indptr[r + 1]]
    }

    /// The values of one row, aligned with [`SparseMatrix::row`].
    pub fn row_values(&self, r: usize) -> &[f32] {
        &self.values[self.indptr[r]..self.indptr[r + 1]]
    }

    /// True when (r, c) is stored.
    pub fn contains(&self, r: usize, c: u32) -> bool {
        self.row(r).binary_search(&c).is_ok()
    }

    /// The transpose (items × users for a users × items matrix).
    pub fn transpose(&self) -> SparseMatrix {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for i in 0..self.n_cols {
            counts[i + 1] += counts[i];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0f32; self.nnz()];
        for r in 0..self.n_rows {
            for (k, &c) in self.row(r).iter().enumerate() {
                let pos = next[c as usize];
                next[c as usize] += 1;
                indices[pos] = r as u32;
                values[pos] = self.values[self.indptr[r] + k];
            }
        }
        SparseMatrix {
            n_rows: self.n_cols,
            n_cols: self.n_rows,
            indptr,
            indices,
            values,
        }
    }

    /// Number of stored entries in each column (item popularity for a
    /// users × items matrix).
    pub fn column_counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.n_cols];
        for &c in &self.indices {
            counts[c as usize] += 1;
        }
        counts
    }

    /// All (row, column, value) entries in row order.
    pub fn triplets(&self) -> impl Iterator<Item = (u32, u32, f32)> + '_ {
        (0..self.n_rows).flat_map(move |r| {
            self.row(r)
                .iter()
                .zip(self.row_values(r))
                .map(move |(&c, &v)| (r as u32, c, v))
        })
    }

    /// Splits every row at random into a train and a test part, holding out
    /// `test_fraction` of each row's entries (rounded; a row keeps at least
    /// one training entry). This is the standard per-user random split.
    pub fn split_per_row(&self, test_fraction: f64, seed: u64) -> (SparseMatrix, SparseMatrix) {
        self.split_per_row_holding_at_least(test_fraction, 0, seed)
    }

    /// [`SparseMatrix::split_per_row`], but every row with more than
    /// `at_least` entries holds out at least `at_least` of them. Validation
    /// uses one: a 10% share rounds to nothing below five entries, which
    /// would leave a sparse catalog's light users — most of its users, and
    /// the ones a test split of 25% does score — out of validation.
    pub fn split_per_row_holding_at_least(
        &self,
        test_fraction: f64,
        at_least: usize,
        seed: u64,
    ) -> (SparseMatrix, SparseMatrix) {
        let mut rng = rng(seed);
        let mut train = Vec::with_capacity(self.nnz());
        let mut test = Vec::new();
        let mut order: Vec<usize> = Vec::new();
        for r in 0..self.n_rows {
            let cols = self.row(r);
            let vals = self.row_values(r);
            order.clear();
            order.extend(0..cols.len());
            order.shuffle(&mut rng);
            let n_test = ((cols.len() as f64) * test_fraction).round() as usize;
            let n_test = n_test.max(at_least).min(cols.len().saturating_sub(1));
            for (k, &j) in order.iter().enumerate() {
                let t = (r as u32, cols[j], vals[j]);
                if k < n_test {
                    test.push(t);
                } else {
                    train.push(t);
                }
            }
        }
        (
            SparseMatrix::from_triplets(self.n_rows, self.n_cols, train),
            SparseMatrix::from_triplets(self.n_rows, self.n_cols, test),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> SparseMatrix {
        SparseMatrix::from_triplets(
            3,
            4,
            vec![(0, 3, 1.0), (0, 1, 2.0), (2, 0, 3.0), (0, 1, 5.0)],
        )
    }

    #[test]
    fn csr_rows_are_sorted_and_duplicates_keep_max() {
        let m = m();
        assert_eq!(m.nnz(), 3);
        assert_eq!(m.row(0), &[1, 3]);
        assert_eq!(m.row_values(0), &[5.0, 1.0]);
        assert_eq!(m.row(1), &[] as &[u32]);
        assert_eq!(m.row(2), &[0]);
        assert!(m.contains(0, 3));
        assert!(!m.contains(1, 3));
    }

    #[test]
    fn transpose_roundtrips() {
        let m = m();
        let t = m.transpose();
        assert_eq!(t.n_rows(), 4);
        assert_eq!(t.row(1), &[0]);
        assert_eq!(t.row(0), &[2]);
        assert_eq!(t.row_values(0), &[3.0]);
        assert_eq!(t.transpose(), m);
        assert_eq!(m.column_counts(), vec![1, 1, 0, 1]);
    }

    #[test]
    fn per_row_split_is_disjoint_complete_and_seeded() {
        let trip: Vec<_> = (0..10u32)
            .flat_map(|u| (0..20u32).map(move |i| (u, i, 1.0)))
            .collect();
        let m = SparseMatrix::from_triplets(10, 20, trip);
        let (tr, te) = m.split_per_row(0.25, 7);
        for u in 0..10 {
            assert_eq!(te.row(u).len(), 5);
            assert_eq!(tr.row(u).len(), 15);
            for c in te.row(u) {
                assert!(!tr.contains(u, *c));
            }
        }
        let (tr2, te2) = m.split_per_row(0.25, 7);
        assert_eq!((tr, te.clone()), (tr2, te2));
        let (_, te3) = m.split_per_row(0.25, 8);
        assert_ne!(te, te3);
    }

    #[test]
    fn a_single_interaction_stays_in_train() {
        let m = SparseMatrix::from_triplets(1, 3, vec![(0, 1, 1.0)]);
        let (tr, te) = m.split_per_row(0.5, 1);
        assert_eq!(tr.nnz(), 1);
        assert_eq!(te.nnz(), 0);
    }

    #[test]
    fn holding_at_least_one_reaches_light_rows_and_keeps_one_entry() {
        // Rows of 1, 2, 4 and 20 entries; 10% rounds to 0, 0, 0 and 2.
        let sizes = [1u32, 2, 4, 20];
        let trip: Vec<_> = sizes
            .iter()
            .enumerate()
            .flat_map(|(u, &n)| (0..n).map(move |i| (u as u32, i, 1.0)))
            .collect();
        let m = SparseMatrix::from_triplets(4, 20, trip);
        let (_, plain) = m.split_per_row(0.1, 3);
        assert_eq!(
            (0..4).map(|u| plain.row(u).len()).collect::<Vec<_>>(),
            [0, 0, 0, 2]
        );
        let (tr, te) = m.split_per_row_holding_at_least(0.1, 1, 3);
        assert_eq!(
            (0..4).map(|u| te.row(u).len()).collect::<Vec<_>>(),
            [0, 1, 1, 2]
        );
        assert_eq!(
            (0..4).map(|u| tr.row(u).len()).collect::<Vec<_>>(),
            [1, 1, 3, 18]
        );
        // The same draw as the plain split where the share already holds one.
        assert_eq!(te.row(3), plain.row(3));
    }
}
