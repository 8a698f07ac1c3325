//! An offline evaluation's report: what was evaluated (the protocol, the
//! MF search's trials) and each model's figures, as JSON or as a table.
//! Kept apart from [`super::eval`], which measures, so that measuring does
//! not depend on the search that [`super::calibrate`] runs on top of it.

use serde::Serialize;

use crate::offline::calibrate::Trial;
use crate::offline::eval::ModelResult;

/// What was evaluated, so a report can be reproduced.
#[derive(Debug, Clone, Serialize)]
pub struct Protocol {
    /// Where the data came from.
    pub data: String,
    /// How train and test were made ("per-user random 75/25" or "given files").
    pub split: String,
    /// Seed of the split and the models.
    pub seed: u64,
    /// List length.
    pub k: usize,
    /// Users in the data.
    pub users: usize,
    /// Items ranked (all of them).
    pub items: usize,
    /// Training interactions.
    pub train_interactions: usize,
    /// Test interactions.
    pub test_interactions: usize,
    /// Users with at least one test item, who were scored.
    pub evaluated_users: usize,
    /// What the intra-list diversity is computed on: "tags" or "co-occurrence".
    pub ild_features: String,
    /// Every rating counts as a positive; training items are excluded from ranking.
    pub relevance: String,
    /// How ALS's settings were chosen when a search on the training part
    /// chose them (catalogs with no recorded values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub als_search: Option<String>,
    /// Every configuration that search scored, in order, with its time:
    /// how the budget was spent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub als_trials: Vec<Trial>,
}

/// The report as one JSON object: `{"protocol": {...}, "models": {"<name>": {"ndcg@10": …}}}`,
/// plus training seconds under `"train_seconds"`.
pub fn to_json(protocol: &Protocol, results: &[ModelResult]) -> serde_json::Value {
    let mut models = serde_json::Map::new();
    let mut times = serde_json::Map::new();
    for r in results {
        let mut m = serde_json::Map::new();
        for (name, v) in r.metrics.named() {
            m.insert(name, serde_json::json!(v));
        }
        models.insert(r.name.clone(), serde_json::Value::Object(m));
        times.insert(r.name.clone(), serde_json::json!(r.train_seconds));
    }
    serde_json::json!({
        "protocol": protocol,
        "models": models,
        "train_seconds": times,
    })
}

/// The report as a plain-text table.
pub fn to_table(protocol: &Protocol, results: &[ModelResult]) -> String {
    let mut s = format!(
        "{} — {} split, seed {}, {} users × {} items, {} train / {} test interactions, {} users scored\n\n",
        protocol.data,
        protocol.split,
        protocol.seed,
        protocol.users,
        protocol.items,
        protocol.train_interactions,
        protocol.test_interactions,
        protocol.evaluated_users
    );
    if let Some(search) = &protocol.als_search {
        s.push_str(&format!("als: {search}\n\n"));
    }
    let Some(first) = results.first() else {
        return s;
    };
    s.push_str(&format!("{:<12}", "model"));
    for (name, _) in first.metrics.named() {
        s.push_str(&format!("{name:>14}"));
    }
    s.push_str(&format!("{:>10}\n", "train s"));
    for r in results {
        s.push_str(&format!("{:<12}", r.name));
        for (_, v) in r.metrics.named() {
            s.push_str(&format!("{v:>14.4}"));
        }
        s.push_str(&format!("{:>10.2}\n", r.train_seconds));
    }
    s.push_str(&format!(
        "\nild@{} on {}; novelty in bits.\n",
        protocol.k, protocol.ild_features
    ));
    s
}
