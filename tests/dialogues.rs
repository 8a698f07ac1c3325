//! Scripted multi-turn dialogues, replayed on each catalog's bundle: after
//! every turn, what must hold (tests/dialogues/README.md describes the
//! format). Every dialogue starts from a fresh profile; every failure of
//! every dialogue is reported at once.
//!
//! `./scripts/test` builds the bundles first: `models/goodbooks.kith` (the
//! demo) and `models/ml100k.kith` (MovieLens 100K from ../shared/data, built
//! like any site owner's catalog). A missing bundle fails the test.

use std::path::PathBuf;

use kith::core::profile::{Pending, Profile};
use kith::core::rank::Signal;
use kith::core::session::{Engine, Feedback, Reply};
use serde::Deserialize;

/// One catalog's dialogues.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    /// What the file is for (not read).
    #[allow(dead_code)]
    about: String,
    dialogues: Vec<Dialogue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Dialogue {
    name: String,
    turns: Vec<Turn>,
}

/// One visitor action: a message, or feedback on an item of the list shown.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Turn {
    say: Option<String>,
    feedback: Option<Feedback>,
    /// 1-based position in the list shown, for `feedback`.
    position: Option<usize>,
    #[serde(default)]
    expect: Expect,
}

/// What must hold after a turn. Titles match by case-insensitive substring.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// "items", "tag", "any" or "none": the kind of question asked.
    asks: Option<String>,
    /// Some note contains this.
    note: Option<String>,
    /// Nothing was read from the message: no title, tag, creator or theme.
    nothing_taken: Option<bool>,
    /// Titles read as liked / disliked in this turn.
    #[serde(default)]
    liked: Vec<String>,
    #[serde(default)]
    disliked: Vec<String>,
    /// Tags the profile now asks for / avoids (soft or hard).
    #[serde(default)]
    wants: Vec<String>,
    #[serde(default)]
    avoids: Vec<String>,
    /// Tags the profile no longer asks for.
    #[serde(default)]
    no_longer_wants: Vec<String>,
    /// Creators the profile now asks for / avoids.
    #[serde(default)]
    creators: Vec<String>,
    #[serde(default)]
    avoids_creators: Vec<String>,
    /// Titles the profile no longer counts as liked.
    #[serde(default)]
    no_longer_liked: Vec<String>,
    /// The follow-up recognised, as the JSON spells it ("shorter", {"more_like": 1}).
    follow_up: Option<serde_json::Value>,
    /// Free text went to the encoder.
    themes: Option<bool>,
    /// Moods, audiences, pace or length read from the message, as the reply
    /// words them ("light-hearted", "for children", "not dark").
    #[serde(default)]
    occasions: Vec<String>,
    /// At least `at_least` of the list carry one of `tags`.
    tagged: Option<Tagged>,
    /// No item of the list carries any of these tags.
    #[serde(default)]
    never_tagged: Vec<String>,
    /// At least `at_least` of the list are by this creator.
    by: Option<By>,
    /// No item of the list is by any of these creators.
    #[serde(default)]
    never_by: Vec<String>,
    /// Titles the list shows / does not show.
    #[serde(default)]
    shows: Vec<String>,
    #[serde(default)]
    hides: Vec<String>,
    /// The list's mean year is above / below the previous list's.
    newer: Option<bool>,
    /// At most this many items are shared with the previous list.
    changed: Option<usize>,
    /// The previous list's item at this position (1-based) is now liked.
    likes_shown: Option<usize>,
    /// The previous question's option at this position (1-based) is now liked.
    likes_option: Option<usize>,
    /// The previous question's options are now all disliked, softly.
    dislikes_options: Option<bool>,
    /// The previous yes/no question's answer was taken: "yes" (its tag is
    /// now wanted) or "no" (avoided).
    took_answer: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tagged {
    tags: Vec<String>,
    at_least: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct By {
    creator: String,
    at_least: usize,
}

fn bundle(file: &str) -> Engine {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. ./scripts/test builds it (scripts/setup.sh: kith_demo_bundle, kith_ml100k_bundle)",
            path.display()
        )
    });
    let e = Engine::load(&bytes).expect("the bundle loads");
    assert!(e.has_encoder(), "{file} ships the encoder");
    e
}

