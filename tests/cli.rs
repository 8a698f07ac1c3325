//! The `kith` binary's contract: help, JSON shape, errors, and the seeded
//! MovieLens 100K figures.

mod common;

use common::{kith, kith_with_input, stderr, stdout};

use std::process::Command;

const METRICS: [&str; 10] = [
    "precision",
    "recall",
    "ndcg",
    "map",
    "hr",
    "mrr",
    "coverage",
    "ild",
    "novelty",
    "gini",
];

#[test]
fn every_subcommand_has_help() {
    let o = kith(&["--help"]);
    assert!(o.status.success());
    for sub in [
        "eval",
        "tune",
        "serve",
        "build",
        "split",
        "recommend",
        "chat",
        "simulate",
        "coldstart",
    ] {
        assert!(stdout(&o).contains(sub), "{sub} missing from --help");
        let h = kith(&[sub, "--help"]);
        assert!(h.status.success(), "{sub} --help failed");
        assert!(stdout(&h).len() > 100, "{sub} --help says too little");
    }
}

#[test]
fn eval_on_given_files_prints_the_documented_json() {
    let dir = common::folder(&[
        (
            "train.tsv",
            "u1\ta\t5\nu1\tb\t4\nu2\tb\t3\nu2\tc\t1\nu3\ta\t2\nu3\tc\t5\n",
        ),
        ("test.csv", "u1,c\nu2,a\nu3,b\n"),
    ]);
    let o = kith(&[
        "eval",
        "--train",
        dir.path().join("train.tsv").to_str().unwrap(),
        "--test",
        dir.path().join("test.csv").to_str().unwrap(),
        "--k",
        "2",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(v["protocol"]["k"], 2);
    assert_eq!(v["protocol"]["evaluated_users"], 3);
    let models = v["models"].as_object().unwrap();
    let names: Vec<&str> = models.keys().map(String::as_str).collect();
    for m in ["popularity", "random", "bpr", "als"] {
        assert!(names.contains(&m), "{m} missing: {names:?}");
        let keys: Vec<&str> = models[m]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let want: Vec<String> = METRICS.iter().map(|n| format!("{n}@2")).collect();
        assert_eq!(keys, want, "{m}'s keys");
    }
    // Each user has 2 of 3 items in train: the one item left is always recommended.
    assert_eq!(models["popularity"]["hr@2"], 1.0);
}

#[test]
fn errors_are_one_line_and_exit_non_zero() {
    let o = kith(&["eval", "--format", "csv", "--data", "/nonexistent/folder"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("kith: error: "), "{err}");
    assert!(err.contains("items.csv"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let dir = common::folder(&[
        ("items.csv", "id,title\na,A\n"),
        ("interactions.csv", "user,item\nu,a\nu,b\n"),
    ]);
    let o = kith(&[
        "eval",
        "--format",
        "csv",
        "--data",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("interactions.csv:3: unknown item \"b\""),
        "{}",
        stderr(&o)
    );

    let o = kith(&[
        "eval",
        "--format",
        "csv",
        "--data",
        dir.path().to_str().unwrap(),
        "--models",
        "magic",
    ]);
    assert!(
        stderr(&o).contains("unknown model \"magic\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn movielens_figures_are_reproducible_and_mf_beats_the_baselines() {
    let data = common::shared_data("ml-100k");
    let o = kith(&[
        "eval",
        "--format",
        "ml100k",
        "--data",
        data.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["protocol"]["train_interactions"], 74887);
    assert_eq!(v["protocol"]["test_interactions"], 25113);
    let ndcg = |m: &str| v["models"][m]["ndcg@10"].as_f64().unwrap();
    // Popularity is deterministic given the split.
    assert!(
        (ndcg("popularity") - 0.2515).abs() < 5e-4,
        "{}",
        ndcg("popularity")
    );
    assert!(ndcg("random") < 0.05);
    assert!(ndcg("bpr") > 0.44, "bpr {}", ndcg("bpr"));
    // The issue's target for the best MF model (measured 0.4821).
    assert!(ndcg("als") >= 0.48, "als {}", ndcg("als"));
}

#[test]
fn eval_takes_hyper_parameter_overrides_and_refuses_bad_ones() {
    let dir = common::folder(&[
        ("train.tsv", "u1\ta\nu1\tb\nu2\tb\nu2\tc\nu3\ta\nu3\tc\n"),
        ("test.tsv", "u1\tc\nu2\ta\nu3\tb\n"),
    ]);
    let train = dir.path().join("train.tsv");
    let test = dir.path().join("test.tsv");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "eval",
            "--train",
            train.to_str().unwrap(),
            "--test",
            test.to_str().unwrap(),
            "--models",
            "als",
            "--json",
        ];
        args.extend_from_slice(extra);
        kith(&args)
    };
    let o = run(&["--als", r#"{"dim": 2, "reg": 0.1, "alpha": 5}"#]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["--als", r#"{"dimension": 2}"#]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("--als")
            && err.contains("unknown field \"dimension\"")
            && err.contains("reg_exponent"),
        "{err}"
    );
    let o = run(&["--als", r#"{"dim": "big"}"#]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("wrong type"), "{}", stderr(&o));
    // A value the trainer refuses is its typed error, not a panic.
    let o = run(&["--als", r#"{"reg": 0}"#]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("invalid parameter"), "{}", stderr(&o));
}

#[test]
fn a_saved_split_reads_back_as_the_same_protocol() {
    let data = common::shared_data("ml-100k");
    let out = tempfile::tempdir().unwrap();
    let split = out.path().join("split");
    let o = kith(&[
        "eval",
        "--format",
        "ml100k",
        "--data",
        data.to_str().unwrap(),
        "--models",
        "popularity",
        "--json",
        "--save-split",
        split.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let first: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let train = std::fs::read_to_string(split.join("train.tsv")).unwrap();
    let test = std::fs::read_to_string(split.join("test.tsv")).unwrap();
    assert_eq!(train.lines().count(), 74887);
    assert_eq!(test.lines().count(), 25113);
    // The data set's own ids and ratings: user 196 rated item 242 three stars.
    assert!(
        train.contains("196\t242\t3\n") || test.contains("196\t242\t3\n"),
        "u.data's first row is missing"
    );
    let o = kith(&[
        "eval",
        "--train",
        split.join("train.tsv").to_str().unwrap(),
        "--test",
        split.join("test.tsv").to_str().unwrap(),
        "--models",
        "popularity",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let again: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for key in ["train_interactions", "test_interactions", "evaluated_users"] {
        assert_eq!(again["protocol"][key], first["protocol"][key], "{key}");
    }
    // Items never rated are absent from the files, and popularity ties may
    // break in another order, so the figure agrees closely, not bit for bit.
    let ndcg = |v: &serde_json::Value| v["models"]["popularity"]["ndcg@10"].as_f64().unwrap();
    assert!(
        (ndcg(&again) - ndcg(&first)).abs() < 2e-3,
        "{} vs {}",
        ndcg(&again),
        ndcg(&first)
    );

    // --save-split needs --data.
    let o = kith(&["eval", "--train", "a", "--test", "b", "--save-split", "x"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--data"), "{}", stderr(&o));
}

#[test]
fn tune_picks_the_sensible_configuration_under_either_scheme() {
    // 40 users in two taste groups of 10 items each; every user chose 8 of
    // their group's items.
    let mut items = String::from("id,title\n");
    for i in 0..20 {
        items.push_str(&format!("i{i},Item {i}\n"));
    }
    let mut inter = String::from("user,item\n");
    for u in 0..40 {
        let base = if u < 20 { 0 } else { 10 };
        for k in 0..10 {
            if (u + k) % 5 != 0 && (u + 2 * k) % 7 != 0 {
                inter.push_str(&format!("u{u},i{}\n", base + k));
            }
        }
    }
    let dir = common::folder(&[("items.csv", &items), ("interactions.csv", &inter)]);
    let tune = |extra: &[&str]| {
        let mut args = vec![
            "tune",
            "--format",
            "csv",
            "--data",
            dir.path().to_str().unwrap(),
            "--trainer",
            "als",
        ];
        args.extend_from_slice(extra);
        kith(&args)
    };
    for scheme in ["user-folds", "every-user"] {
        let o = tune(&[
            "--validation",
            scheme,
            "--holdout",
            "0.3",
            "--dims",
            "4",
            "--reg-exponents",
            "0",
            "--regs",
            "100000,0.1",
            "--alphas",
            "5",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        let best = lines[3];
        // A penalty that flattens every factor cannot find the two groups.
        assert!(best.contains("reg: 0.1,"), "{scheme}: {out}");
    }
    let o = tune(&["--holdout", "1.5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("invalid validation plan"),
        "{}",
        stderr(&o)
    );
}

/// A tiny generic catalog: two taste groups.
fn tiny_catalog() -> tempfile::TempDir {
    let items = "id,title,creator,tags\n\
        a,Dune,Frank Herbert,science-fiction\n\
        b,Hyperion,Dan Simmons,science-fiction\n\
        c,Foundation,Isaac Asimov,science-fiction\n\
        d,Emma,Jane Austen,romance\n\
        e,Persuasion,Jane Austen,romance\n\
        f,Jane Eyre,Charlotte Bronte,romance\n";
    let mut inter = String::from("user,item\n");
    for u in 0..12 {
        let group = if u % 2 == 0 {
            ["a", "b", "c"]
        } else {
            ["d", "e", "f"]
        };
        for (k, i) in group.iter().enumerate() {
            if (u + k) % 3 != 0 {
                inter.push_str(&format!("u{u},{i}\n"));
            }
        }
    }
    common::folder(&[("items.csv", items), ("interactions.csv", &inter)])
}

/// The tiny catalog built without an encoder into `DIR/tiny.kith`.
fn tiny_bundle(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let out = dir.path().join("tiny.kith");
    let o = kith(&[
        "build",
        "--format",
        "csv",
        "--data",
        dir.path().to_str().unwrap(),
        "--no-encoder",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

#[test]
fn a_site_owner_sets_facets_at_build_time_and_typos_are_refused_first() {
    let dir = tiny_catalog();
    let out = dir.path().join("moods.kith");
    let build = |facet: &str| {
        kith(&[
            "build",
            "--format",
            "csv",
            "--data",
            dir.path().to_str().unwrap(),
            "--no-encoder",
            "--facet",
            facet,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let o = build("light=romance");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("tags read as light-hearted: romance"),
        "{}",
        stderr(&o)
    );
    let o = kith(&[
        "recommend",
        "--bundle",
        out.to_str().unwrap(),
        "--say",
        "something light",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(v["understood"]["occasions"][0], "light-hearted");
    assert_eq!(v["recommendations"][0]["tags"][0], "romance", "{v}");
    std::fs::remove_file(&out).unwrap();
    for (bad, says) in [
        ("light=comedy", "the catalog has no tag \"comedy\""),
        ("cosy=romance", "no facet is called \"cosy\""),
        ("light", "is not NAME=TAG"),
    ] {
        let o = build(bad);
        assert!(!o.status.success(), "{bad} was accepted");
        assert!(stderr(&o).contains(says), "{bad}: {}", stderr(&o));
        assert!(!stderr(&o).contains("wrote"), "refused before building");
        assert!(!out.exists());
    }
}

#[test]
fn build_then_recommend_and_chat_from_the_bundle() {
    let dir = tiny_catalog();
    let out = dir.path().join("tiny.kith");
    let o = kith(&[
        "build",
        "--format",
        "csv",
        "--data",
        dir.path().to_str().unwrap(),
        "--no-encoder",
        "--noun",
        "book,books",
        "--verb",
        "read",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("wrote"), "{}", stderr(&o));

    let o = kith(&[
        "recommend",
        "--bundle",
        out.to_str().unwrap(),
        "--say",
        "I loved Dune",
        "--k",
        "3",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("understanding by meaning is off"),
        "{}",
        stderr(&o)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert!(v["question"].is_null() || v["question"].is_string());
    let recs = v["recommendations"].as_array().expect("recommendations");
    assert_eq!(recs.len(), 3);
    for r in recs {
        assert!(r["id"].is_string() && r["title"].is_string());
        assert!(r["score"].is_number());
        assert!(!r["explanation"].as_str().unwrap().is_empty());
    }
    assert_ne!(recs[0]["id"], "a", "Dune itself is not recommended");
    assert_eq!(recs[0]["title"], "Hyperion", "{recs:?}");

    // chat: scripted turns on stdin, the profile kept in a file.
    let profile = dir.path().join("me.json");
    let o = kith_with_input(
        &[
            "chat",
            "--bundle",
            out.to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
            "--k",
            "2",
        ],
        b"I loved Emma\n/love 1\n/nope 9\n/quit\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("What have you enjoyed reading lately?"),
        "{text}"
    );
    assert!(text.contains("understood: liked Emma"), "{text}");
    assert!(text.contains("give a number from the last list"), "{text}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    assert_eq!(
        saved["picks"].as_array().unwrap().len(),
        2,
        "Emma and the loved pick: {saved}"
    );

    // chat --llm: every sentence gets a verdict; a missing model is one clear error.
    let o = kith(&[
        "chat",
        "--bundle",
        out.to_str().unwrap(),
        "--llm",
        "/no/such/model.gguf",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("kith model fetch --llm"),
        "{}",
        stderr(&o)
    );
    let model = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/SmolLM2-135M-Instruct.q8.gguf"
    );
    let o = kith_with_input(
        &[
            "chat",
            "--bundle",
            out.to_str().unwrap(),
            "--k",
            "2",
            "--llm",
            model,
            "--phrase",
            "2",
        ],
        b"I loved Emma\n/quit\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("  ~  1: ") && text.contains("  ~  2: "),
        "{text}"
    );
    let tally = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("(phrasing: "))
        .expect("a kept / rejected tally");
    let n: Vec<u32> = tally
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|x| x.parse().ok())
        .collect();
    assert!(n.len() >= 2 && n[0] + n[1] >= 2, "{tally}");

    // A corrupt profile file is kept aside and a fresh one starts.
    std::fs::write(&profile, "{not json").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kith"))
        .args([
            "chat",
            "--bundle",
            out.to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(stderr(&o).contains("kept it as"), "{}", stderr(&o));
    assert!(dir.path().join("me.corrupt.json").exists());

    // A truncated bundle is a one-line error.
    let bytes = std::fs::read(&out).unwrap();
    let cut = dir.path().join("cut.kith");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let o = kith(&[
        "recommend",
        "--bundle",
        cut.to_str().unwrap(),
        "--say",
        "hi",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("truncated"), "{}", stderr(&o));
}

#[test]
fn chat_json_replays_a_scripted_dialogue_and_continues_from_its_profile() {
    let dir = tiny_catalog();
    let bundle = tiny_bundle(&dir);
    let profile = dir.path().join("me.json");
    let chat = |input: &str| {
        let o = kith_with_input(
            &[
                "chat",
                "--bundle",
                bundle.to_str().unwrap(),
                "--profile",
                profile.to_str().unwrap(),
                "--k",
                "3",
                "--json",
            ],
            input.as_bytes(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("every line is JSON"))
            .collect::<Vec<_>>()
    };
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["recommendations"]
            .as_array()
            .expect("a reply")
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let replies = chat(concat!(
        "{\"kind\":\"say\",\"text\":\"I loved Emma\"}\n",
        "\n",
        "hello\n",
        "{\"kind\":\"feedback\",\"id\":\"e\",\"feedback\":\"already_seen\"}\n",
        "{\"kind\":\"feedback\",\"id\":\"zzz\",\"feedback\":\"love\"}\n",
        "{\"kind\":\"controls\",\"controls\":{\"diversity\":0.2,\"count\":3}}\n",
    ));
    assert_eq!(
        replies.len(),
        5,
        "one line out per non-blank line in: {replies:?}"
    );
    let first = ids(&replies[0]);
    assert_eq!(first.len(), 3);
    assert!(
        !first.contains(&"d".to_string()),
        "Emma itself is not recommended: {first:?}"
    );
    assert!(
        replies[0]["understood"]["liked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "Emma"),
        "{}",
        replies[0]
    );
    assert!(
        replies[1]["error"]
            .as_str()
            .unwrap()
            .contains("not a change"),
        "{}",
        replies[1]
    );
    assert!(
        !ids(&replies[2]).contains(&"e".to_string()),
        "already seen is never shown again: {}",
        replies[2]
    );
    assert!(
        replies[3]["error"].is_string(),
        "an unknown id is an error line: {}",
        replies[3]
    );
    assert!(replies[4]["recommendations"].is_array(), "{}", replies[4]);
    // A second run continues from the profile file: Emma is still liked, Persuasion still seen.
    let again = chat("{\"kind\":\"say\",\"text\":\"more like that\"}\n");
    assert_eq!(again.len(), 1);
    let next = ids(&again[0]);
    assert!(
        !next.contains(&"d".to_string()) && !next.contains(&"e".to_string()),
        "{next:?}"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    assert_eq!(
        saved["answers"],
        serde_json::json!(["I loved Emma", "more like that"]),
        "both runs' words: {saved}"
    );
    assert_eq!(saved["seen"], serde_json::json!(["e"]), "{saved}");
}

/// A catalog big enough to validate on: two groups of 40 users, each choosing
/// among its own 15 items.
fn two_taste_catalog() -> tempfile::TempDir {
    let mut items = String::from("id,title,creator,tags\n");
    for i in 0..30 {
        let (who, tag) = if i < 15 {
            ("Ann Author", "mystery")
        } else {
            ("Bo Builder", "gardening")
        };
        items.push_str(&format!("i{i},Item number {i},{who},{tag}\n"));
    }
    let mut inter = String::from("user,item\n");
    for u in 0..80 {
        let base = if u % 2 == 0 { 0 } else { 15 };
        for k in 0..6 {
            inter.push_str(&format!("u{u},i{}\n", base + (u * 5 + k * 4) % 15));
        }
    }
    common::folder(&[("items.csv", &items), ("interactions.csv", &inter)])
}

fn bundle_meta(path: &std::path::Path) -> kith::core::bundle::BundleMeta {
    let bytes = std::fs::read(path).expect("bundle written");
    kith::core::bundle::Bundle::from_bytes(&bytes)
        .expect("bundle reads")
        .meta
}

#[test]
fn build_chooses_mf_settings_on_the_catalogs_own_data() {
    let dir = two_taste_catalog();
    let out = dir.path().join("b.kith");
    let data = dir.path().to_str().unwrap();
    let o = kith(&[
        "build",
        "--format",
        "csv",
        "--data",
        data,
        "--no-encoder",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("MF settings chosen on validation folds"),
        "{}",
        stderr(&o)
    );
    let c = bundle_meta(&out).mf_choice.expect("the choice is recorded");
    assert_eq!(c.chosen_by, "validation search");
    assert!(c.configurations >= 20, "{c:?}");
    let (v, pop) = (c.validation_ndcg.unwrap(), c.popularity_ndcg.unwrap());
    assert!(v > pop + 0.05, "validation {v} vs popularity {pop}");

    // --als sets them instead, and says so in the bundle.
    let o = kith(&[
        "build",
        "--format",
        "csv",
        "--data",
        data,
        "--no-encoder",
        "--out",
        out.to_str().unwrap(),
        "--als",
        r#"{"dim": 6, "reg": 2}"#,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = bundle_meta(&out).mf_choice.unwrap();
    assert_eq!(
        (c.chosen_by.as_str(), c.params.dim, c.params.reg),
        ("given", 6, 2.0)
    );
    assert!(c.validation_ndcg.is_none());

    // Bad settings are one error line, before anything is written.
    for (flag, value, says) in [
        ("--als", r#"{"dimm": 6}"#, "unknown field"),
        ("--als", r#"{"reg": -1}"#, "reg"),
        ("--budget", "-3", "--budget"),
    ] {
        let o = kith(&[
            "build",
            "--format",
            "csv",
            "--data",
            data,
            "--no-encoder",
            "--out",
            dir.path().join("bad.kith").to_str().unwrap(),
            &format!("{flag}={value}"),
        ]);
        assert!(!o.status.success(), "{flag} {value} was accepted");
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
        assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
        assert!(!dir.path().join("bad.kith").exists());
    }
}

#[test]
fn a_catalog_too_small_to_validate_builds_with_defaults_and_says_so() {
    let dir = tiny_catalog();
    let out = dir.path().join("tiny.kith");
    let o = kith(&[
        "build",
        "--format",
        "csv",
        "--data",
        dir.path().to_str().unwrap(),
        "--no-encoder",
        "--creator-verb",
        "penned",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("MF settings not searched, defaults used: too little data"),
        "{}",
        stderr(&o)
    );
    let meta = bundle_meta(&out);
    assert_eq!(
        meta.mf_choice.as_ref().unwrap().chosen_by,
        "default (too little data to validate)"
    );
    assert_eq!(meta.creator_verb(), "penned");

    // The catalog's own creator verb, in the explanation of a same-author pick.
    let o = kith(&[
        "recommend",
        "--bundle",
        out.to_str().unwrap(),
        "--say",
        "I loved Emma",
        "--k",
        "5",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let texts: Vec<&str> = v["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["explanation"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"Also by Jane Austen, who penned Emma."),
        "{texts:?}"
    );
    assert!(texts.iter().all(|t| !t.contains("wrote")), "{texts:?}");
}

#[test]
fn split_writes_content_addressed_parts_and_a_manifest() {
    let dir = tiny_catalog();
    let out = tiny_bundle(&dir);
    let web = dir.path().join("web");
    std::fs::create_dir_all(&web).unwrap();
    // A stale part of this catalog and an unrelated file share the folder.
    std::fs::write(web.join("tiny.core.0123456789abcdef.kith"), b"old").unwrap();
    std::fs::write(web.join("tiny.kith"), b"a whole bundle").unwrap();
    let split = |prune: bool| {
        let mut args = vec![
            "split",
            "--bundle",
            out.to_str().unwrap(),
            "--out-dir",
            web.to_str().unwrap(),
        ];
        if prune {
            args.push("--prune");
        }
        kith(&args)
    };
    let o = split(true);
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest = kith::core::parts::Manifest::from_json(
        &std::fs::read_to_string(web.join("tiny.json")).unwrap(),
    )
    .unwrap();
    // No encoder, no embeddings: one core part, named by its content.
    assert_eq!(manifest.parts.len(), 1);
    let core = &manifest.parts[0];
    let bytes = std::fs::read(web.join(&core.file)).unwrap();
    assert_eq!(bytes.len() as u64, core.bytes);
    assert!(core.file.starts_with("tiny.core.") && core.file.contains(&core.sha256[..16]));
    kith::core::session::Engine::load(&bytes).expect("the core part loads as a bundle");
    assert!(
        !web.join("tiny.core.0123456789abcdef.kith").exists(),
        "stale part pruned"
    );
    assert!(
        web.join("tiny.kith").exists(),
        "a whole bundle is not a part"
    );
    // Splitting again changes nothing.
    let o = split(false);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(web.join(&core.file)).unwrap(), bytes);
    // Not a bundle: one clear line.
    let o = kith(&[
        "split",
        "--bundle",
        web.join("tiny.json").to_str().unwrap(),
        "--out-dir",
        web.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not a Kith bundle"), "{}", stderr(&o));
}
