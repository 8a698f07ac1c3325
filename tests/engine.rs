//! The engine on a tiny catalog built without the encoder (the fallback
//! path): the bundle format and its failure modes, understanding, negation,
//! follow-ups, feedback, questions, explanations and the profile.

mod common;

use kith::core::bundle::{Bundle, BundleError, VERSION};
use kith::core::embeddings::QuantizedEmbeddings;
use kith::core::mf::als::AlsParams;
use kith::core::parts::{Manifest, Part};
use kith::core::profile::{Outcome, Pending, Profile};
use kith::core::rank::Signal;
use kith::core::session::{Engine, EngineError, Feedback};
use kith::offline::build::bundle::{
    build, read_item_factors, BuildInputs, CatalogInfo, MfSettings,
};
use kith::offline::build::{load, Dataset, Format, LoadOptions};

const ITEMS: &str = "id,title,creator,tags,year
1,\"Dune (Dune Chronicles, #1)\",Frank Herbert,science-fiction|classics,1965
2,\"Dune Messiah (Dune Chronicles, #2)\",Frank Herbert,science-fiction,1969
3,\"Children of Dune (Dune Chronicles, #3)\",Frank Herbert,science-fiction,1976
4,Hyperion,Dan Simmons,science-fiction,1989
5,Foundation,Isaac Asimov,science-fiction|classics,1951
6,\"Twilight (Twilight, #1)\",Stephenie Meyer,romance|vampires|young-adult,2005
7,\"New Moon (Twilight, #2)\",Stephenie Meyer,romance|vampires,2006
8,Pride and Prejudice,Jane Austen,romance|classics,1813
9,It,Stephen King,horror,1986
10,The Shining,Stephen King,horror|classics,1977
11,<img src=x onerror=alert(1)>,Mallory Quinn,horror,2020
12,Emma,Jane Austen,romance|classics,1815
";

/// Three taste groups of 20 users: science fiction, romance, horror.
fn interactions() -> String {
    let mut s = String::from("user,item,rating\n");
    let groups: [&[u32]; 3] = [&[1, 2, 3, 4, 5], &[6, 7, 8, 12], &[9, 10, 11]];
    for (g, items) in groups.iter().enumerate() {
        for u in 0..20u32 {
            for (k, i) in items.iter().enumerate() {
                if (u as usize + k) % 4 != 0 {
                    s.push_str(&format!("g{g}u{u},{i},5\n"));
                }
            }
        }
    }
    s
}

fn dataset() -> (tempfile::TempDir, Dataset) {
    let inter = interactions();
    let dir = common::folder(&[("items.csv", ITEMS), ("interactions.csv", &inter)]);
    let data = load(Format::Csv, dir.path(), LoadOptions::default()).expect("tiny catalog loads");
    (dir, data)
}

fn als() -> AlsParams {
    AlsParams {
        dim: 4,
        iterations: 10,
        reg: 0.1,
        alpha: 10.0,
        reg_exponent: 0.0,
        ..AlsParams::default()
    }
}

/// What the tiny catalog is built with, and the facet settings given.
fn tiny_inputs(facet_settings: &[&str]) -> BuildInputs<'static> {
    BuildInputs {
        info: CatalogInfo {
            name: "tiny".into(),
            item_noun: ("book".into(), "books".into()),
            consume_verb: "read".into(),
            creator_verb: String::new(),
            attribution: "test data".into(),
        },
        encoder: None,
        imported: None,
        mf: MfSettings::Given(als()),
        fallback_als: als(),
        bridge_lambda: Some(1.0),
        facet_settings: facet_settings.iter().map(|s| s.to_string()).collect(),
    }
}

fn tiny_bundle() -> Bundle {
    let (_dir, data) = dataset();
    build(&data, tiny_inputs(&[]), &|_, _, _| {})
        .expect("builds")
        .0
}

fn engine() -> Engine {
    Engine::load(&tiny_bundle().to_bytes()).expect("bundle loads")
}

/// The catalog tags of an item by id.
fn item_tags(e: &Engine, id: &str) -> Vec<String> {
    e.catalog()
        .get(e.catalog().index_of(id).unwrap())
        .unwrap()
        .tags
        .clone()
}

fn ids(r: &kith::core::session::Reply) -> Vec<String> {
    r.recommendations.iter().map(|x| x.id.clone()).collect()
}

#[test]
fn the_bundle_round_trips() {
    let b = tiny_bundle();
    let bytes = b.to_bytes();
    assert_eq!(&bytes[..8], b"KITHBNDL");
    let back = Bundle::from_bytes(&bytes).unwrap();
    assert_eq!(back.catalog.items(), b.catalog.items());
    // Factors travel as int8 with a scale per item: within half a step.
    assert_eq!((back.mf.dim, back.mf.n_items()), (b.mf.dim, b.mf.n_items()));
    assert_eq!(back.mf.item_bias, b.mf.item_bias);
    assert_eq!(back.mf.fold_in, b.mf.fold_in);
    for (row, back_row) in
        b.mf.item_factors
            .chunks(b.mf.dim)
            .zip(back.mf.item_factors.chunks(b.mf.dim))
    {
        let step = row.iter().fold(0f32, |a, x| a.max(x.abs())) / 127.0;
        for (x, y) in row.iter().zip(back_row) {
            assert!((x - y).abs() <= step * 0.5 + 1e-6, "{x} read back as {y}");
        }
    }
    assert_eq!(back.meta, b.meta);
    assert_eq!(back.attributes, b.attributes);
    assert!(back.encoder.is_none() && back.item_embeddings.is_empty());
    assert_eq!(back.to_bytes(), bytes, "writing is deterministic");
}