fn script(file: &str) -> Script {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/dialogues")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("the script is there");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn has(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// What the engine knows of one reply's items.
struct Shown<'a> {
    engine: &'a Engine,
    reply: &'a Reply,
}

impl Shown<'_> {
    fn ids(&self) -> Vec<String> {
        self.reply
            .recommendations
            .iter()
            .map(|r| r.id.clone())
            .collect()
    }
    fn mean_year(&self) -> Option<f64> {
        let years: Vec<f64> = self
            .reply
            .recommendations
            .iter()
            .filter_map(|r| r.year.map(f64::from))
            .collect();
        (!years.is_empty()).then(|| years.iter().sum::<f64>() / years.len() as f64)
    }
    fn title_of(&self, id: &str) -> String {
        self.engine
            .catalog()
            .index_of(id)
            .and_then(|i| self.engine.catalog().get(i))
            .map(|x| x.title.clone())
            .unwrap_or_default()
    }
}

/// Checks one turn; returns every broken expectation.
fn check(
    engine: &Engine,
    p: &Profile,
    reply: &Reply,
    before: Option<&Reply>,
    asked_before: Option<&Pending>,
    x: &Expect,
) -> Vec<String> {
    let mut bad = Vec::new();
    let shown = Shown { engine, reply };
    let recs = &reply.recommendations;
    let titles: Vec<&str> = recs.iter().map(|r| r.title.as_str()).collect();
    let liked_titles: Vec<String> = p
        .picks
        .iter()
        .filter(|x| x.strength > 0.0)
        .map(|x| shown.title_of(&x.id))
        .collect();

    // Invariants of every turn.
    if recs.is_empty() {
        bad.push("an empty list".into());
    }
    for r in recs {
        if let Some(t) = r.tags.iter().find(|t| p.controls.avoid_topics.contains(t)) {
            bad.push(format!("{} carries the avoided topic {t}", r.title));
        }
        if p.seen.contains(&r.id)
            || p.picks
                .iter()
                .any(|x| x.id == r.id && (x.strength < 0.0 || x.strength >= 0.75))
        {
            bad.push(format!("{} is known or disliked, yet shown", r.title));
        }
        if r.explanation.trim().is_empty() {
            bad.push(format!("{} has no explanation", r.title));
        }
    }
    let u = &reply.understood;
    let took_nothing = u.took_nothing();
    if took_nothing && p.taste.is_empty() && recs.iter().any(|r| r.because.signal == Signal::Theme)
    {
        bad.push("a theme explanation with no theme said".into());
    }

    // This turn's expectations.
    if let Some(kind) = &x.asks {
        let got = match (&reply.question, &reply.question_about) {
            (None, _) => "none",
            (Some(_), Some(Pending::Items { .. })) => "items",
            (Some(_), Some(Pending::Tag { .. })) => "tag",
            (Some(_), None) => "open",
        };
        let ok = match kind.as_str() {
            "any" => got != "none",
            k => k == got,
        };
        if !ok {
            bad.push(format!("asks {kind}, got {got}: {:?}", reply.question));
        }
    }
    if let Some(n) = &x.note {
        if !reply.notes.iter().any(|x| has(x, n)) {
            bad.push(format!("no note with {n:?}: {:?}", reply.notes));
        }
    }
    if let Some(want) = x.nothing_taken {
        if want != took_nothing {
            bad.push(format!("nothing taken {want}, understood {u:?}"));
        }
    }
    for t in &x.liked {
        if !u.liked.iter().any(|l| has(l, t)) {
            bad.push(format!("{t:?} not read as liked: {:?}", u.liked));
        }
    }
    for t in &x.disliked {
        if !u.disliked.iter().any(|l| has(l, t)) {
            bad.push(format!("{t:?} not read as disliked: {:?}", u.disliked));
        }
    }
    for t in &x.wants {
        if !p.wanted_tags.contains(t) {
            bad.push(format!("{t} not wanted: {:?}", p.wanted_tags));
        }
    }
    for t in &x.no_longer_wants {
        if p.wanted_tags.contains(t) {
            bad.push(format!("{t} still wanted: {:?}", p.wanted_tags));
        }
    }
    for t in &x.avoids {
        if !p.avoided_tags.contains(t) && !p.controls.avoid_topics.contains(t) {
            bad.push(format!(
                "{t} not avoided: {:?} {:?}",
                p.avoided_tags, p.controls.avoid_topics
            ));
        }
    }
    for c in &x.creators {
        if !p.wanted_creators.iter().any(|w| has(w, c)) {
            bad.push(format!("{c} not wanted: {:?}", p.wanted_creators));
        }
    }
    for c in &x.avoids_creators {
        if !p.avoided_creators.iter().any(|w| has(w, c)) {
            bad.push(format!("{c} not avoided: {:?}", p.avoided_creators));
        }
    }
    for t in &x.no_longer_liked {
        if liked_titles.iter().any(|l| has(l, t)) {
            bad.push(format!("{t} still liked: {liked_titles:?}"));
        }
    }
    if let Some(f) = &x.follow_up {
        let got = serde_json::to_value(u.follow_up).unwrap_or_default();
        if &got != f {
            bad.push(format!("follow-up {f}, got {got}"));
        }
    }
    if let Some(want) = x.themes {
        if want != u.themes.is_some() {
            bad.push(format!("themes {want}, got {:?}", u.themes));
        }
    }
    for o in &x.occasions {
        if !u.occasions.contains(o) {
            bad.push(format!("occasion {o:?} not read: {:?}", u.occasions));
        }
    }
    if let Some(tg) = &x.tagged {
        let n = recs
            .iter()
            .filter(|r| r.tags.iter().any(|t| tg.tags.contains(t)))
            .count();
        if n < tg.at_least {
            bad.push(format!(
                "{n} of {} tagged {:?} (want ≥ {}): {titles:?}",
                recs.len(),
                tg.tags,
                tg.at_least
            ));
        }
    }
    for r in recs {
        if let Some(t) = r.tags.iter().find(|t| x.never_tagged.contains(t)) {
            bad.push(format!("{} is tagged {t}", r.title));
        }
        if let Some(c) = r
            .creators
            .iter()
            .find(|c| x.never_by.iter().any(|n| has(c, n)))
        {
            bad.push(format!("{} is by {c}", r.title));
        }
    }
    if let Some(by) = &x.by {
        let n = recs
            .iter()
            .filter(|r| r.creators.iter().any(|c| has(c, &by.creator)))
            .count();
        if n < by.at_least {
            bad.push(format!(
                "{n} by {} (want ≥ {}): {titles:?}",
                by.creator, by.at_least
            ));
        }
    }
    for t in &x.shows {
        if !titles.iter().any(|x| has(x, t)) {
            bad.push(format!("{t:?} not shown: {titles:?}"));
        }
    }
    for t in &x.hides {
        if let Some(x) = titles.iter().find(|x| has(x, t)) {
            bad.push(format!("{x:?} shown"));
        }
    }
    if let (Some(newer), Some(b)) = (x.newer, before) {
        let prev = Shown { engine, reply: b }.mean_year();
        match (shown.mean_year(), prev) {
            (Some(now), Some(was)) if (now > was) == newer && now != was => {}
            (now, was) => bad.push(format!("mean year {now:?} after {was:?}, newer {newer}")),
        }
    }
    if let (Some(most), Some(b)) = (x.changed, before) {
        let prev = Shown { engine, reply: b }.ids();
        let same = shown.ids().iter().filter(|i| prev.contains(i)).count();
        if same > most {
            bad.push(format!(
                "{same} items kept from the previous list (≤ {most})"
            ));
        }
    }
    let liked = |id: &str| p.picks.iter().any(|x| x.id == id && x.strength > 0.0);
    if let (Some(k), Some(b)) = (x.likes_shown, before) {
        match b.recommendations.get(k.wrapping_sub(1)) {
            Some(r) if liked(&r.id) => {}
            Some(r) => bad.push(format!("{} (shown at {k}) not liked", r.title)),
            None => bad.push(format!("nothing was shown at {k}")),
        }
    }
    match (x.likes_option, asked_before) {
        (Some(k), Some(Pending::Items { ids })) => match ids.get(k.wrapping_sub(1)) {
            Some(id) if liked(id) => {}
            Some(id) => bad.push(format!("option {k} ({}) not liked", shown.title_of(id))),
            None => bad.push(format!("no option {k}")),
        },
        (Some(_), _) => bad.push("no pick question was pending".into()),
        _ => {}
    }
    if x.dislikes_options == Some(true) {
        match asked_before {
            Some(Pending::Items { ids }) => {
                for id in ids {
                    if !p.picks.iter().any(|x| x.id == *id && x.strength < 0.0) {
                        bad.push(format!("option {} not set aside", shown.title_of(id)));
                    }
                }
            }
            _ => bad.push("no pick question was pending".into()),
        }
    }
    match (x.took_answer.as_deref(), asked_before) {
        (Some(yes_no), Some(Pending::Tag { tag })) => {
            let ok = match yes_no {
                "yes" => p.wanted_tags.contains(tag),
                _ => p.avoided_tags.contains(tag) || p.controls.avoid_topics.contains(tag),
            };
            if !ok {
                bad.push(format!("the answer {yes_no:?} about {tag} was not taken"));
            }
        }
        (Some(_), _) => bad.push("no yes/no question was pending".into()),
        _ => {}
    }
    bad
}

