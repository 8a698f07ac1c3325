//! The demo bundle (goodbooks-10k, with the encoder) end to end: the
//! conversations the demo page shows must behave.
//!
//! `./scripts/test` builds `models/goodbooks.kith` before running these
//! (`kith build --format goodbooks --data data/goodbooks --out models/goodbooks.kith`);
//! a missing bundle fails the test rather than skipping it.

use std::path::PathBuf;
use std::sync::OnceLock;

use kith::core::bundle::Bundle;
use kith::core::parts::Part;
use kith::core::session::{Engine, Feedback, Reply};

fn bundle_bytes() -> Vec<u8> {
    let path = std::env::var_os("KITH_BUNDLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/goodbooks.kith"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. Build it with `cargo run --release -- build --format goodbooks --data data/goodbooks --out models/goodbooks.kith` (scripts/test does)",
            path.display()
        )
    })
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let e = Engine::load(&bundle_bytes()).expect("the demo bundle loads");
        assert!(e.has_encoder(), "the demo bundle ships the encoder");
        e
    })
}

fn titles(r: &Reply) -> Vec<String> {
    r.recommendations.iter().map(|x| x.title.clone()).collect()
}

fn tags_of(id: &str) -> Vec<String> {
    let c = engine().catalog();
    c.get(c.index_of(id).expect("id"))
        .expect("item")
        .tags
        .clone()
}

#[test]
fn the_dune_conversation() {
    let e = engine();
    let mut p = e.new_profile();
    let r = e
        .say(
            &mut p,
            "I loved Dune for its world-building and political intrigue",
        )
        .unwrap();
    assert_eq!(
        r.understood.liked,
        vec!["Dune (Dune Chronicles #1)".to_string()]
    );
    let t = titles(&r);
    assert_eq!(t.len(), 10);
    assert!(
        !t.iter().any(|x| x.starts_with("Dune (")),
        "Dune itself is not recommended back"
    );
    assert!(
        t.iter()
            .any(|x| x.starts_with("Dune Messiah") || x.starts_with("Children of Dune")),
        "the series continues: {t:?}"
    );
    // Explanations state real facts: a named title is one the visitor liked,
    // a quoted phrase is the visitor's own words.
    for rec in &r.recommendations {
        assert!(!rec.explanation.is_empty());
        for item in &rec.because.items {
            assert_eq!(item, "Dune (Dune Chronicles #1)");
        }
        if let Some(ph) = &rec.because.phrase {
            assert_eq!(ph, "world-building and political intrigue");
        }
    }
    // Science fiction leads the list.
    let scifi = r
        .recommendations
        .iter()
        .filter(|x| x.tags.iter().any(|t| t == "science-fiction"))
        .count();
    assert!(scifi >= 4, "{t:?}");

    // Feedback refines: more like the second one, then something different.
    let second = r.recommendations[1].id.clone();
    let r2 = e.say(&mut p, "more like the second one").unwrap();
    assert_eq!(p.pick(&second), Some(0.8));
    let before: Vec<String> = r2.recommendations.iter().map(|x| x.id.clone()).collect();
    let r3 = e.say(&mut p, "something different").unwrap();
    let same = r3
        .recommendations
        .iter()
        .filter(|x| before.contains(&x.id))
        .count();
    assert!(
        same <= 3,
        "something different changes the list: {same} kept"
    );
    let loved = r3.recommendations[0].id.clone();
    let r4 = e.feedback(&mut p, &loved, Feedback::Love).unwrap();
    assert!(r4.recommendations.iter().all(|x| x.id != loved));
}

#[test]
fn an_author_by_name() {
    let e = engine();
    let mut p = e.new_profile();
    let r = e.say(&mut p, "something by Terry Pratchett").unwrap();
    assert_eq!(
        r.understood.wanted_creators,
        vec!["Terry Pratchett".to_string()]
    );
    for rec in r.recommendations.iter().take(5) {
        assert!(
            rec.creators.iter().any(|c| c == "Terry Pratchett"),
            "{}",
            rec.title
        );
    }
}

#[test]
fn genres_with_avoidance() {
    let e = engine();
    let mut p = e.new_profile();
    let r = e
        .say(&mut p, "I'd like some fantasy, but no romance")
        .unwrap();
    assert!(r.understood.wanted_tags.contains(&"fantasy".to_string()));
    assert!(r.understood.avoided_tags.contains(&"romance".to_string()));
    let fantasy = r
        .recommendations
        .iter()
        .filter(|x| x.tags.iter().any(|t| t == "fantasy"))
        .count();
    assert!(fantasy >= 7, "{:?}", titles(&r));
    for rec in &r.recommendations {
        assert!(
            !tags_of(&rec.id).contains(&"romance".to_string()),
            "{}",
            rec.title
        );
    }
    let mut p = e.new_profile();
    let r = e.say(&mut p, "anything but horror").unwrap();
    assert!(r
        .recommendations
        .iter()
        .all(|x| !x.tags.iter().any(|t| t == "horror")));
}