#[test]
fn broken_bundles_are_typed_errors_never_panics() {
    let bytes = tiny_bundle().to_bytes();
    for cut in (0..bytes.len()).step_by(7) {
        let e = Bundle::from_bytes(&bytes[..cut]).expect_err("a truncated bundle must not load");
        assert!(
            matches!(e, BundleError::Truncated { .. } | BundleError::BadMagic),
            "cut at {cut}: {e:?}"
        );
    }
    let mut flipped = bytes.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0x55;
    assert!(matches!(
        Bundle::from_bytes(&flipped),
        Err(BundleError::Checksum(_))
    ));
    let mut header = bytes.clone();
    header[20] ^= 1;
    assert!(matches!(Bundle::from_bytes(&header), Err(BundleError::Checksum(s)) if s == "header"));
    let mut version = bytes.clone();
    version[8..12].copy_from_slice(&(VERSION + 1).to_le_bytes());
    assert_eq!(
        Bundle::from_bytes(&version).unwrap_err(),
        BundleError::UnsupportedVersion {
            found: VERSION + 1,
            supported: VERSION
        }
    );
    version[8..12].copy_from_slice(&0u32.to_le_bytes());
    assert!(matches!(
        Bundle::from_bytes(&version),
        Err(BundleError::UnsupportedVersion { found: 0, .. })
    ));
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(
        Bundle::from_bytes(&magic).unwrap_err(),
        BundleError::BadMagic
    );
    let mut long = bytes.clone();
    long.extend_from_slice(b"junk");
    assert_eq!(
        Bundle::from_bytes(&long).unwrap_err(),
        BundleError::TrailingBytes(4)
    );
    assert!(Bundle::from_bytes(&[]).is_err());
    // The error message says what to do.
    assert!(BundleError::UnsupportedVersion {
        found: 9,
        supported: 1
    }
    .to_string()
    .contains("kith build"));
}

#[test]
fn without_the_encoder_titles_tags_and_picks_still_work() {
    let e = engine();
    assert!(!e.has_encoder());
    assert!(e.encoder_problem().is_some());
    let mut p = e.new_profile();
    let r = e.say(&mut p, "I loved Dune").unwrap();
    assert_eq!(
        r.understood.liked,
        vec!["Dune (Dune Chronicles, #1)".to_string()]
    );
    let list = ids(&r);
    assert!(
        !list.contains(&"1".to_string()),
        "a liked book is not recommended back"
    );
    // Foundation shares Dune's readers exactly here (MF), Dune Messiah is
    // next in the series (graph): those two lead.
    let mut top2 = list[..2].to_vec();
    top2.sort();
    assert_eq!(top2, vec!["2".to_string(), "5".to_string()], "{list:?}");
    let at = |id: &str| r.recommendations.iter().find(|x| x.id == id).unwrap();
    let messiah = at("2");
    assert_eq!(messiah.because.signal, Signal::Series);
    assert_eq!(
        messiah.explanation,
        "Next in the Dune Chronicles series, after Dune (Dune Chronicles, #1), which you liked."
    );
    assert_eq!(
        messiah.because.items,
        vec!["Dune (Dune Chronicles, #1)".to_string()]
    );
    assert!(messiah.parts.graph > 0.0);
    assert_eq!(at("5").because.signal, Signal::ReadersLikeYou);
    assert_eq!(
        at("5").explanation,
        "Readers who liked Dune (Dune Chronicles, #1) also liked this."
    );
    // Every explanation is non-empty and names only titles the visitor picked.
    for rec in &r.recommendations {
        assert!(!rec.explanation.is_empty());
        for t in &rec.because.items {
            assert_eq!(t, "Dune (Dune Chronicles, #1)");
        }
    }
    // Science fiction outranks romance and horror for a Dune reader.
    let pos = |id: &str| list.iter().position(|x| x == id).unwrap_or(99);
    assert!(pos("4") < pos("6") && pos("5") < pos("9"), "{list:?}");
}

/// The tiny catalog with facets as a build with the encoder would learn
/// them: horror reads as dark, young-adult as for teenagers; nothing as
/// light-hearted, and no lengths.
fn engine_with_facets() -> Engine {
    use kith::core::facets::{Facet, FacetTags};
    let mut b = tiny_bundle();
    b.attributes.facets = vec![
        FacetTags {
            facet: Facet::Dark,
            tags: vec!["horror".into()],
        },
        FacetTags {
            facet: Facet::Teen,
            tags: vec!["young-adult".into()],
        },
    ];
    Engine::load(&b.to_bytes()).expect("bundle with facets loads")
}

#[test]
fn moods_and_audiences_map_to_the_catalogs_tags_or_say_they_cannot() {
    let e = engine_with_facets();
    let tags_of = |id: &str| item_tags(&e, id);
    let horror = |r: &kith::core::session::Reply| {
        ids(r)
            .iter()
            .filter(|id| tags_of(id).contains(&"horror".to_string()))
            .count()
    };

    let mut p = e.new_profile();
    let r = e.say(&mut p, "something dark").unwrap();
    assert_eq!(r.understood.occasions, vec!["dark".to_string()]);
    assert_eq!(r.understood.wanted_tags, vec!["horror".to_string()]);
    assert_eq!(r.understood.themes, None, "mood words are not themes");
    assert_eq!(horror(&r), 3, "every horror item is shown: {:?}", ids(&r));
    assert!(
        r.notes.iter().all(|n| n.starts_with("Only 3 of the books")),
        "{:?}",
        r.notes
    );

    let mut p = e.new_profile();
    let r = e.say(&mut p, "classics, but nothing too dark").unwrap();
    assert_eq!(r.understood.occasions, vec!["not dark".to_string()]);
    assert!(p.avoided_tags.contains(&"horror".to_string()));
    let first: Vec<String> = ids(&r).into_iter().take(3).collect();
    assert!(
        first
            .iter()
            .all(|id| !tags_of(id).contains(&"horror".to_string())),
        "horror among the first classics: {first:?}"
    );

    // What the catalog cannot honour is said, and nothing is made up.
    let mut p = e.new_profile();
    let r = e.say(&mut p, "something light for the beach").unwrap();
    assert!(
        r.notes.iter().any(|n| n.contains(
            "I can't tell which books are light-hearted or gripping from what this catalog records"
        )),
        "{:?}",
        r.notes
    );
    assert!(r.understood.wanted_tags.is_empty());
    assert!(!r.recommendations.is_empty());
    let r = e.say(&mut p, "a short one").unwrap();
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("I don't know the length of the books")),
        "{:?}",
        r.notes
    );

    // Audiences: a teenager's list, and a grown-up's present.
    let mut p = e.new_profile();
    let r = e.say(&mut p, "a present for my 15-year-old niece").unwrap();
    assert_eq!(r.understood.occasions, vec!["for teenagers".to_string()]);
    assert_eq!(ids(&r)[0], "6", "Twilight is the one young-adult book");
    let mut p = e.new_profile();
    let r = e.say(&mut p, "romance for my mum").unwrap();
    assert_eq!(r.understood.occasions, vec!["for grown-ups".to_string()]);
    assert!(p.avoided_tags.contains(&"young-adult".to_string()));
    assert!(!ids(&r).iter().take(2).any(|id| id == "6"), "{:?}", ids(&r));

    // A later wish wins over an earlier one; a correction takes it back.
    let mut p = e.new_profile();
    e.say(&mut p, "nothing dark").unwrap();
    e.say(&mut p, "actually, something scary").unwrap();
    assert!(p.wanted_tags.contains(&"horror".to_string()));
    assert!(!p.avoided_tags.contains(&"horror".to_string()));
    let mut p = e.new_profile();
    e.say(&mut p, "something for teens").unwrap();
    e.say(&mut p, "no, I meant classics").unwrap();
    assert!(!p.wanted_tags.contains(&"young-adult".to_string()));
}

