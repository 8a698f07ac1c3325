//! Choosing the clarifying question, and phrasing it from templates.
//!
//! The candidates come with probabilities (a softmax of their scores). A
//! question partitions them by its answer: a yes/no question about a tag
//! into the items that carry it and those that do not; a "which of these"
//! question over a few items by nearest option. Two ways to value it:
//!
//! - **Information gain** (entropy of the partition, in bits): how much
//!   uncertainty the answer removes. It favours tags that halve the whole
//!   mass, which are often broad ("fiction") and move the list little.
//! - **List gain** (the default): how much more of the candidates'
//!   probability the list of k can hold once the answer is known. After an
//!   answer the list is filled from its part alone, so the expected mass of
//!   the list is the sum, over parts, of each part's k most probable items;
//!   the gain is that minus the k most probable overall. It is a value of
//!   information for the decision actually made (which k items to show): a
//!   question is worth asking when the items just below the list would move
//!   into it under some answer.

use serde::{Deserialize, Serialize};

use crate::core::catalog::{Catalog, ItemIdx};

/// How the next question is chosen (the simulator compares them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum QuestionStrategy {
    /// The most informative tag or item set (entropy of the answer).
    InfoGain,
    /// A random tag among those the candidates carry (a baseline).
    Random,
    /// The question whose answer is expected to let the list hold the most
    /// probability ([`list_gain`]).
    #[default]
    ListGain,
    /// Never ask; only recommend (a baseline).
    Never,
}

/// A question the engine may ask.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    /// "Are you in the mood for &lt;tag&gt;?"
    Tag(String),
    /// "Which of these appeals most?"
    Items(Vec<ItemIdx>),
}

/// Binary entropy in bits.
fn h2(p: f32) -> f32 {
    if p <= 0.0 || p >= 1.0 {
        0.0
    } else {
        -(p * p.log2() + (1.0 - p) * (1.0 - p).log2())
    }
}

/// Entropy in bits of a distribution (normalised first).
pub fn entropy(ps: impl IntoIterator<Item = f32>) -> f32 {
    let ps: Vec<f32> = ps.into_iter().filter(|p| *p > 0.0).collect();
    let z: f32 = ps.iter().sum();
    if z <= 0.0 {
        return 0.0;
    }
    -ps.iter().map(|p| p / z).map(|p| p * p.log2()).sum::<f32>()
}

/// Uncertainty over the candidates in 0..1 (entropy over its maximum).
pub fn uncertainty(candidates: &[(ItemIdx, f32)]) -> f32 {
    if candidates.len() < 2 {
        return 0.0;
    }
    entropy(candidates.iter().map(|c| c.1)) / (candidates.len() as f32).log2()
}

