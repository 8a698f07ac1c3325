//! What every fuzz target checks, one function per pure-core entry point
//! that reads untrusted input. The libFuzzer targets (`fuzz/fuzz_targets/`)
//! call these with generated inputs; `tests/fuzz_corpus.rs` replays the
//! committed corpus and every crash ever found through the same functions
//! in `./scripts/test` (stable Rust, no fuzzer needed).
//!
//! Each check asserts invariants, not only "no panic": a bundle that loads
//! is consistent and answers a turn; a profile that imports exports back to
//! the same profile; absorbing another tab's record twice equals once; a
//! catalog that loads has only in-range, finite interactions.

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use kith::core::bundle::{Bundle, MAX_EMBEDDING_DIM, MAX_MF_DIM};
use kith::core::embeddings::QuantizedEmbeddings;
use kith::core::mf::als::AlsParams;
use kith::core::profile::{Controls, Profile};
use kith::core::session::{Engine, Feedback, Reply};
use kith::core::sync::{Change, Synced};
use kith::offline::build::bundle::{build, BuildInputs, CatalogInfo, MfSettings};
use kith::offline::build::loaders::{load_csv_readers, parse_plain_interactions};
use kith::offline::build::{LoadOptions, LoadReport};

/// The fuzz targets, by name (directory names under `fuzz/corpus/`).
pub const TARGETS: [&str; 7] = [
    "bundle",
    "encoder_gguf",
    "llm_gguf",
    "profile",
    "sync",
    "csv",
    "dialogue",
];

/// Runs the check of a target by name (for the corpus replay).
pub fn run(target: &str, data: &[u8]) {
    match target {
        "bundle" => bundle(data),
        "encoder_gguf" => encoder_gguf(data),
        "llm_gguf" => llm_gguf(data),
        "profile" => profile(data),
        "sync" => sync(data),
        "csv" => csv(data),
        "dialogue" => dialogue(data),
        other => panic!("no fuzz target {other:?}"),
    }
}

// ---------------------------------------------------------------- fixtures

const ITEMS: &str = "id,title,creator,tags,year,length
1,\"Dune (Dune Chronicles, #1)\",Frank Herbert,science-fiction|classics,1965,412
2,\"Dune Messiah (Dune Chronicles, #2)\",Frank Herbert,science-fiction,1969,256
3,Hyperion,Dan Simmons,science-fiction|space-opera,1989,482
4,Foundation,Isaac Asimov,science-fiction|classics,1951,255
5,\"Twilight (Twilight, #1)\",Stephenie Meyer,romance|vampires|young-adult,2005,498
6,Pride and Prejudice,Jane Austen,romance|classics,1813,279
7,It,Stephen King,horror,1986,1138
8,The Shining,Stephen King,horror|classics,1977,447
9,Cien años de soledad,Gabriel García Márquez,magical-realism|classics,1967,417
10,ノルウェイの森,村上春樹,romance|japanese,1987,296
11,<b>Bold</b> & \"quoted\",Mallory Quinn,horror|thriller,2020,300
12,Emma,Jane Austen,romance|classics,1815,474
";

/// Three taste groups of users over [`ITEMS`].
fn interactions() -> String {
    let mut s = String::from("user,item,rating\n");
    let groups: [&[u32]; 3] = [&[1, 2, 3, 4, 9], &[5, 6, 10, 12], &[7, 8, 11]];
    for (g, items) in groups.iter().enumerate() {
        for u in 0..15u32 {
            for (k, i) in items.iter().enumerate() {
                if (u as usize + k) % 4 != 0 {
                    s.push_str(&format!("g{g}u{u},{i},5\n"));
                }
            }
        }
    }
    s
}

fn reader(s: &[u8]) -> Box<dyn std::io::Read> {
    Box::new(Cursor::new(s.to_vec()))
}