#[test]
fn facets_naming_tags_the_catalog_lacks_are_refused() {
    use kith::core::facets::{Facet, FacetTags};
    let mut b = tiny_bundle();
    b.attributes.facets = vec![FacetTags {
        facet: Facet::Light,
        tags: vec!["comedy".into()],
    }];
    match Bundle::from_bytes(&b.to_bytes()) {
        Err(BundleError::Section { section, reason }) => {
            assert_eq!(section, "attributes");
            assert!(reason.contains("unknown tag \"comedy\""), "{reason}");
        }
        other => panic!("expected a section error, got {other:?}"),
    }
    b.attributes.facets = vec![
        FacetTags {
            facet: Facet::Dark,
            tags: vec!["horror".into()],
        },
        FacetTags {
            facet: Facet::Dark,
            tags: vec![],
        },
    ];
    assert!(Bundle::from_bytes(&b.to_bytes()).is_err());
}

#[test]
fn negation_excludes_or_down_weights() {
    let e = engine();
    let mut p = e.new_profile();
    let r = e.say(&mut p, "classics please, but no romance").unwrap();
    assert_eq!(r.understood.avoided_tags, vec!["romance".to_string()]);
    assert_eq!(r.understood.wanted_tags, vec!["classics".to_string()]);
    let tags_of = |id: &str| item_tags(&e, id);
    for id in ids(&r) {
        assert!(
            !tags_of(&id).contains(&"romance".to_string()),
            "{id} is romance"
        );
    }
    assert_eq!(p.controls.avoid_topics, vec!["romance".to_string()]);

    let mut p = e.new_profile();
    let r = e.say(&mut p, "anything but horror").unwrap();
    assert!(ids(&r)
        .iter()
        .all(|id| !tags_of(id).contains(&"horror".to_string())));

    let mut p = e.new_profile();
    let r = e.say(&mut p, "I didn't like Twilight").unwrap();
    assert_eq!(
        r.understood.disliked,
        vec!["Twilight (Twilight, #1)".to_string()]
    );
    assert_eq!(p.pick("6"), Some(-1.0));
    assert!(!ids(&r).contains(&"6".to_string()));

    let mut p = e.new_profile();
    let r = e.say(&mut p, "nothing by Stephen King").unwrap();
    assert!(ids(&r).iter().all(|id| id != "9" && id != "10"));
}

#[test]
fn follow_ups_feedback_and_history() {
    let e = engine();
    let mut p = e.new_profile();
    let first = e.say(&mut p, "I loved Foundation").unwrap();
    let second_id = first.recommendations[1].id.clone();
    let r = e.say(&mut p, "more like the second one").unwrap();
    assert_eq!(
        r.understood.follow_up,
        Some(kith::core::dialogue::FollowUp::MoreLike(1))
    );
    assert_eq!(p.pick(&second_id), Some(0.8));
    assert!(
        !ids(&r).contains(&second_id),
        "a strongly picked item is not shown again"
    );

    let rejected = r.recommendations[0].id.clone();
    let r2 = e.feedback(&mut p, &rejected, Feedback::NotForMe).unwrap();
    assert!(!ids(&r2).contains(&rejected));
    assert!(p
        .events
        .iter()
        .any(|ev| ev.item == rejected && ev.outcome == Outcome::Rejected));
    let loved = r2.recommendations[0].id.clone();
    e.feedback(&mut p, &loved, Feedback::Love).unwrap();
    let acc = p.acceptance();
    assert_eq!((acc.accepted, acc.rejected), (1, 1));
    assert!(acc.shown >= 30);
    assert_eq!(p.history.len(), 4);

    let r = e.say(&mut p, "shorter please").unwrap();
    assert!(
        r.notes.iter().any(|n| n.contains("length")),
        "lengths are unknown here: {:?}",
        r.notes
    );
    let r = e.feedback(&mut p, "no-such-id", Feedback::Love);
    assert_eq!(
        r.unwrap_err(),
        EngineError::UnknownItem("no-such-id".into())
    );
}

