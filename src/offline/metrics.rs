//! Offline quality measures for top-K recommendation lists: the accuracy
//! metrics the field reports, and beyond-accuracy measures (coverage,
//! diversity, novelty, concentration of exposure).
//!
//! Definitions (binary relevance; `rel` = a user's held-out items, `K` = list length):
//! - precision@K = hits / K; recall@K = hits / |rel|
//! - NDCG@K = DCG / IDCG, DCG = Σ 1/log2(rank+1) over hits, IDCG over min(|rel|, K) hits
//! - MAP@K: Σ precision@rank over hit ranks, divided by min(|rel|, K)
//! - HR@K = 1 if any hit; MRR@K = 1/rank of the first hit (0 if none in the list)
//! - coverage@K: distinct recommended items / catalog size
//! - ILD@K: mean pairwise cosine distance of the list's items' feature sets
//! - novelty@K: mean self-information −log2(p(i)), p(i) = users of i / users (unseen items count as 1 user)
//! - gini@K: Gini index of how often each catalog item is recommended (0 even, 1 concentrated)

use serde::{Deserialize, Serialize};

/// Accuracy of one user's list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct UserAccuracy {
    /// hits / K
    pub precision: f64,
    /// hits / |relevant|
    pub recall: f64,
    /// normalised discounted cumulative gain
    pub ndcg: f64,
    /// average precision, normalised by min(|relevant|, K)
    pub ap: f64,
    /// 1 if any relevant item is in the list
    pub hit: f64,
    /// reciprocal rank of the first relevant item
    pub rr: f64,
}

/// Scores one ranked list against a user's relevant items (`relevant` need not
/// be sorted). Lists shorter than `k` are scored as if padded with misses.
pub fn user_accuracy(ranked: &[u32], relevant: &[u32], k: usize) -> UserAccuracy {
    if relevant.is_empty() || k == 0 {
        return UserAccuracy::default();
    }
    let mut hits = 0usize;
    let mut dcg = 0.0;
    let mut ap = 0.0;
    let mut rr = 0.0;
    for (pos, item) in ranked.iter().take(k).enumerate() {
        if relevant.contains(item) {
            hits += 1;
            let rank = (pos + 1) as f64;
            dcg += 1.0 / (rank + 1.0).log2();
            ap += hits as f64 / rank;
            if rr == 0.0 {
                rr = 1.0 / rank;
            }
        }
    }
    let ideal = relevant.len().min(k);
    let idcg: f64 = (1..=ideal).map(|r| 1.0 / ((r as f64) + 1.0).log2()).sum();
    UserAccuracy {
        precision: hits as f64 / k as f64,
        recall: hits as f64 / relevant.len() as f64,
        ndcg: dcg / idcg,
        ap: ap / ideal as f64,
        hit: if hits > 0 { 1.0 } else { 0.0 },
        rr,
    }
}

/// Gini index of a non-negative distribution (0 = perfectly even, → 1 = all
/// mass on one element). Empty or all-zero input gives 0.
pub fn gini(values: &[u32]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().map(|&v| v as f64).sum();
    if n == 0 || total == 0.0 {
        return 0.0;
    }
    let mut sorted: Vec<u32> = values.to_vec();
    sorted.sort_unstable();
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, &v)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * v as f64)
        .sum();
    weighted / (n as f64 * total)
}

/// Binary feature sets per item (tags, genres, or the users who chose it),
/// used to measure how different the items in a list are.
#[derive(Debug, Clone, Default)]
pub struct ItemFeatures {
    sets: Vec<Vec<u32>>,
}

impl ItemFeatures {
    /// Wraps per-item feature ids; each set is sorted and deduplicated here.
    pub fn new(mut sets: Vec<Vec<u32>>) -> Self {
        for s in &mut sets {
            s.sort_unstable();
            s.dedup();
        }
        ItemFeatures { sets }
    }