/// The tiny catalog, built without an encoder, with made-up 8-dimensional
/// text embeddings so that it has a text part too. Built once per process.
pub fn fixture_bundle() -> &'static Bundle {
    static BUNDLE: OnceLock<Bundle> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        let data = load_csv_readers(
            (Path::new("items.csv"), reader(ITEMS.as_bytes())),
            (
                Path::new("interactions.csv"),
                reader(interactions().as_bytes()),
            ),
            LoadOptions::default(),
        )
        .expect("the fixture catalog loads");
        let als = AlsParams {
            dim: 4,
            iterations: 8,
            reg: 0.1,
            alpha: 10.0,
            reg_exponent: 0.0,
            ..AlsParams::default()
        };
        let inputs = BuildInputs {
            info: CatalogInfo {
                name: "fuzz".into(),
                item_noun: ("item".into(), "items".into()),
                consume_verb: "tried".into(),
                creator_verb: String::new(),
                attribution: "made up for fuzzing".into(),
            },
            encoder: None,
            imported: None,
            mf: MfSettings::Given(als),
            fallback_als: als,
            bridge_lambda: Some(1.0),
            facet_settings: Vec::new(),
        };
        let mut b = build(&data, inputs, &|_, _, _| {})
            .expect("the fixture builds")
            .0;
        let row = |i: usize, k: usize| ((i * 7 + k * 3) % 11) as f32 / 11.0 - 0.4;
        let items: Vec<Vec<f32>> = (0..b.catalog.len())
            .map(|i| (0..8).map(|k| row(i, k)).collect())
            .collect();
        b.item_embeddings = QuantizedEmbeddings::from_rows(8, &items).expect("rows");
        let tags: Vec<Vec<f32>> = (0..b.attributes.tags.len())
            .map(|i| (0..8).map(|k| row(i + 3, k + 1)).collect())
            .collect();
        b.tag_embeddings = QuantizedEmbeddings::from_rows(8, &tags).expect("rows");
        b
    })
}

/// An engine on [`fixture_bundle`], built once per process.
pub fn fixture_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        // Facets as a build with the encoder would learn them (it has none
        // here), so the dialogue target reaches moods, audiences, lengths.
        use kith::core::facets::{Facet, FacetTags};
        let mut b = fixture_bundle().clone();
        let tags = |t: &[&str]| t.iter().map(|x| x.to_string()).collect();
        b.attributes.facets = vec![
            FacetTags {
                facet: Facet::Dark,
                tags: tags(&["horror", "thriller"]),
            },
            FacetTags {
                facet: Facet::Gripping,
                tags: tags(&["thriller"]),
            },
            FacetTags {
                facet: Facet::Teen,
                tags: tags(&["young-adult"]),
            },
            FacetTags {
                facet: Facet::Long,
                tags: tags(&["space-opera"]),
            },
        ];
        Engine::from_bundle(b)
    })
}

// ------------------------------------------------------------ invariants

/// A reply recommends distinct catalog items with finite scores, no more
/// than asked for, none the visitor has seen.
fn check_reply(engine: &Engine, p: &Profile, r: &Reply) {
    assert!(r.recommendations.len() <= p.controls.count.max(1));
    let mut ids = HashSet::new();
    for rec in &r.recommendations {
        assert!(
            engine.catalog().index_of(&rec.id).is_some(),
            "recommended {:?}, not in the catalog",
            rec.id
        );
        assert!(ids.insert(rec.id.clone()), "{:?} twice", rec.id);
        assert!(rec.score.is_finite(), "score {} of {:?}", rec.score, rec.id);
        assert!(!p.seen.contains(&rec.id), "recommended seen {:?}", rec.id);
    }
}

/// A profile stores and reads back as itself, and the engine can use it.
fn check_profile(engine: &Engine, p: &Profile) {
    let json = p.to_json();
    let back = Profile::from_json(&json).expect("a profile Kith wrote reads back");
    assert_eq!(&back, p, "export then import changed the profile");
    let opened = engine
        .open_profile(&json)
        .expect("the engine opens what it wrote");
    if let Ok(r) = engine.recommend(&opened) {
        check_reply(engine, &opened, &r);
    }
}

// ---------------------------------------------------------------- bundle

/// A bundle file from the fuzzer's bytes. The first byte picks how:
/// 0 — the bytes as they are (the header and checksum checks);
/// 1 — the bytes with every checksum recomputed (the table's offsets and
///     lengths, and every section's content, reach the decoders);
/// 2 — a list of sections (`[name len u8][name][len u32 LE][bytes]`…),
///     assembled into a valid file, `catalog_zlib` and `mf_q8` compressed
///     here: mutations reach the catalog JSON and the MF decoder.
pub fn bundle_bytes(data: &[u8]) -> Option<Vec<u8>> {
    let (&mode, body) = data.split_first()?;
    Some(match mode % 3 {
        0 => body.to_vec(),
        1 => {
            let mut b = body.to_vec();
            fix_checksums(&mut b);
            b
        }
        _ => assemble(&parse_sections(body)),
    })
}