#[test]
fn an_empty_answer_takes_nothing_and_offers_a_pick() {
    let e = engine();
    let mut p = e.new_profile();
    // What the visitor likes: nothing of it may change on small talk.
    let taste = |p: &Profile| {
        (
            p.picks.clone(),
            p.wanted_tags.clone(),
            p.avoided_tags.clone(),
            p.wanted_creators.clone(),
            p.taste.clone(),
            p.themes.clone(),
            p.answers.clone(),
        )
    };
    let fresh = taste(&p);
    for empty in ["", "   ", "?!", "🙂", "hmm"] {
        let r = e.say(&mut p, empty).unwrap();
        assert!(
            r.question
                .as_deref()
                .is_some_and(|q| q.starts_with("To start somewhere: which of these books")),
            "{empty:?}: {:?}",
            r.question
        );
        assert!(
            matches!(&r.question_about, Some(Pending::Items { ids }) if ids.len() == 3),
            "{empty:?}: {:?}",
            r.question_about
        );
        assert!(r.notes.iter().any(|n| n.starts_with("I didn't catch")));
        assert!(!r.recommendations.is_empty(), "popular picks as a fallback");
    }
    assert_eq!(taste(&p), fresh, "nothing about taste was recorded");
    assert_eq!(
        p.history.len(),
        5,
        "each list shown is a turn, so positions work"
    );
    // Small talk too: answered in kind, never matched against the catalog.
    for (talk, said) in [
        ("hi", "Hello!"),
        ("how are you?", "Hello!"),
        ("thanks!", "You're welcome!"),
        ("I don't know", "No problem"),
    ] {
        let r = e.say(&mut p, talk).unwrap();
        assert!(
            r.notes.iter().any(|n| n.starts_with(said)),
            "{talk}: {:?}",
            r.notes
        );
        assert!(r.understood.themes.is_none(), "{talk}: {:?}", r.understood);
        assert!(
            r.recommendations
                .iter()
                .all(|x| x.because.signal != kith::core::rank::Signal::Theme),
            "{talk}"
        );
        assert!(r.question.is_some());
    }
    assert_eq!(taste(&p), fresh, "small talk recorded nothing about taste");
    // The pick is answered like any pick question.
    let Some(Pending::Items { ids }) = p.pending.clone() else {
        panic!("a pick is pending: {:?}", p.pending);
    };
    let r = e.say(&mut p, "the second one").unwrap();
    assert!(p.pick(&ids[1]).is_some_and(|s| s > 0.0), "{:?}", p.picks);
    assert_eq!(r.understood.liked.len(), 1);
    // Thanks once the engine knows something changes nothing and asks nothing.
    let before = p.clone();
    let r = e.say(&mut p, "thanks!").unwrap();
    assert_eq!(p, before);
    assert!(r.question.is_none());
    // A very long answer is handled, not rejected.
    let long = "I loved Dune ".repeat(2000);
    assert!(e.say(&mut p, &long).is_ok());
}

#[test]
fn html_in_titles_is_carried_verbatim_as_text() {
    let e = engine();
    let mut p = e.new_profile();
    let r = e.say(&mut p, "horror").unwrap();
    let t: Vec<&str> = r.recommendations.iter().map(|x| x.title.as_str()).collect();
    assert!(t.contains(&"<img src=x onerror=alert(1)>"), "{t:?}");
}

#[test]
fn a_vague_start_gets_an_informative_question_and_the_answer_counts() {
    let e = engine();
    let mut p = e.new_profile();
    let r = e.say(&mut p, "something good to read").unwrap();
    let q = r.question.expect("unsure, so Kith asks");
    let tag = match r.question_about.expect("question has a subject") {
        Pending::Tag { tag } => tag,
        other => panic!("expected a tag question, got {other:?}"),
    };
    assert!(q.contains(&tag.replace('-', " ")), "{q}");
    let r = e.say(&mut p, "yes").unwrap();
    assert!(p.wanted_tags.contains(&tag));
    assert!(r.understood.wanted_tags.contains(&tag));
    assert!(p.pending.is_none());
}

#[test]
fn profiles_round_trip_and_bad_ones_are_refused() {
    let e = engine();
    let mut p = e.new_profile();
    e.say(&mut p, "I loved Dune").unwrap();
    let back = e.open_profile(&p.to_json()).unwrap();
    assert_eq!(back, p);
    assert_eq!(
        e.recommend(&back).unwrap().recommendations,
        e.recommend(&p).unwrap().recommendations
    );
    assert!(matches!(
        e.open_profile("{\"version\": 2, \"catalog\": \"other\"}"),
        Err(EngineError::WrongCatalog { .. })
    ));
    assert!(matches!(
        e.open_profile("garbage"),
        Err(EngineError::Profile(_))
    ));
    let mut c = p.controls.clone();
    c.diversity = 2.0;
    assert!(matches!(
        e.set_controls(&mut p, c),
        Err(EngineError::InvalidControls(_))
    ));
    let mut c = p.controls.clone();
    c.diversity = 1.0;
    c.count = 3;
    let r = e.set_controls(&mut p, c).unwrap();
    assert_eq!(r.recommendations.len(), 3);
    let _ = Profile::default();
}

#[test]
fn diversity_spreads_the_list() {
    let e = engine();
    let mut focused = e.new_profile();
    focused.controls.diversity = 0.0;
    focused.controls.count = 4;
    let a = e.say(&mut focused, "I loved Dune").unwrap();
    let mut varied = e.new_profile();
    varied.controls.diversity = 0.9;
    varied.controls.count = 4;
    let b = e.say(&mut varied, "I loved Dune").unwrap();
    let series = |r: &kith::core::session::Reply| {
        r.recommendations
            .iter()
            .filter(|x| x.title.contains("Dune"))
            .count()
    };
    assert!(series(&b) <= series(&a));
    assert!(
        series(&b) <= 2,
        "at most two of one series when diversity is on"
    );
}