/// The tag with the highest expected information gain, skipping `skip`
/// (already asked, wanted or avoided), with its gain in bits.
pub fn best_tag(
    catalog: &Catalog,
    candidates: &[(ItemIdx, f32)],
    skip: &[String],
) -> Option<(String, f32)> {
    tag_masses(catalog, candidates, skip)
        .into_iter()
        .map(|(t, m)| {
            let g = h2(m);
            (t, g)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
}

/// Expected gain in the probability mass a list of `k` holds once the
/// answer, which puts each candidate in part `part_of(item)`, is known: the
/// sum over parts of each part's `k` most probable candidates, minus the `k`
/// most probable overall, as a share of the whole mass (0..1).
pub fn list_gain(
    candidates: &[(ItemIdx, f32)],
    k: usize,
    part_of: impl Fn(ItemIdx) -> usize,
) -> f32 {
    let z: f32 = candidates.iter().map(|c| c.1).sum();
    if z <= 0.0 || k == 0 {
        return 0.0;
    }
    let mut sorted: Vec<(ItemIdx, f32)> = candidates.to_vec();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    let before: f32 = sorted.iter().take(k).map(|c| c.1).sum();
    let mut taken: std::collections::HashMap<usize, usize> = Default::default();
    let mut after = 0f32;
    for &(i, p) in &sorted {
        let n = taken.entry(part_of(i)).or_default();
        if *n < k {
            *n += 1;
            after += p;
        }
    }
    ((after - before) / z).max(0.0)
}

/// The tag whose yes/no answer has the highest [`list_gain`] for a list of
/// `k`, skipping `skip`, with that gain; none when no tag's answer would
/// change the list.
pub fn best_tag_for_list(
    catalog: &Catalog,
    candidates: &[(ItemIdx, f32)],
    skip: &[String],
    k: usize,
) -> Option<(String, f32)> {
    tag_masses(catalog, candidates, skip)
        .into_iter()
        .filter(|(_, m)| *m > 0.0 && *m < 1.0)
        .map(|(t, _)| {
            let g = list_gain(candidates, k, |i| {
                usize::from(catalog.get(i).is_some_and(|x| x.tags.contains(&t)))
            });
            (t, g)
        })
        .filter(|(_, g)| *g > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
}

/// The [`list_gain`] of asking which of `reps` appeals most (each candidate
/// goes with its most similar option).
pub fn items_list_gain(
    candidates: &[(ItemIdx, f32)],
    reps: &[ItemIdx],
    k: usize,
    similarity: &dyn Fn(ItemIdx, ItemIdx) -> f32,
) -> f32 {
    list_gain(candidates, k, |i| nearest(reps, i, similarity))
}

/// The option most similar to `i` (itself when it is one).
fn nearest(reps: &[ItemIdx], i: ItemIdx, similarity: &dyn Fn(ItemIdx, ItemIdx) -> f32) -> usize {
    reps.iter()
        .enumerate()
        .map(|(r, &rep)| (r, if rep == i { 2.0 } else { similarity(i, rep) }))
        .fold((0, f32::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a })
        .0
}

/// A tag chosen uniformly among those the candidates carry (the random baseline).
pub fn random_tag(
    catalog: &Catalog,
    candidates: &[(ItemIdx, f32)],
    skip: &[String],
    seed: u64,
) -> Option<(String, f32)> {
    let masses = tag_masses(catalog, candidates, skip);
    if masses.is_empty() {
        return None;
    }
    // SplitMix64 step: deterministic and dependency-free.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let (t, m) = masses[(z % masses.len() as u64) as usize].clone();
    Some((t, h2(m)))
}

/// Probability mass of the candidates carrying each tag, tags sorted by name.
fn tag_masses(
    catalog: &Catalog,
    candidates: &[(ItemIdx, f32)],
    skip: &[String],
) -> Vec<(String, f32)> {
    let mut mass: std::collections::BTreeMap<&str, f32> = Default::default();
    let z: f32 = candidates.iter().map(|c| c.1).sum();
    if z <= 0.0 {
        return Vec::new();
    }
    for &(i, p) in candidates {
        if let Some(item) = catalog.get(i) {
            for t in &item.tags {
                if !skip.contains(t) {
                    *mass.entry(t.as_str()).or_default() += p / z;
                }
            }
        }
    }
    mass.into_iter()
        .map(|(t, m)| (t.to_string(), m.min(1.0)))
        .collect()
}

/// Up to `k` representative candidates (probable yet unlike each other) and
/// the information gain of asking which appeals most.
pub fn best_items(
    candidates: &[(ItemIdx, f32)],
    k: usize,
    similarity: &dyn Fn(ItemIdx, ItemIdx) -> f32,
) -> Option<(Vec<ItemIdx>, f32)> {
    if candidates.len() < k.max(2) {
        return None;
    }
    let pool = &candidates[..candidates.len().min(30)];
    let mut reps: Vec<ItemIdx> = vec![pool[0].0];
    while reps.len() < k {
        let next = pool
            .iter()
            .filter(|(i, _)| !reps.contains(i))
            .map(|&(i, p)| {
                let red = reps
                    .iter()
                    .map(|&r| similarity(i, r))
                    .fold(f32::NEG_INFINITY, f32::max);
                (i, p.sqrt() * (1.0 - red.max(0.0)))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        reps.push(next.0);
    }
    let mut mass = vec![0f32; reps.len()];
    for &(i, p) in candidates {
        mass[nearest(&reps, i, similarity)] += p;
    }
    Some((reps, entropy(mass)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Item;

    fn catalog() -> Catalog {
        let b = |id: &str, tags: &[&str]| Item {
            id: id.into(),
            title: format!("Book {id}"),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            ..Item::default()
        };
        Catalog::new(vec![
            b("0", &["fantasy", "classics"]),
            b("1", &["fantasy"]),
            b("2", &["romance", "classics"]),
            b("3", &["romance"]),
        ])
        .unwrap()
    }

    #[test]
    fn the_most_even_split_wins() {
        let c = catalog();
        let cands = vec![(0, 0.25), (1, 0.25), (2, 0.25), (3, 0.25)];
        // fantasy 0.5, romance 0.5, classics 0.5: all one bit; ties break by name.
        let (t, g) = best_tag(&c, &cands, &[]).unwrap();
        assert!((g - 1.0).abs() < 1e-5);
        assert_eq!(t, "classics");
        let skewed = vec![(0, 0.7), (1, 0.2), (2, 0.05), (3, 0.05)];
        // fantasy 0.9, classics 0.75, romance 0.1: classics is the most informative.
        assert_eq!(best_tag(&c, &skewed, &[]).unwrap().0, "classics");
        assert_eq!(
            best_tag(&c, &skewed, &["classics".into()]).unwrap().0,
            "fantasy"
        );
        assert!(best_tag(&c, &[], &[]).is_none());
        assert!(random_tag(&c, &cands, &[], 7).is_some());
    }

    #[test]
    fn list_gain_values_what_moves_into_the_list() {
        let c = catalog();
        // A list of 1. Items 0 and 1 are fantasy, 2 and 3 romance.
        let cands = vec![(0, 0.4), (1, 0.3), (2, 0.2), (3, 0.1)];
        // By genre: the list holds 0.4 now, 0.4 + 0.2 once the answer is known.
        let g = list_gain(&cands, 1, |i| usize::from(i >= 2));
        assert!((g - 0.2).abs() < 1e-6, "{g}");
        // A question every candidate answers alike is worth nothing.
        assert_eq!(list_gain(&cands, 1, |_| 0), 0.0);
        // A list that holds every candidate already gains nothing.
        assert_eq!(list_gain(&cands, 4, |i| i as usize), 0.0);
        // "classics" (0 and 2) splits the top two apart: 0.4 + 0.3.
        let (t, g) = best_tag_for_list(&c, &cands, &[], 1).unwrap();
        assert!((g - 0.3).abs() < 1e-6, "{t} {g}");
        assert_eq!(t, "classics");
        // With the list holding every top item of both genres, no tag helps.
        assert_eq!(best_tag_for_list(&c, &[(0, 0.5), (2, 0.5)], &[], 2), None);
        let sim = |a: u32, b: u32| if (a < 2) == (b < 2) { 0.9 } else { 0.0 };
        let g = items_list_gain(&cands, &[0, 2], 1, &sim);
        assert!((g - 0.2).abs() < 1e-6, "{g}");
    }

    #[test]
    fn item_sets_split_the_mass() {
        let cands = vec![(0, 0.4), (1, 0.3), (2, 0.2), (3, 0.1)];
        // Items 0,1 alike; 2,3 alike.
        let sim = |a: u32, b: u32| if (a < 2) == (b < 2) { 0.9 } else { 0.0 };
        let (reps, gain) = best_items(&cands, 2, &sim).unwrap();
        assert_eq!(reps, vec![0, 2]);
        assert!((gain - h2(0.7)).abs() < 1e-4, "{gain}");
        assert!(best_items(&cands[..1], 2, &sim).is_none());
        assert!((uncertainty(&[(0, 0.5), (1, 0.5)]) - 1.0).abs() < 1e-6);
    }
}