#[test]
fn a_theme_without_names_is_understood_by_meaning() {
    let e = engine();
    let mut p = e.new_profile();
    let r = e
        .say(&mut p, "cozy village mysteries with an amateur sleuth")
        .unwrap();
    let mystery = r
        .recommendations
        .iter()
        .filter(|x| x.tags.iter().any(|t| t == "mystery"))
        .count();
    assert!(mystery >= 6, "{:?}", titles(&r));
    assert!(r.recommendations.iter().any(|x| x.because.phrase.is_some()));
}

#[test]
fn when_unsure_kith_asks_and_uses_the_answer() {
    let e = engine();
    let mut p = e.new_profile();
    let r = e.say(&mut p, "I want a good book").unwrap();
    let q = r
        .question
        .clone()
        .expect("a vague opening gets a clarifying question");
    assert!(!q.is_empty());
    let about = r.question_about.clone().expect("subject");
    let r2 = e.say(&mut p, "yes").unwrap();
    match about {
        kith::core::profile::Pending::Tag { tag } => {
            assert!(p.wanted_tags.contains(&tag));
            let with = r2
                .recommendations
                .iter()
                .filter(|x| x.tags.contains(&tag))
                .count();
            assert!(
                with >= 5,
                "answering yes to {tag} moves the list: {:?}",
                titles(&r2)
            );
        }
        kith::core::profile::Pending::Items { ids } => {
            assert!(p.pick(&ids[0]).is_some_and(|s| s > 0.0));
        }
    }
}

/// The committed request file (benchmarks/requests/goodbooks.json, written
/// before any tuning): lists carry what was asked, never what was avoided,
/// and every explanation passes its truth check the first time.
#[test]
fn natural_requests_are_honoured_with_true_reasons() {
    let e = engine();
    let json = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benchmarks/requests/goodbooks.json"),
    )
    .expect("request file");
    let requests = kith::offline::requests::parse(&json, e).expect("requests name catalog tags");
    assert!(requests.len() >= 30);
    let report =
        kith::offline::requests::measure(e, &requests, 10).expect("every request answered");
    let untrue: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.untrue_explanations > 0)
        .map(|r| r.say.as_str())
        .collect();
    assert!(untrue.is_empty(), "replaced explanations for {untrue:?}");
    assert_eq!(report.truthful, 1.0);
    assert_eq!(report.avoided, 0.0, "{:?}", report.results);
    assert!(
        report.precision >= 0.85,
        "precision on wanted tags {} (popularity {})",
        report.precision,
        report.popularity_precision
    );
    // More than one kind of reason: the check is not passed by saying nothing.
    assert!(
        report.explanation_kinds.len() >= 3,
        "{:?}",
        report.explanation_kinds
    );
}

#[test]
fn in_parts_the_demo_answers_from_the_core_and_understands_once_all_arrive() {
    let bundle = Bundle::from_bytes(&bundle_bytes()).expect("the demo bundle loads");
    let parts = bundle.to_parts();
    let kinds: Vec<Part> = parts.iter().map(|p| p.0).collect();
    assert_eq!(kinds, vec![Part::Core, Part::Text, Part::Encoder]);
    let mut staged = Engine::load(&parts[0].1).expect("the core part loads");
    assert!(!staged.has_encoder());
    // The first answer names a title: the core alone recommends.
    let mut p = staged.new_profile();
    let r = staged
        .say(
            &mut p,
            "I loved Dune for its world-building and political intrigue",
        )
        .unwrap();
    assert_eq!(
        r.understood.liked,
        vec!["Dune (Dune Chronicles #1)".to_string()]
    );
    assert_eq!(r.recommendations.len(), 10);
    // The encoder may land before the embeddings; then everything is in.
    assert_eq!(staged.attach(&parts[2].1).unwrap(), Part::Encoder);
    assert!(!staged.has_encoder(), "no embeddings yet");
    assert_eq!(staged.attach(&parts[1].1).unwrap(), Part::Text);
    assert!(staged.has_encoder());
    // From then on it answers as the whole bundle does.
    let whole = Engine::load(&bundle.to_bytes()).unwrap();
    let ask = "a cozy mystery set in a small English village";
    let a = staged.say(&mut staged.new_profile(), ask).unwrap();
    let b = whole.say(&mut whole.new_profile(), ask).unwrap();
    assert_eq!(titles(&a), titles(&b));
    assert_eq!(a.understood, b.understood);
}
