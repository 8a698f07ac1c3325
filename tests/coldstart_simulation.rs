//! Item cold start and simulated visitors on MovieLens 100K (read from
//! ../shared/data), with genre vectors standing in for text embeddings so
//! the protocols run fast and deterministically without the encoder.

mod common;

use kith::core::bundle::Bundle;
use kith::core::embeddings::QuantizedEmbeddings;
use kith::offline::build::bundle::{build, BuildInputs, CatalogInfo, MfSettings};
use kith::offline::build::{load, Format, LoadOptions};
use kith::offline::eval::{tuned, TunedFor};
use kith::offline::simulate::{simulate, SimulationSettings};

fn movielens_bundle() -> (Bundle, kith::core::interactions::SparseMatrix) {
    let data = load(
        Format::Ml100k,
        &common::shared_data("ml-100k"),
        LoadOptions::default(),
    )
    .unwrap();
    let (_, als) = tuned(TunedFor::Ml100k, 42);
    let (mut bundle, _) = build(
        &data,
        BuildInputs {
            info: CatalogInfo {
                name: "movielens-100k".into(),
                item_noun: ("film".into(), "films".into()),
                consume_verb: "watched".into(),
                creator_verb: String::new(),
                attribution: String::new(),
            },
            encoder: None,
            imported: None,
            mf: MfSettings::Given(als),
            fallback_als: als,
            bridge_lambda: Some(30.0),
            facet_settings: Vec::new(),
        },
        &|_, _, _| {},
    )
    .unwrap();
    // Genre vectors (unit length) as the items' "text".
    let genres: Vec<String> = bundle
        .attributes
        .tags
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let rows: Vec<Vec<f32>> = bundle
        .catalog
        .items()
        .iter()
        .map(|it| {
            let mut v: Vec<f32> = genres
                .iter()
                .map(|g| if it.tags.contains(g) { 1.0 } else { 0.0 })
                .collect();
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1.0);
            v.iter_mut().for_each(|x| *x /= n);
            v
        })
        .collect();
    bundle.item_embeddings = QuantizedEmbeddings::from_rows(genres.len(), &rows).unwrap();
    (bundle, data.interactions.to_matrix())
}

#[test]
fn text_bridged_factors_rank_cold_items_far_above_random() {
    let (bundle, full) = movielens_bundle();
    let (_, als) = tuned(TunedFor::Ml100k, 42);
    let r = kith::offline::coldstart::evaluate(
        &full,
        &bundle.item_embeddings,
        &als,
        &[1.0, 30.0],
        10,
        42,
    )
    .unwrap();
    assert_eq!(r.cold_items, 168, "10% of the 1,682 items with ratings");
    assert!(r.users > 500);
    assert_eq!(r.validation.len(), 2);
    let get = |n: &str| r.models.iter().find(|m| m.name == n).unwrap().clone();
    let (bridge, random) = (get("bridge_mf"), get("random"));
    assert!(bridge.ndcg > 2.0 * random.ndcg, "{bridge:?} vs {random:?}");
    assert!(bridge.hr > random.hr);
    for m in &r.models {
        assert!((0.0..=1.0).contains(&m.ndcg) && (0.0..=1.0).contains(&m.hr));
    }
}

#[test]
fn simulated_visitors_find_targets_and_strategies_differ_as_designed() {
    let (bundle, full) = movielens_bundle();
    let (_, als) = tuned(TunedFor::Ml100k, 42);
    let settings = SimulationSettings {
        users: 60,
        turns: 3,
        k: 10,
        seed: 42,
        als,
        bridge_lambda: 30.0,
        options: Default::default(),
    };
    let r = simulate(&bundle, None, &full, &settings, &|_, _, _| {}).unwrap();
    assert_eq!(r.users, 60);
    let names: Vec<&str> = r.results.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "list_gain",
            "info_gain",
            "random_question",
            "no_questions",
            "popularity",
            "mf_5_ratings"
        ]
    );
    let get = |n: &str| r.results.iter().find(|x| x.name == n).unwrap();
    assert!(get("list_gain").questions_per_user > 0.0);
    assert!(get("info_gain").questions_per_user > 0.0);
    assert_eq!(get("no_questions").questions_per_user, 0.0);
    for x in &r.results {
        assert_eq!(x.hr.len(), 4);
        assert!(
            x.success_by_turn.windows(2).all(|w| w[0] <= w[1]),
            "cumulative: {x:?}"
        );
        assert!(x.hr.iter().chain(&x.ndcg).all(|v| (0.0..=1.0).contains(v)));
    }
    // A conversation finds more than the one fixed popular list.
    assert!(get("list_gain").success_rate > get("popularity").success_rate);
    assert!(get("info_gain").success_rate > get("popularity").success_rate);
    assert!(!r.example.is_empty());
    assert!(r.bias.coverage > 0.0 && r.bias.gini > 0.0 && r.bias.gini <= 1.0);
}