/// Recomputes the section checksums and the header checksum in place,
/// as far as the table can be read.
pub fn fix_checksums(b: &mut [u8]) {
    const ENTRY: usize = 16 + 8 + 8 + 4;
    if b.len() < 16 {
        return;
    }
    let count = u32::from_le_bytes([b[12], b[13], b[14], b[15]]) as usize;
    if count > 64 {
        return;
    }
    let header_len = 16 + count * ENTRY + 4;
    if b.len() < header_len {
        return;
    }
    for k in 0..count {
        let at = 16 + k * ENTRY;
        let word = |p: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[p..p + 8]);
            u64::from_le_bytes(w)
        };
        let (offset, len) = (word(at + 16), word(at + 24));
        let Some(stop) = offset.checked_add(len) else {
            continue;
        };
        if stop <= b.len() as u64 {
            let crc = crc32fast::hash(&b[offset as usize..stop as usize]);
            b[at + 32..at + 36].copy_from_slice(&crc.to_le_bytes());
        }
    }
    let crc = crc32fast::hash(&b[..header_len - 4]);
    b[header_len - 4..header_len].copy_from_slice(&crc.to_le_bytes());
}

/// Sections from the fuzzer's list format (see [`bundle_bytes`]).
pub fn parse_sections(mut body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    while out.len() < 16 {
        let Some((&n, rest)) = body.split_first() else {
            break;
        };
        let n = usize::from(n).min(16).min(rest.len());
        let name = String::from_utf8_lossy(&rest[..n]).into_owned();
        let rest = &rest[n..];
        let Some((len, rest)) = rest.split_first_chunk::<4>() else {
            break;
        };
        let len = (u32::from_le_bytes(*len) as usize).min(rest.len());
        out.push((name, rest[..len].to_vec()));
        body = &rest[len..];
    }
    out
}