#[test]
fn imported_item_factors_build_a_bundle_and_bad_files_name_the_line() {
    let (dir, data) = dataset();
    let mut csv = String::from("item,f1,f2,bias\n");
    for i in 1..=10 {
        csv.push_str(&format!(
            "{i},{},{},0.1\n",
            i as f32 * 0.1,
            1.0 - i as f32 * 0.05
        ));
    }
    let path = dir.path().join("factors.csv");
    std::fs::write(&path, &csv).unwrap();
    let (dim, rows) = read_item_factors(&path, &data.catalog).unwrap();
    assert_eq!(dim, 2);
    assert_eq!(rows.iter().filter(|r| r.is_some()).count(), 10);
    let (bundle, report) = build(
        &data,
        BuildInputs {
            info: CatalogInfo {
                name: "imported".into(),
                item_noun: ("book".into(), "books".into()),
                consume_verb: "read".into(),
                creator_verb: String::new(),
                attribution: String::new(),
            },
            encoder: None,
            imported: Some((dim, rows)),
            mf: MfSettings::Given(als()),
            fallback_als: als(),
            bridge_lambda: Some(1.0),
            facet_settings: Vec::new(),
        },
        &|_, _, _| {},
    )
    .unwrap();
    assert_eq!(bundle.mf.dim, 2);
    assert_eq!(bundle.mf.item_bias[0], 0.1);
    assert_eq!(report.cold_items, 2, "two catalog items had no factors");
    assert!(bundle.meta.mf_source.contains("imported"));

    for (body, needle) in [
        ("item,f1\n999,0.5\n", ":2:"),
        ("item,f1\n1,abc\n", "not a number"),
        ("item,f1\n1,0.5\n1,0.5\n", "twice"),
        ("item,f1\n1,0.5,7\n", "fields"),
        ("item\n1\n", "at least one factor"),
    ] {
        std::fs::write(&path, body).unwrap();
        let err = read_item_factors(&path, &data.catalog)
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{body:?} → {err}");
    }
}

/// Two tabs open on the same stored profile: each says and rates something,
/// they save one after the other, and neither tab's changes are lost.
#[test]
fn two_tabs_lose_no_update() {
    use kith::core::sync::{Change, Synced};
    let e = engine();
    let mut first = Synced::new(e.new_profile());
    first
        .apply(
            &e,
            Change::Say {
                text: "I loved Dune".into(),
            },
        )
        .unwrap();
    let stored = first.commit();

    // Both tabs load revision 1.
    let mut a = Synced::new(e.open_profile(&stored).unwrap());
    let mut b = Synced::new(e.open_profile(&stored).unwrap());
    a.apply(
        &e,
        Change::Feedback {
            id: "4".into(),
            feedback: Feedback::Love,
        },
    )
    .unwrap();
    b.apply(
        &e,
        Change::Say {
            text: "something by Jane Austen".into(),
        },
    )
    .unwrap();
    b.apply(
        &e,
        Change::Feedback {
            id: "9".into(),
            feedback: Feedback::NotForMe,
        },
    )
    .unwrap();

    // Tab A saves first: nothing written in between, nothing replayed.
    let got = a.absorb(&e, Some(&stored)).unwrap();
    assert!(!got.merged);
    let stored = a.commit();
    assert_eq!(Profile::from_json(&stored).unwrap().revision, 2);

    // Tab B saves next: A's revision is newer, B's two changes replay on top.
    let got = b.absorb(&e, Some(&stored)).unwrap();
    assert!(got.merged);
    assert_eq!(got.replayed, 2);
    assert!(got.failed.is_empty());
    let stored = b.commit();
    let p = Profile::from_json(&stored).unwrap();
    assert_eq!(p.revision, 3);
    assert_eq!(p.pick("4"), Some(1.0), "tab A's love survives");
    assert_eq!(p.pick("9"), Some(-1.0), "tab B's rejection survives");
    assert!(p.wanted_creators.iter().any(|c| c.contains("Austen")));
    let said: Vec<&str> = p.history.iter().map(|t| t.said.as_str()).collect();
    assert_eq!(said[0], "I loved Dune");
    assert_eq!(said.len(), 4, "every turn of both tabs: {said:?}");

    // Tab A then learns of B's save and adopts it (no unsaved changes).
    let got = a.absorb(&e, Some(&stored)).unwrap();
    assert!(got.merged && got.replayed == 0);
    assert_eq!(a.profile(), &p);

    // Everything deleted in tab A; tab B's later change survives alone.
    a.reset(&e);
    b.apply(
        &e,
        Change::Say {
            text: "horror please".into(),
        },
    )
    .unwrap();
    let got = b.absorb(&e, None).unwrap();
    assert!(got.merged);
    assert_eq!(b.profile().history.len(), 1);
    assert!(
        b.profile().pick("4").is_none(),
        "deleted data stays deleted"
    );

    // An import replaces the profile and its next save outranks the stored one.
    let stored = b.commit();
    let mut old = Synced::new(e.new_profile());
    old.apply(
        &e,
        Change::Say {
            text: "Hyperion".into(),
        },
    )
    .unwrap();
    let export = old.commit();
    let mut c = Synced::new(e.open_profile(&stored).unwrap());
    assert!(c.import(&e, "{broken", Some(&stored)).is_err());
    c.import(&e, &export, Some(&stored)).unwrap();
    let written = c.commit();
    let w = Profile::from_json(&written).unwrap();
    assert!(w.revision > Profile::from_json(&stored).unwrap().revision);
    assert_eq!(w.history.len(), 1);
    assert!(b.absorb(&e, Some(&written)).unwrap().merged);
    assert_eq!(b.profile().history[0].said, "Hyperion");

    // An unreadable stored record is an error and changes nothing.
    let before = b.profile().clone();
    assert!(b.absorb(&e, Some("{broken")).is_err());
    assert_eq!(b.profile(), &before);
}

