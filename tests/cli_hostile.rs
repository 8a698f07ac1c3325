//! The `kith` binary facing bad input: catalogs with bad fields, profiles
//! that are corrupt, newer or not files at all, a reader that goes away,
//! and text that is not UTF-8. Each ends in a clear message or a safe
//! fallback — never a panic, never lost data.

mod common;

use common::{kith, kith_with_input, stderr, stdout};

use std::path::Path;
use std::process::{Command, Output, Stdio};

const ITEMS: &str = "id,title,creator,tags,year,length\n\
    a,Dune,Frank Herbert,science-fiction,1965,412\n\
    b,Hyperion,Dan Simmons,science-fiction,1989,482\n\
    c,Foundation,Isaac Asimov,science-fiction,1951,255\n\
    d,Emma,Jane Austen,romance,1815,474\n\
    e,Persuasion,Jane Austen,romance,1817,249\n\
    f,Jane Eyre,Charlotte Bronte,romance,1847,532\n";

fn interactions() -> String {
    let mut inter = String::from("user,item\n");
    for u in 0..12 {
        let group = if u % 2 == 0 {
            ["a", "b", "c"]
        } else {
            ["d", "e", "f"]
        };
        for i in group {
            inter.push_str(&format!("u{u},{i}\n"));
        }
    }
    inter
}

fn build(dir: &Path, extra: &[&str]) -> Output {
    let out = dir.join("out.kith");
    let mut args = vec![
        "build",
        "--format",
        "csv",
        "--data",
        dir.to_str().unwrap(),
        "--no-encoder",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    kith(&args)
}

/// A built bundle of the tiny catalog, in its folder.
fn tiny_bundle() -> tempfile::TempDir {
    let dir = common::folder(&[("items.csv", ITEMS), ("interactions.csv", &interactions())]);
    let o = build(dir.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    dir
}

#[test]
fn a_bad_year_or_length_is_an_error_when_strict_and_a_counted_skip_when_lenient() {
    for (bad, word) in [
        ("abc", "year \"abc\""),
        ("99999999999", "year \"99999999999\""),
    ] {
        let items = ITEMS.replace("1965", bad);
        let dir = common::folder(&[("items.csv", &items), ("interactions.csv", &interactions())]);
        let o = build(dir.path(), &[]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("items.csv:2"), "{}", stderr(&o));
        assert!(stderr(&o).contains(word), "{}", stderr(&o));
    }
    for bad in ["-1", "1.5"] {
        let items = ITEMS.replace(",412", &format!(",{bad}"));
        let dir = common::folder(&[("items.csv", &items), ("interactions.csv", &interactions())]);
        let o = build(dir.path(), &[]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("length \"{bad}\"")),
            "{}",
            stderr(&o)
        );
        // Lenient: the row (and its interactions) are skipped and counted.
        let o = build(dir.path(), &["--lenient"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("skipped 1 malformed row(s) and 6 interaction(s)"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn text_that_is_not_utf8_is_named_in_words_and_skipped_when_lenient() {
    let dir = common::folder(&[("interactions.csv", &interactions())]);
    let mut items = ITEMS.as_bytes().to_vec();
    items.extend_from_slice(b"g,Caf\xe9 Stories,Someone,romance,2001,100\n");
    std::fs::write(dir.path().join("items.csv"), &items).unwrap();
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("items.csv:8"), "{err}");
    assert!(err.contains("not valid UTF-8"), "{err}");
    assert!(!err.contains("Utf8 {"), "a Rust debug dump: {err}");
    let o = build(dir.path(), &["--lenient"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("skipped 1 malformed row"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_reason_is_said_once_and_a_catalog_without_interactions_does_not_build() {
    let items = format!("{ITEMS}b,Duplicate,Someone,romance,2001,100\n");
    let dir = common::folder(&[("items.csv", &items), ("interactions.csv", &interactions())]);
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.matches("duplicate item id").count(), 1, "{err}");

    let dir = common::folder(&[("items.csv", ITEMS), ("interactions.csv", "user,item\n")]);
    let o = build(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no interactions"), "{}", stderr(&o));
    assert!(!dir.path().join("out.kith").exists());
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let dir = tiny_bundle();
    let bundle = dir.path().join("out.kith");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kith"))
        .args([
            "recommend",
            "--bundle",
            bundle.to_str().unwrap(),
            "--say",
            "I loved Dune",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kith runs");
    // Close the reading end before kith writes: every write is a broken pipe.
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("kith finishes");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn text_that_is_not_utf8_does_not_end_a_conversation() {
    let dir = tiny_bundle();
    let bundle = dir.path().join("out.kith");
    let o = kith_with_input(
        &["chat", "--bundle", bundle.to_str().unwrap()],
        b"I loved Dun\xe9\nI loved Dune\n/quit\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("not UTF-8"), "{out}");
    assert!(
        out.contains("Hyperion") || out.contains("Foundation"),
        "{out}"
    );

    let o = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("recommend")
        .arg("--bundle")
        .arg(&bundle)
        .arg("--say")
        .arg(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"Dun\xe9"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("kith: error: --say is not valid UTF-8"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn profiles_are_never_overwritten_renamed_or_lost() {
    let dir = tiny_bundle();
    let bundle = dir.path().join("out.kith");
    let chat = |profile: &Path, input: &[u8]| {
        kith_with_input(
            &[
                "chat",
                "--bundle",
                bundle.to_str().unwrap(),
                "--profile",
                profile.to_str().unwrap(),
            ],
            input,
        )
    };

    // Not a regular file: refused, untouched.
    let o = chat(Path::new("/dev/null"), b"/quit\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    assert!(!Path::new("/dev/null.corrupt.json").exists());
    let o = chat(dir.path(), b"/quit\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));

    // Two corrupt profiles in a row: both kept, under different names.
    let p = dir.path().join("me.json");
    std::fs::write(&p, "first corrupt").unwrap();
    let o = chat(&p, b"/quit\n");
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(&p, "second corrupt").unwrap();
    let o = chat(&p, b"/quit\n");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("me.corrupt.json")).unwrap(),
        "first corrupt"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("me.corrupt-2.json")).unwrap(),
        "second corrupt"
    );

    // Written by a newer Kith: refused and left exactly as it was.
    let newer = r#"{"version":4294967298,"catalog":"x","picks":[]}"#;
    std::fs::write(&p, newer).unwrap();
    let o = chat(&p, b"I loved Dune\n/quit\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("newer"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), newer);

    // Fields this Kith does not know survive a conversation.
    std::fs::remove_file(&p).unwrap();
    let o = chat(&p, b"I loved Dune\n/quit\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    v["from_the_future"] = serde_json::json!({"keep": [1, 2, 3]});
    std::fs::write(&p, v.to_string()).unwrap();
    let o = chat(&p, b"I loved Emma\n/quit\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    assert_eq!(v["from_the_future"]["keep"][2], 3);
    assert_eq!(v["answers"].as_array().map(Vec::len), Some(2));
}