/// The list format of [`parse_sections`], for writing seeds.
pub fn write_sections(sections: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![2u8];
    for (name, bytes) in sections {
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    out
}

/// A valid file (format version 2) from named sections, compressing the
/// two compressed sections' plain bytes as the bundle writer does.
pub fn assemble(sections: &[(String, Vec<u8>)]) -> Vec<u8> {
    let stored: Vec<(String, Vec<u8>)> = sections
        .iter()
        .map(|(name, plain)| {
            let bytes = if name == "catalog_zlib" || name == "mf_q8" {
                let mut z = (plain.len() as u64).to_le_bytes().to_vec();
                z.extend(miniz_oxide::deflate::compress_to_vec_zlib(plain, 1));
                z
            } else {
                plain.clone()
            };
            (name.clone(), bytes)
        })
        .collect();
    const ENTRY: usize = 16 + 8 + 8 + 4;
    let header_len = 16 + stored.len() * ENTRY + 4;
    let mut out = b"KITHBNDL".to_vec();
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(stored.len() as u32).to_le_bytes());
    let mut offset = header_len as u64;
    for (name, bytes) in &stored {
        let mut n = [0u8; 16];
        let take = name.len().min(16);
        n[..take].copy_from_slice(&name.as_bytes()[..take]);
        out.extend_from_slice(&n);
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
        offset += bytes.len() as u64;
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    for (_, bytes) in &stored {
        out.extend_from_slice(bytes);
    }
    out
}

/// The bundle reader: a file that loads is consistent, loads as an engine
/// that answers a turn naming its first title, and splits into parts that
/// load back to the same catalog.
pub fn bundle(data: &[u8]) {
    let Some(bytes) = bundle_bytes(data) else {
        return;
    };
    let _ = Bundle::part_info(&bytes);
    let Ok(b) = Bundle::from_bytes(&bytes) else {
        // The same bytes as an addition to a good bundle: refused or taken,
        // never a panic.
        let mut good = fixture_bundle().clone();
        let _ = good.attach(&bytes);
        return;
    };
    assert!((1..=MAX_MF_DIM).contains(&b.mf.dim));
    assert_eq!(b.mf.n_items(), b.catalog.len());
    assert!(b.mf.fold_in.validate().is_ok());
    for e in [&b.item_embeddings, &b.tag_embeddings] {
        assert!(e.dim() <= MAX_EMBEDDING_DIM);
    }
    assert!(b.item_embeddings.is_empty() || b.item_embeddings.len() == b.catalog.len());
    assert!(b.tag_embeddings.is_empty() || b.tag_embeddings.len() == b.attributes.tags.len());

    let parts = b.to_parts();
    let core = Bundle::from_bytes(&parts[0].1).expect("a loaded bundle's core part loads");
    assert_eq!(core.catalog.items(), b.catalog.items());

    let engine = match Engine::load(&bytes) {
        Ok(e) => e,
        Err(e) => panic!("Bundle::from_bytes accepted what Engine::load refuses: {e}"),
    };
    let mut p = engine.new_profile();
    let text = match engine.catalog().items().first() {
        Some(item) => format!(
            "I loved {}",
            item.title.chars().take(200).collect::<String>()
        ),
        None => "surprise me".to_string(),
    };
    if let Ok(r) = engine.say(&mut p, &text) {
        check_reply(&engine, &p, &r);
        check_profile(&engine, &p);
    }
}

// ------------------------------------------------------------------ GGUF

/// The encoder's GGUF reader: a file that loads embeds a sentence into a
/// vector of its stated dimension.
pub fn encoder_gguf(data: &[u8]) {
    if let Ok(encoder) = kith::core::encoder::Encoder::from_gguf_bytes(data) {
        if let Ok(v) = encoder.embed("a quiet story about the sea") {
            assert_eq!(v.len(), encoder.dim());
        }
    }
}

/// The phrasing model's GGUF reader: a file that loads tokenizes, detokenizes
/// and runs a step.
pub fn llm_gguf(data: &[u8]) {
    if let Ok(mut llm) = kith::core::llm::Llm::from_gguf_bytes(data) {
        if let Ok(ids) = llm.encode("Hello there") {
            let _ = llm.decode(&ids);
            if !ids.is_empty() {
                let _ = llm.greedy(&ids, 2);
            }
        }
    }
}

// --------------------------------------------------------------- profile

/// Profile import and migration: anything that imports exports back to
/// the same profile, and the engine can answer from it.
pub fn profile(data: &[u8]) {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    let engine = fixture_engine();
    if let Ok(p) = Profile::from_json(json) {
        let back = Profile::from_json(&p.to_json()).expect("an imported profile re-imports");
        assert_eq!(back, p, "import → export → import changed the profile");
    }
    if let Ok(mut p) = engine.open_profile(json) {
        check_profile(engine, &p);
        if let Ok(r) = engine.say(&mut p, "something like the last one") {
            check_reply(engine, &p, &r);
            check_profile(engine, &p);
        }
    }
}

// ------------------------------------------------------------------ sync

/// Changes from bytes: each byte picks a kind, the next bytes its details.
fn changes(engine: &Engine, data: &[u8]) -> Vec<Change> {
    let items = engine.catalog().items();
    let tags = &engine.bundle().attributes.tags;
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        let arg = tail.first().copied().unwrap_or(0) as usize;
        rest = tail.get(1..).unwrap_or(&[]);
        let change = match op % 5 {
            0 => {
                let n = arg.min(rest.len()).min(64);
                let text = String::from_utf8_lossy(&rest[..n]).into_owned();
                rest = &rest[n..];
                Change::Say { text }
            }
            1 => Change::Say {
                text: format!("I loved {}", items[arg % items.len()].title),
            },
            2 => Change::Feedback {
                id: items[arg % items.len()].id.clone(),
                feedback: [
                    Feedback::Love,
                    Feedback::NotForMe,
                    Feedback::MoreLikeThis,
                    Feedback::AlreadySeen,
                ][(arg / items.len()) % 4],
            },
            3 => Change::Say {
                text: match tags.get(arg % tags.len().max(1)) {
                    Some(t) if arg % 2 == 0 => format!("no {}", t.name),
                    Some(t) => format!("something {}", t.name),
                    None => "anything".into(),
                },
            },
            _ => Change::Controls {
                controls: Controls {
                    diversity: (arg % 11) as f32 / 10.0,
                    count: 1 + arg % 12,
                    avoid_topics: tags
                        .get(arg % tags.len().max(1))
                        .map(|t| vec![t.name.clone()])
                        .unwrap_or_default(),
                    ..Controls::default()
                },
            },
        };
        out.push(change);
        if out.len() >= 6 {
            break;
        }
    }
    out
}