#[test]
fn a_failed_write_loses_no_change_and_a_wiped_store_is_refilled_from_the_tab() {
    use kith::core::sync::{Change, Synced};
    let e = engine();
    let say = |t: &str| Change::Say { text: t.into() };
    let mut tab = Synced::new(e.new_profile());
    tab.apply(&e, say("I loved Dune")).unwrap();
    let stored = tab.commit();

    // The next write fails (storage full): nothing is marked saved, and the
    // change goes into the following save, after another tab's.
    tab.apply(&e, say("something by Jane Austen")).unwrap();
    let attempt = tab.to_save();
    assert_eq!(Profile::from_json(&attempt).unwrap().revision, 2);
    assert_eq!(tab.unsaved().len(), 1, "still unsaved after a failed write");
    let mut other = Synced::new(e.open_profile(&stored).unwrap());
    other.apply(&e, say("It by Stephen King")).unwrap();
    let theirs = other.commit();
    assert!(tab.absorb(&e, Some(&theirs)).unwrap().merged);
    let said: Vec<String> = tab
        .profile()
        .history
        .iter()
        .map(|t| t.said.clone())
        .collect();
    assert_eq!(
        said,
        [
            "I loved Dune",
            "It by Stephen King",
            "something by Jane Austen"
        ]
    );
    let json = tab.to_save();
    tab.saved();
    assert!(tab.unsaved().is_empty());
    assert!(
        Profile::from_json(&json).unwrap().revision > Profile::from_json(&theirs).unwrap().revision
    );

    // Storage wiped under the tab: the tab's whole profile is written again
    // (absorbing "nothing stored" would have kept only unsaved changes).
    tab.apply(&e, say("no horror")).unwrap();
    tab.keep_after_wipe();
    assert!(!tab.absorb(&e, None).unwrap().merged);
    let rewritten = Profile::from_json(&tab.commit()).unwrap();
    assert_eq!(rewritten.history.len(), 4);
    assert_eq!(rewritten.revision, 1);
}

#[test]
fn variants_change_the_ranking_and_label_events() {
    let e = engine();
    let mut p = e.new_profile();
    assert!(matches!(
        e.set_variant(&mut p, Some("bogus")),
        Err(EngineError::Variant(_))
    ));
    assert_eq!(p.variant, None, "an unknown variant changes nothing");
    e.set_variant(&mut p, Some("No-Questions")).unwrap();
    assert_eq!(p.variant.as_deref(), Some("no-questions"));
    let r = e.say(&mut p, "I want a good book").unwrap();
    assert!(r.question.is_none(), "no-questions never asks");
    assert!(p
        .events
        .iter()
        .all(|ev| ev.variant.as_deref() == Some("no-questions")));
    let mut q = e.new_profile();
    let r = e.say(&mut q, "I want a good book").unwrap();
    assert!(r.question.is_some(), "the default asks when unsure");
    assert!(q.events.iter().all(|ev| ev.variant.is_none()));

    // Scores differ between variants on the same answer.
    let scores = |v: &str| {
        let mut p = e.new_profile();
        e.set_variant(&mut p, Some(v)).unwrap();
        let r = e.say(&mut p, "I loved Dune").unwrap();
        r.recommendations
            .iter()
            .map(|x| x.score)
            .collect::<Vec<_>>()
    };
    assert_ne!(scores("balanced"), scores("discovery"));
}

/// A stand-in for the language model: says a fixed sentence, or fails.
struct Says(Result<&'static str, &'static str>);