    /// Cosine distance between two items' binary feature sets, or `None`
    /// when either item has no features (it says nothing about diversity).
    pub fn distance(&self, a: u32, b: u32) -> Option<f64> {
        let sa = self.sets.get(a as usize)?;
        let sb = self.sets.get(b as usize)?;
        if sa.is_empty() || sb.is_empty() {
            return None;
        }
        let (mut i, mut j, mut common) = (0, 0, 0usize);
        while i < sa.len() && j < sb.len() {
            match sa[i].cmp(&sb[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    common += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        Some(1.0 - common as f64 / ((sa.len() * sb.len()) as f64).sqrt())
    }

    /// Mean pairwise distance of a list, over the pairs where it is defined.
    pub fn intra_list_diversity(&self, list: &[u32]) -> Option<f64> {
        let mut sum = 0.0;
        let mut n = 0usize;
        for (x, &a) in list.iter().enumerate() {
            for &b in &list[x + 1..] {
                if let Some(d) = self.distance(a, b) {
                    sum += d;
                    n += 1;
                }
            }
        }
        (n > 0).then(|| sum / n as f64)
    }
}

/// Accumulates per-user lists into one [`MetricReport`].
#[derive(Debug, Clone)]
pub struct MetricAccumulator {
    k: usize,
    users: usize,
    acc: UserAccuracy,
    ild_sum: f64,
    ild_users: usize,
    novelty_sum: f64,
    novelty_items: usize,
    exposure: Vec<u32>,
}

/// One model's figures at K, averaged over evaluated users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricReport {
    /// List length the figures are at.
    pub k: usize,
    /// Users with at least one relevant item, who were scored.
    pub users: usize,
    /// Mean precision@K.
    pub precision: f64,
    /// Mean recall@K.
    pub recall: f64,
    /// Mean NDCG@K.
    pub ndcg: f64,
    /// Mean average precision@K.
    pub map: f64,
    /// Hit rate@K.
    pub hr: f64,
    /// Mean reciprocal rank@K.
    pub mrr: f64,
    /// Share of the catalog recommended to anyone.
    pub coverage: f64,
    /// Mean intra-list diversity.
    pub ild: f64,
    /// Mean self-information of recommended items, in bits.
    pub novelty: f64,
    /// Gini index of exposure across the catalog.
    pub gini: f64,
}

impl MetricAccumulator {
    /// An empty accumulator for lists of length `k` over `n_items` items.
    pub fn new(k: usize, n_items: usize) -> Self {
        MetricAccumulator {
            k,
            users: 0,
            acc: UserAccuracy::default(),
            ild_sum: 0.0,
            ild_users: 0,
            novelty_sum: 0.0,
            novelty_items: 0,
            exposure: vec![0; n_items],
        }
    }

    /// Adds one user's list. `popularity[i]` is the number of training users
    /// of item i and `n_users` their total, for novelty.
    pub fn add(
        &mut self,
        ranked: &[u32],
        relevant: &[u32],
        features: &ItemFeatures,
        popularity: &[u32],
        n_users: usize,
    ) {
        if relevant.is_empty() {
            return;
        }
        let list = &ranked[..ranked.len().min(self.k)];
        let a = user_accuracy(list, relevant, self.k);
        self.users += 1;
        self.acc.precision += a.precision;
        self.acc.recall += a.recall;
        self.acc.ndcg += a.ndcg;
        self.acc.ap += a.ap;
        self.acc.hit += a.hit;
        self.acc.rr += a.rr;
        if let Some(d) = features.intra_list_diversity(list) {
            self.ild_sum += d;
            self.ild_users += 1;
        }
        for &i in list {
            if let Some(e) = self.exposure.get_mut(i as usize) {
                *e += 1;
            }
            let users_of_i = popularity.get(i as usize).copied().unwrap_or(0).max(1) as f64;
            self.novelty_sum += -(users_of_i / n_users.max(1) as f64).log2();
            self.novelty_items += 1;
        }
    }

    /// Merges another accumulator (from a parallel worker) into this one.
    pub fn merge(&mut self, other: &MetricAccumulator) {
        self.users += other.users;
        self.acc.precision += other.acc.precision;
        self.acc.recall += other.acc.recall;
        self.acc.ndcg += other.acc.ndcg;
        self.acc.ap += other.acc.ap;
        self.acc.hit += other.acc.hit;
        self.acc.rr += other.acc.rr;
        self.ild_sum += other.ild_sum;
        self.ild_users += other.ild_users;
        self.novelty_sum += other.novelty_sum;
        self.novelty_items += other.novelty_items;
        for (a, b) in self.exposure.iter_mut().zip(&other.exposure) {
            *a += b;
        }
    }

    /// The averaged figures.
    pub fn finish(&self) -> MetricReport {
        let n = self.users.max(1) as f64;
        let covered = self.exposure.iter().filter(|&&e| e > 0).count();
        MetricReport {
            k: self.k,
            users: self.users,
            precision: self.acc.precision / n,
            recall: self.acc.recall / n,
            ndcg: self.acc.ndcg / n,
            map: self.acc.ap / n,
            hr: self.acc.hit / n,
            mrr: self.acc.rr / n,
            coverage: covered as f64 / self.exposure.len().max(1) as f64,
            ild: self.ild_sum / self.ild_users.max(1) as f64,
            novelty: self.novelty_sum / self.novelty_items.max(1) as f64,
            gini: gini(&self.exposure),
        }
    }
}

impl MetricReport {
    /// The figures as `(name@K, value)` pairs, in the order reports print them.
    pub fn named(&self) -> Vec<(String, f64)> {
        let k = self.k;
        [
            ("precision", self.precision),
            ("recall", self.recall),
            ("ndcg", self.ndcg),
            ("map", self.map),
            ("hr", self.hr),
            ("mrr", self.mrr),
            ("coverage", self.coverage),
            ("ild", self.ild),
            ("novelty", self.novelty),
            ("gini", self.gini),
        ]
        .into_iter()
        .map(|(n, v)| (format!("{n}@{k}"), v))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn accuracy_matches_hand_computation() {
        // ranked: 5 3 9 1, relevant {3, 1, 7}, K = 4: hits at ranks 2 and 4.
        let a = user_accuracy(&[5, 3, 9, 1], &[3, 1, 7], 4);
        assert!(close(a.precision, 2.0 / 4.0));
        assert!(close(a.recall, 2.0 / 3.0));
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!(close(a.ndcg, dcg / idcg));
        assert!(close(a.ap, (1.0 / 2.0 + 2.0 / 4.0) / 3.0));
        assert!(close(a.hit, 1.0));
        assert!(close(a.rr, 0.5));
    }

    #[test]
    fn ideal_dcg_is_capped_at_k() {
        // 5 relevant, K = 2, both top items relevant: a perfect list.
        let a = user_accuracy(&[1, 2], &[1, 2, 3, 4, 5], 2);
        assert!(close(a.ndcg, 1.0));
        assert!(close(a.ap, 1.0));
        assert!(close(a.recall, 0.4));
    }

    #[test]
    fn misses_score_zero_and_short_lists_count_as_misses() {
        let a = user_accuracy(&[8, 9], &[1], 10);
        assert_eq!(a, UserAccuracy::default());
        let b = user_accuracy(&[1], &[1], 10);
        assert!(close(b.precision, 0.1));
        assert!(close(b.ndcg, 1.0));
        assert_eq!(user_accuracy(&[1], &[], 10), UserAccuracy::default());
    }

    #[test]
    fn gini_extremes_and_known_value() {
        assert!(close(gini(&[5, 5, 5, 5]), 0.0));
        assert!(close(gini(&[0, 0, 0, 8]), 0.75));
        // x = [1, 2, 3]: Σ(2i−n−1)x = (−2)(1) + 0(2) + 2(3) = 4; 4 / (3·6) = 2/9
        assert!(close(gini(&[3, 1, 2]), 2.0 / 9.0));
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(gini(&[0, 0]), 0.0);
    }

    #[test]
    fn diversity_uses_cosine_distance_of_feature_sets() {
        let f = ItemFeatures::new(vec![vec![1, 2], vec![2, 3], vec![7], vec![]]);
        assert!(close(f.distance(0, 1).unwrap(), 0.5));
        assert!(close(f.distance(0, 2).unwrap(), 1.0));
        assert!(close(f.distance(0, 0).unwrap(), 0.0));
        assert_eq!(f.distance(0, 3), None);
        // pairs (0,1)=0.5, (0,2)=1, (1,2)=1; item 3 has no features.
        assert!(close(
            f.intra_list_diversity(&[0, 1, 2, 3]).unwrap(),
            2.5 / 3.0
        ));
        assert_eq!(f.intra_list_diversity(&[3]), None);
    }

    #[test]
    fn accumulator_averages_over_users_and_tracks_exposure() {
        let f = ItemFeatures::new(vec![vec![0], vec![1], vec![0], vec![1]]);
        let pop = [4, 2, 1, 0];
        let mut acc = MetricAccumulator::new(2, 4);
        acc.add(&[0, 1], &[0], &f, &pop, 4);
        acc.add(&[0, 2], &[3], &f, &pop, 4);
        acc.add(&[0, 3], &[], &f, &pop, 4); // no relevant items: ignored
        let r = acc.finish();
        assert_eq!(r.users, 2);
        assert!(close(r.hr, 0.5));
        assert!(close(r.precision, 0.25));
        assert!(close(r.coverage, 0.75));
        // exposure [2, 1, 1, 0]
        assert!(close(r.gini, gini(&[2, 1, 1, 0])));
        // novelty: items 0,1,0,2 → −log2(4/4), −log2(2/4), −log2(4/4), −log2(1/4)
        assert!(close(r.novelty, (0.0 + 1.0 + 0.0 + 2.0) / 4.0));
        // ILD: (0,1) distance 1, (0,2) distance 0
        assert!(close(r.ild, 0.5));
        let names: Vec<String> = r.named().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names[0], "precision@2");
        assert_eq!(names[9], "gini@2");
    }

    #[test]
    fn merge_equals_sequential() {
        let f = ItemFeatures::new(vec![vec![0], vec![1], vec![2]]);
        let pop = [3, 2, 1];
        let mut a = MetricAccumulator::new(2, 3);
        let mut b = MetricAccumulator::new(2, 3);
        let mut all = MetricAccumulator::new(2, 3);
        a.add(&[0, 1], &[1], &f, &pop, 3);
        b.add(&[2, 1], &[2], &f, &pop, 3);
        all.add(&[0, 1], &[1], &f, &pop, 3);
        all.add(&[2, 1], &[2], &f, &pop, 3);
        a.merge(&b);
        assert_eq!(a.finish(), all.finish());
    }
}