/// Replays every dialogue of a script; returns the failures.
fn replay(engine: &Engine, script: &Script) -> Vec<String> {
    let mut failures = Vec::new();
    for d in &script.dialogues {
        let mut p = engine.new_profile();
        let mut before: Option<Reply> = None;
        for (t, turn) in d.turns.iter().enumerate() {
            let asked = p.pending.clone();
            let reply = match (&turn.say, turn.feedback, turn.position) {
                (Some(text), None, None) => engine.say(&mut p, text),
                (None, Some(fb), Some(k)) => {
                    let Some(id) = before
                        .as_ref()
                        .and_then(|b| b.recommendations.get(k.wrapping_sub(1)))
                        .map(|r| r.id.clone())
                    else {
                        failures.push(format!("{} turn {t}: nothing shown at {k}", d.name));
                        break;
                    };
                    engine.feedback(&mut p, &id, fb)
                }
                _ => {
                    failures.push(format!(
                        "{} turn {t}: a turn is a `say` or a `feedback` with a `position`",
                        d.name
                    ));
                    break;
                }
            };
            let reply = match reply {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{} turn {t}: {e}", d.name));
                    break;
                }
            };
            for b in check(
                engine,
                &p,
                &reply,
                before.as_ref(),
                asked.as_ref(),
                &turn.expect,
            ) {
                let said = turn.say.as_deref().unwrap_or("[feedback]");
                failures.push(format!("{} · turn {t} ({said:?}): {b}", d.name));
            }
            before = Some(reply);
        }
    }
    failures
}

fn run(bundle_file: &str, script_file: &str) {
    let engine = bundle(bundle_file);
    let script = script(script_file);
    assert!(
        script.dialogues.len() >= 50,
        "{script_file}: {} dialogues (the issue asks for at least 50 per catalog)",
        script.dialogues.len()
    );
    let failures = replay(&engine, &script);
    assert!(
        failures.is_empty(),
        "{} of {script_file}'s expectations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn goodbooks_dialogues() {
    run("goodbooks.kith", "goodbooks.json");
}

#[test]
fn movielens_dialogues() {
    run("ml100k.kith", "movielens.json");
}

/// The checker itself: an expectation that does not hold is reported.
#[test]
fn a_broken_expectation_is_reported() {
    let engine = bundle("ml100k.kith");
    let script: Script = serde_json::from_str(
        r#"{"about": "", "dialogues": [{"name": "wrong on purpose", "turns": [
            {"say": "a horror film", "expect": {"tagged": {"tags": ["musical"], "at_least": 5},
             "shows": ["No Such Film Anywhere"], "note": "no such note", "wants": ["western"]}}]}]}"#,
    )
    .expect("parses");
    let failures = replay(&engine, &script);
    assert_eq!(failures.len(), 4, "{failures:#?}");
}