impl kith::core::phrasing::Generator for Says {
    fn generate(
        &mut self,
        prompt: &str,
        _max: usize,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<String, String> {
        assert!(
            (prompt.contains("Reason: ") || prompt.contains("Question: "))
                && prompt.ends_with("<|im_start|>assistant\n")
        );
        let s = self.0.map_err(str::to_string)?;
        on_text(s);
        Ok(s.to_string())
    }
}

#[test]
fn the_phrasing_guard_keeps_grounded_sentences_and_rejects_the_rest() {
    use kith::core::phrasing::{phrase, reply_facts, PhrasingStats, Rejection, Slot};
    let e = engine();
    let mut p = e.new_profile();
    let r = e.say(&mut p, "I loved Dune").unwrap();
    let facts = reply_facts(&e, &p, &r, 10);
    let (slot, f) = facts
        .iter()
        .find(|(_, f)| f.template.starts_with("Next in the Dune"))
        .expect("a next-in-series reason")
        .clone();
    assert!(matches!(slot, Slot::Recommendation(_)));
    assert_eq!(f.required, vec!["Dune (Dune Chronicles, #1)".to_string()]);
    let mut stats = PhrasingStats::default();
    let mut run = |said: Result<&'static str, &'static str>| {
        let mut streamed = String::new();
        let out = phrase(
            &mut Says(said),
            &f,
            &kith::core::phrasing::Grounding::of(&e),
            &mut |t| {
                streamed.push_str(t);
                true
            },
        );
        stats.add(&out);
        if out.kept {
            assert_eq!(streamed.trim(), out.text, "what streamed is what is kept");
        }
        out
    };

    let ok = run(Ok(
        "Loved Dune? Dune Messiah by Frank Herbert picks up right where it ends.",
    ));
    assert!(ok.kept, "{:?}", ok.rejection);
    assert_eq!(
        ok.text,
        "Loved Dune? Dune Messiah by Frank Herbert picks up right where it ends."
    );

    let bad = |out: kith::core::phrasing::Phrased| {
        assert!(!out.kept, "kept: {:?}", out.generated);
        assert_eq!(out.text, f.template, "the template is shown instead");
        out.rejection.unwrap()
    };
    assert_eq!(
        bad(run(Ok("If you liked Dune, you will love Hyperion too."))),
        Rejection::Invented("Hyperion".into())
    );
    assert_eq!(
        bad(run(Ok(
            "Fans of Dune adore \u{201c}The Sands of Time\u{201d}."
        ))),
        Rejection::Invented("The Sands of Time".into())
    );
    assert!(matches!(
        bad(run(Ok("Dune fans also like Stephen King."))),
        Rejection::Invented(_)
    ));
    assert!(matches!(
        bad(run(Ok("This one continues the saga you started."))),
        Rejection::Missing(_)
    ));
    assert_eq!(
        bad(run(Ok("Loved Dune? Then read more Dune."))),
        Rejection::Missing("Dune Messiah (Dune Chronicles, #2)".into())
    );
    assert_eq!(
        bad(run(Ok("Dune Messiah is a book of Dune, a book of Dune."))),
        Rejection::Repetitive
    );
    assert_eq!(
        bad(run(Ok("Loved Dune? Dune Messiah is full of vampires."))),
        Rejection::Invented("vampires".into())
    );
    assert_eq!(
        bad(run(Ok("Loved Dune? Dune Messiah (Book Two) continues it."))),
        Rejection::Invented("(Book Two)".into())
    );
    assert_eq!(
        bad(run(Ok("As an AI, I think Dune readers like it."))),
        Rejection::OffTopic("as an ai".into())
    );
    assert_eq!(bad(run(Ok("Dune "))), Rejection::Empty);
    let long: &'static str = Box::leak(format!("Dune {}", "and more ".repeat(30)).into_boxed_str());
    assert_eq!(bad(run(Ok(long))), Rejection::TooLong);
    assert!(matches!(
        bad(run(Err("out of memory"))),
        Rejection::Failed(_)
    ));
    assert_eq!(stats.kept, 1);
    assert_eq!(stats.rejected, 12);
    assert_eq!(stats.reasons["invented"], 5);
    assert!((stats.rejection_rate() - 12.0 / 13.0).abs() < 1e-6);

    // Avoided topics stay unnamed; a question must stay a question about its topic.
    let mut p = e.new_profile();
    e.set_controls(
        &mut p,
        kith::core::profile::Controls {
            avoid_topics: vec!["horror".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let r = e.say(&mut p, "I want a good book").unwrap();
    let facts = reply_facts(&e, &p, &r, 3);
    let (_, q) = facts
        .iter()
        .find(|(s, _)| *s == Slot::Question)
        .expect("a question")
        .clone();
    let topic = q.asked_topic.clone().expect("a tag question");
    let ask = |said: String| {
        phrase(
            &mut Says(Ok(Box::leak(said.into_boxed_str()))),
            &q,
            &kith::core::phrasing::Grounding::of(&e),
            &mut |_| true,
        )
    };
    let good = ask(format!("Fancy something {topic} today?"));
    assert!(good.kept, "{:?}", good.rejection);
    assert_eq!(
        ask(format!("You might enjoy some {topic}.")).rejection,
        Some(Rejection::NotAQuestion)
    );
    assert!(matches!(
        ask("Do you fancy a good read?".into()).rejection,
        Some(Rejection::Missing(_))
    ));
    assert_eq!(
        ask(format!("Fancy some {topic}, or maybe horror?")).rejection,
        Some(Rejection::Avoided("horror".into()))
    );
}

/// The phrasing prompt speaks the catalog's words: a film catalog's prompt
/// names films, viewers and directing, and nothing of books or reading.
#[test]
fn the_phrasing_prompt_uses_the_catalogs_own_words() {
    use kith::core::phrasing::{prompt, Facts, Kind, Purpose};
    use kith::core::words::Words;
    let films = Words::new("film", "films", "viewers", "directed", "watched");
    let kinds = [
        Kind::ReadersLikeYou,
        Kind::Series,
        Kind::Theme,
        Kind::Creator,
        Kind::Tags,
        Kind::Popular,
        Kind::General,
        Kind::TagQuestion,
        Kind::ItemsQuestion,
    ];
    let mut all = String::new();
    for kind in kinds {
        let f = Facts {
            purpose: Purpose::Explanation,
            kind,
            template: "A good place to start.".into(),
            item: Some("Heat".into()),
            titles: vec![],
            creators: vec![],
            topics: vec![],
            phrase: None,
            required: vec![],
            asked_topic: None,
            avoided: vec![],
        };
        let p = prompt(&f, &films);
        assert!(p.contains("a collection of films"), "{p}");
        assert!(p.ends_with(
            "Item: Heat. Reason: A good place to start.<|im_end|>\n<|im_start|>assistant\n"
        ));
        all.push_str(&p);
    }
    let lower = all.to_lowercase();
    for word in ["book", "read", "bookseller", "wrote"] {
        assert!(!lower.contains(word), "{word:?} in a film catalog's prompt");
    }
    for word in [
        "viewers who liked",
        "who directed",
        "loved films",
        "many viewers",
    ] {
        assert!(lower.contains(word), "{word:?} missing");
    }
}

/// The tiny bundle with made-up text embeddings (4 dimensions) and a
/// bridge, so it splits into a core and a text part.
fn tiny_bundle_with_text() -> Bundle {
    let mut b = tiny_bundle();
    let rows: Vec<Vec<f32>> = (0..b.catalog.len())
        .map(|i| vec![1.0, i as f32 * 0.1, 0.5, -0.25])
        .collect();
    b.item_embeddings = QuantizedEmbeddings::from_rows(4, &rows).unwrap();
    let tags: Vec<Vec<f32>> = (0..b.attributes.tags.len())
        .map(|i| vec![0.5, 1.0, i as f32 * 0.2, 0.0])
        .collect();
    b.tag_embeddings = QuantizedEmbeddings::from_rows(4, &tags).unwrap();
    b
}

#[test]
fn a_bundle_loads_in_parts_and_answers_before_the_text_arrives() {
    let b = tiny_bundle_with_text();
    let parts = b.to_parts();
    let kinds: Vec<Part> = parts.iter().map(|p| p.0).collect();
    assert_eq!(
        kinds,
        vec![Part::Core, Part::Text],
        "no encoder, no encoder part"
    );
    let (core, text) = (&parts[0].1, &parts[1].1);

    // The core alone answers from titles and MF.
    let mut e = Engine::load(core).expect("a core part loads as a bundle");
    assert!(e.bundle().item_embeddings.is_empty());
    let mut p = e.new_profile();
    let r = e.say(&mut p, "I loved Dune").unwrap();
    assert_eq!(r.understood.liked.len(), 1);
    assert!(!r.recommendations.is_empty());

    // A corrupt, foreign or core part is refused and changes nothing.
    let mut broken = text.clone();
    let last = broken.len() - 3;
    broken[last] ^= 0x20;
    assert!(matches!(
        e.attach(&broken),
        Err(EngineError::Bundle(BundleError::Checksum(_)))
    ));
    assert!(matches!(e.attach(core), Err(EngineError::Part(_))));
    let mut other = b.clone();
    other.catalog.items_mut()[0].title = "Dune, revised".into();
    let foreign = other.to_parts().remove(1).1;
    let err = e.attach(&foreign).unwrap_err();
    assert!(err.to_string().contains("another catalog"), "{err}");
    assert!(e.bundle().item_embeddings.is_empty());

    // The text part lands: the next turn has it, the profile goes on.
    assert_eq!(e.attach(text).unwrap(), Part::Text);
    assert_eq!(e.bundle().item_embeddings, b.item_embeddings);
    assert_eq!(e.bundle().tag_embeddings, b.tag_embeddings);
    let again = e.say(&mut p, "and Hyperion too").unwrap();
    assert!(!again.recommendations.is_empty());
    assert_eq!(p.history.len(), 2, "no turn lost across the attach");

    // Staged or whole, the same bundle in the end.
    let whole = Engine::load(&b.to_bytes()).unwrap();
    assert_eq!(whole.bundle().item_embeddings, e.bundle().item_embeddings);
    assert_eq!(whole.bundle().mf, e.bundle().mf);
}

#[test]
fn the_manifest_names_each_part_by_its_content() {
    let b = tiny_bundle_with_text();
    let (manifest, files) = kith::offline::build::split::split(&b, "tiny");
    assert_eq!(manifest.parts.len(), 2);
    assert_eq!(Manifest::from_json(&manifest.to_json()).unwrap(), manifest);
    for (listed, file) in manifest.parts.iter().zip(&files) {
        assert_eq!(listed.file, file.name);
        assert_eq!(listed.bytes, file.bytes.len() as u64);
        assert!(file
            .name
            .starts_with(&format!("tiny.{}.", listed.part.name())));
        assert!(file.name.contains(&listed.sha256[..16]));
    }
    // A new catalog version changes the core and text names; the same
    // bundle written again gives the same names.
    let (same, _) = kith::offline::build::split::split(&b, "tiny");
    assert_eq!(same, manifest);
    let mut newer = b.clone();
    newer.catalog.items_mut()[1].title = "Dune Messiah".into();
    let (next, _) = kith::offline::build::split::split(&newer, "tiny");
    assert_ne!(next.parts[0].file, manifest.parts[0].file);
}

/// A conversation's phrasing state (the browser's `phraseBegin` …
/// `phraseEnd`): a prompt for new facts, the guard on what comes back, and
/// the same facts never generated twice.
#[test]
fn a_phrasing_session_guards_each_sentence_and_remembers_its_result() {
    use kith::core::phrasing::{reply_facts, Begin, PhrasingSession};
    let e = engine();
    let mut p = e.new_profile();
    let r = e.say(&mut p, "I loved Dune").unwrap();
    let n = reply_facts(&e, &p, &r, 3).len();
    assert!(n > 0);
    let mut s = PhrasingSession::default();
    assert_eq!(s.begin(&e, &p, &r, 3, n), None, "no such sentence");
    assert!(
        s.end(&e, Ok("anything".into())).is_none(),
        "nothing under way"
    );
    let Some(Begin::Prompt(prompt)) = s.begin(&e, &p, &r, 3, 0) else {
        panic!("new facts need the model");
    };
    assert!(prompt.ends_with("<|im_start|>assistant\n"));
    // A name the facts do not hold is never shown, and the sentence is rejected.
    let (shown, _) = s.piece(&e, "You might enjoy Emma by Jane Austen, a fine");
    assert!(!shown.contains("Emma"), "{shown}");
    let (first, _) = s
        .end(&e, Ok("You might enjoy Emma by Jane Austen.".into()))
        .expect("under way");
    assert!(!first.kept);
    assert_eq!(s.stats().rejected, 1);
    // The same facts again: the remembered result, no generation.
    assert_eq!(s.begin(&e, &p, &r, 3, 0), Some(Begin::Done(first)));
    assert!(s.end(&e, Ok("x".into())).is_none());
    assert_eq!(s.stats().rejected, 2);
}

/// A site owner's facet corrections are part of the build: applied after
/// learning, and a setting naming a tag the catalog lacks refuses the build
/// (and is caught before it by `check_facet_settings`).
#[test]
fn facet_settings_are_applied_by_the_build_and_checked_before_it() {
    use kith::core::facets::Facet;
    use kith::offline::build::bundle::{build, check_facet_settings, BuildError};
    let (_dir, data) = dataset();
    let (b, _) = build(&data, tiny_inputs(&["light=classics"]), &|_, _, _| {}).expect("builds");
    assert_eq!(
        b.attributes.facet_tags(Facet::Light),
        ["classics".to_string()]
    );
    assert!(check_facet_settings(&data, &["light=classics".into()]).is_ok());
    assert!(check_facet_settings(&data, &["light=no-such-tag".into()]).is_err());
    assert!(matches!(
        build(&data, tiny_inputs(&["light=no-such-tag"]), &|_, _, _| {}),
        Err(BuildError::Facet(_))
    ));
}

/// The profile view's summary: picks with their titles, what was asked for
/// and avoided, in the keys the page reads.
#[test]
fn the_profile_summary_names_picks_and_requests() {
    let e = engine();
    let mut p = e.new_profile();
    e.say(&mut p, "I loved Dune but not Emma").unwrap();
    e.say(&mut p, "something with classics").unwrap();
    p.picks.push(kith::core::profile::Pick {
        id: "no-such-item".into(),
        strength: 1.0,
    });
    let s = e.profile_summary(&p);
    let titles: Vec<(&str, f32)> = s
        .picks
        .iter()
        .map(|x| (x.title.as_str(), x.strength))
        .collect();
    assert!(
        titles.contains(&("Dune (Dune Chronicles, #1)", 1.0)),
        "{titles:?}"
    );
    assert!(titles.contains(&("Emma", -1.0)), "{titles:?}");
    assert_eq!(s.picks.len(), 2, "an id the catalog lacks is left out");
    assert!(s.wanted_tags.contains(&"classics".to_string()));
    assert_eq!(s.turns, p.history.len());
    let v = serde_json::to_value(&s).unwrap();
    for key in [
        "picks",
        "seen",
        "wantedTags",
        "avoidedTags",
        "avoidTopics",
        "wantedCreators",
        "avoidedCreators",
        "turns",
        "acceptance",
        "controls",
    ] {
        assert!(v.get(key).is_some(), "no {key}");
    }
}