/// Two tabs on one stored profile (`kith::core::sync`): both tabs' changes
/// survive, absorbing the same record twice equals once, and what is
/// committed reads back.
pub fn sync(data: &[u8]) {
    let engine = fixture_engine();
    let split = data
        .iter()
        .position(|&b| b == 0xFF)
        .unwrap_or(data.len() / 2);
    let (a_bytes, b_bytes) = (&data[..split], data.get(split + 1..).unwrap_or(&[]));
    let start = engine.new_profile();
    let mut a = Synced::new(start.clone());
    let mut b = Synced::new(start);
    for c in changes(engine, a_bytes) {
        let _ = a.apply(engine, c);
    }
    let stored = a.commit();
    let a_answers = a.profile().answers.clone();
    let mut b_applied = 0;
    for c in changes(engine, b_bytes) {
        if b.apply(engine, c).is_ok() {
            b_applied += 1;
        }
    }
    let got = b
        .absorb(engine, Some(&stored))
        .expect("a record Kith wrote is absorbed");
    assert!(got.merged || b_applied == 0 && a_answers.is_empty());
    assert_eq!(got.replayed + got.failed.len(), b_applied);
    assert!(
        b.profile().answers.starts_with(&a_answers),
        "the other tab's answers were lost"
    );
    let once = b.profile().clone();
    let again = b.absorb(engine, Some(&stored)).expect("absorbed again");
    assert!(!again.merged, "the same record absorbed twice");
    assert_eq!(b.profile(), &once, "absorbing twice differs from once");
    let committed = b.commit();
    let back = engine
        .open_profile(&committed)
        .expect("a committed profile reads back");
    check_profile(engine, &back);
}

// ------------------------------------------------------------------- csv

/// The CSV folder loader (`items.csv` and `interactions.csv`, split at the
/// first 0xFF byte, which UTF-8 text never holds) and the header-less
/// interactions reader. The first byte's low bit picks lenient mode.
pub fn csv(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let opts = LoadOptions {
        lenient: mode & 1 == 1,
    };
    let split = body.iter().position(|&b| b == 0xFF).unwrap_or(body.len());
    let (items, inter) = (&body[..split], body.get(split + 1..).unwrap_or(&[]));
    if let Ok(d) = load_csv_readers(
        (Path::new("items.csv"), reader(items)),
        (Path::new("interactions.csv"), reader(inter)),
        opts,
    ) {
        assert!(!d.interactions.entries.is_empty());
        let mut pairs = HashSet::new();
        for e in &d.interactions.entries {
            assert!((e.item as usize) < d.catalog.len());
            assert!((e.user as usize) < d.interactions.users.len());
            assert!(e.rating.is_finite());
            assert!(pairs.insert((e.user, e.item)), "a (user, item) pair twice");
        }
        let ids: HashSet<&str> = d.catalog.items().iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids.len(), d.catalog.len());
    }
    if let Ok(text) = std::str::from_utf8(inter) {
        let mut report = LoadReport::default();
        if let Ok(rows) = parse_plain_interactions(Path::new("test.tsv"), text, opts, &mut report) {
            assert!(rows.iter().all(|r| r.rating.is_finite()));
            assert!(rows
                .iter()
                .all(|r| !r.user.is_empty() && !r.item.is_empty()));
        }
    }
}

// -------------------------------------------------------------- dialogue

/// The dialogue's understanding of arbitrary text, on a fresh profile and
/// on one mid-conversation: every turn answers with a valid reply.
pub fn dialogue(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let engine = fixture_engine();
    let mut p = engine.new_profile();
    let r = engine
        .say(&mut p, &text)
        .expect("any text gets a reply on a fresh profile");
    check_reply(engine, &p, &r);
    let r = engine
        .say(&mut p, &text)
        .expect("the same text again gets a reply");
    check_reply(engine, &p, &r);
    check_profile(engine, &p);
}
