//! `kith recommend` (one turn from a fresh profile) and `kith chat` (the same
//! dialogue, multi-turn, in the terminal).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use crate::core::profile::{Profile, ProfileError};
use crate::core::session::{Engine, Feedback, Reply};

/// Arguments of `kith recommend`.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Bundle written by `kith build`.
    #[arg(long)]
    bundle: PathBuf,
    /// What the visitor says.
    #[arg(long)]
    say: std::ffi::OsString,
    /// How many recommendations.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Diversity 0..1 (MMR λ).
    #[arg(long)]
    diversity: Option<f32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `kith chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Bundle written by `kith build`.
    #[arg(long)]
    bundle: PathBuf,
    /// Keep the profile in this JSON file between runs (created if missing).
    #[arg(long)]
    profile: Option<PathBuf>,
    /// How many recommendations per reply.
    #[arg(long, default_value_t = 5)]
    k: usize,
    /// Phrase the question and the explanations with the small language model
    /// (default file: models/SmolLM2-135M-Instruct.q8.gguf, from `kith model
    /// fetch --llm` and `kith model convert --llm`). Every sentence is checked
    /// against the engine's facts; a rejected one falls back to the template.
    #[arg(long, num_args = 0..=1, default_missing_value = "models/SmolLM2-135M-Instruct.q8.gguf")]
    llm: Option<PathBuf>,
    /// With --llm: how many explanations per reply to phrase.
    #[arg(long, default_value_t = 3)]
    phrase: usize,
    /// Scripted dialogue: one JSON change per input line —
    /// {"kind":"say","text":"…"}, {"kind":"feedback","id":"…","feedback":"love"}
    /// (or not_for_me, more_like_this, already_seen), {"kind":"controls",
    /// "controls":{…}} — and one JSON line out for each: the reply, in the
    /// schema of `recommend --json`, or {"error": "…"}. Blank lines are
    /// skipped. The same changes as the wasm `Session.apply`.
    #[arg(long, conflicts_with = "llm")]
    json: bool,
}

pub(super) fn load_engine(path: &PathBuf) -> Result<Engine> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("{} (build one with `kith build`)", path.display()))?;
    let engine = Engine::load(&bytes).with_context(|| path.display().to_string())?;
    if let Some(p) = engine.encoder_problem() {
        eprintln!("kith: warning: understanding by meaning is off ({p}); titles, tags and picks still work");
    }
    Ok(engine)
}

/// The reply as the JSON the issue specifies, with extra fields.
pub fn reply_json(r: &Reply) -> serde_json::Value {
    serde_json::json!({
        "question": r.question,
        "recommendations": r.recommendations.iter().map(|x| serde_json::json!({
            "id": x.id,
            "title": x.title,
            "score": x.score,
            "explanation": x.explanation,
            "creators": x.creators,
            "tags": x.tags,
            "year": x.year,
            "signal": x.because.signal,
            "parts": x.parts,
        })).collect::<Vec<_>>(),
        "understood": r.understood,
        "notes": r.notes,
        "question_about": r.question_about,
    })
}

fn print_reply(r: &Reply, out: &mut impl Write) -> std::io::Result<()> {
    let u = &r.understood;
    let mut heard = Vec::new();
    if !u.liked.is_empty() {
        heard.push(format!("liked {}", u.liked.join(", ")));
    }
    if !u.disliked.is_empty() {
        heard.push(format!("disliked {}", u.disliked.join(", ")));
    }
    if !u.wanted_tags.is_empty() {
        heard.push(format!("wants {}", u.wanted_tags.join(", ")));
    }
    if !u.wanted_creators.is_empty() {
        heard.push(format!("wants {}", u.wanted_creators.join(", ")));
    }
    if !u.avoided_creators.is_empty() {
        heard.push(format!("avoids {}", u.avoided_creators.join(", ")));
    }
    if !u.avoided_themes.is_empty() {
        heard.push(format!(
            "steers away from \"{}\"",
            u.avoided_themes.join(", ")
        ));
    }
    if let Some(f) = &u.follow_up {
        heard.push(format!("follow-up {f:?}"));
    }
    if !u.avoided_tags.is_empty() {
        heard.push(format!("avoids {}", u.avoided_tags.join(", ")));
    }
    if let Some(t) = &u.themes {
        heard.push(format!("themes \"{t}\""));
    }
    if !heard.is_empty() {
        writeln!(out, "  (understood: {})", heard.join("; "))?;
    }
    for n in &r.notes {
        writeln!(out, "  note: {n}")?;
    }
    for (k, rec) in r.recommendations.iter().enumerate() {
        let by = if rec.creators.is_empty() {
            String::new()
        } else {
            format!(" — {}", rec.creators.join(", "))
        };
        writeln!(out, "  {:>2}. {}{}  [{}]", k + 1, rec.title, by, rec.id)?;
        writeln!(out, "      {}", rec.explanation)?;
    }
    if let Some(q) = &r.question {
        writeln!(out, "kith: {q}")?;
    }
    Ok(())
}

pub fn run_recommend(a: RecommendArgs) -> Result<()> {
    let say = a
        .say
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("--say is not valid UTF-8 text"))?;
    let engine = load_engine(&a.bundle)?;
    let mut p = engine.new_profile();
    p.controls.count = a.k.clamp(1, 100);
    if let Some(d) = a.diversity {
        anyhow::ensure!(
            (0.0..=1.0).contains(&d),
            "--diversity must be between 0 and 1"
        );
        p.controls.diversity = d;
    }
    let r = engine.say(&mut p, say)?;
    if a.json {
        outln!("{}", reply_json(&r));
    } else {
        print_reply(&r, &mut std::io::stdout())?;
    }
    Ok(())
}

const CHAT_HELP: &str =
    "Type what you like. Commands: /love N, /nope N, /more N, /seen N (N = list number), \
/diversity X (0-1), /avoid TAG, /profile, /reset, /quit.";

/// Phrases a reply's question and first explanations, streaming each to the
/// terminal and saying when the guard kept the template instead.
fn print_phrasings(
    engine: &Engine,
    p: &Profile,
    r: &Reply,
    llm: &mut crate::core::llm::Llm,
    top: usize,
    stats: &mut crate::core::phrasing::PhrasingStats,
    out: &mut impl Write,
) -> Result<()> {
    use crate::core::phrasing::{phrase, reply_facts, Slot};
    for (slot, facts) in reply_facts(engine, p, r, top) {
        match slot {
            Slot::Question => write!(out, "  ~ question: ")?,
            Slot::Recommendation(i) => write!(out, "  ~ {:>2}: ", i + 1)?,
        }
        out.flush()?;
        let mut sink = |t: &str| {
            let _ = write!(std::io::stdout(), "{t}");
            let _ = std::io::stdout().flush();
            true
        };
        let got = phrase(
            llm,
            &facts,
            &crate::core::phrasing::Grounding::of(engine),
            &mut sink,
        );
        stats.add(&got);
        match &got.rejection {
            None => writeln!(out)?,
            Some(why) => writeln!(out, "  [rejected: {why}; shown instead: {}]", got.text)?,
        }
    }
    writeln!(
        out,
        "  (phrasing: {} kept, {} rejected so far)",
        stats.kept, stats.rejected
    )?;
    Ok(())
}

/// The profile stored at `path`, or a fresh one when there is none yet.
/// An unreadable file is kept aside under a name no other backup has (it is
/// never overwritten); one written by a newer Kith is refused, untouched;
/// and only a regular file is ever read, renamed or replaced.
fn open_profile_file(engine: &Engine, path: &Path) -> Result<Profile> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(engine.new_profile()),
        Err(e) => return Err(e).with_context(|| path.display().to_string()),
    };
    anyhow::ensure!(
        meta.is_file(),
        "--profile {} is not a regular file; give the path of a file to keep the profile in",
        path.display()
    );
    anyhow::ensure!(
        meta.len() <= crate::core::profile::MAX_PROFILE_BYTES as u64,
        "--profile {} is {} bytes, more than a profile may be ({})",
        path.display(),
        meta.len(),
        crate::core::profile::MAX_PROFILE_BYTES
    );
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    let failure = match std::str::from_utf8(&bytes) {
        Ok(json) => match engine.open_profile(json) {
            Ok(p) => return Ok(p),
            Err(e @ crate::core::session::EngineError::Profile(ProfileError::TooNew { .. })) => {
                anyhow::bail!(
                    "{}: {e}; it is left as it is (use that Kith, or another --profile)",
                    path.display()
                )
            }
            Err(e) => e.to_string(),
        },
        Err(_) => "it is not UTF-8 text".to_string(),
    };
    let backup = free_backup_name(path);
    std::fs::rename(path, &backup)
        .with_context(|| format!("keeping the unreadable {} aside", path.display()))?;
    eprintln!(
        "kith: could not read the profile ({failure}); kept it as {} and started fresh",
        backup.display()
    );
    Ok(engine.new_profile())
}

/// `P.corrupt.json`, or `P.corrupt-2.json`, … : the first name not taken.
fn free_backup_name(path: &Path) -> PathBuf {
    (1u32..)
        .map(|n| match n {
            1 => path.with_extension("corrupt.json"),
            n => path.with_extension(format!("corrupt-{n}.json")),
        })
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .unwrap_or_else(|| path.with_extension("corrupt.json"))
}

/// Writes the profile whole or not at all: a temporary file beside it,
/// then a rename, so an interrupted save never leaves half a profile.
fn save_profile_file(path: &Path, p: &Profile) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, p.to_json()).with_context(|| tmp.display().to_string())?;
    std::fs::rename(&tmp, path).with_context(|| path.display().to_string())
}

pub fn run_chat(a: ChatArgs) -> Result<()> {
    let engine = load_engine(&a.bundle)?;
    let mut llm = match &a.llm {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| {
                format!(
                    "{} (get it with `kith model fetch --llm && kith model convert --llm`)",
                    path.display()
                )
            })?;
            Some(
                crate::core::llm::Llm::from_gguf_bytes(&bytes)
                    .with_context(|| path.display().to_string())?,
            )
        }
        None => None,
    };
    let mut stats = crate::core::phrasing::PhrasingStats::default();
    let mut p: Profile = match &a.profile {
        Some(path) => open_profile_file(&engine, path)?,
        None => engine.new_profile(),
    };
    p.controls.count = a.k.clamp(1, 100);
    if a.json {
        return run_chat_json(&engine, p, a.profile.as_deref());
    }
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    writeln!(out, "kith: {}  ({CHAT_HELP})", engine.opening_question())?;
    let save = |p: &Profile| -> Result<()> {
        match &a.profile {
            Some(path) => save_profile_file(path, p),
            None => Ok(()),
        }
    };
    loop {
        write!(out, "you: ")?;
        out.flush()?;
        let mut bytes = Vec::new();
        if stdin.lock().read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        // One line that is not UTF-8 must not end the conversation.
        let Ok(line) = String::from_utf8(bytes) else {
            writeln!(out, "kith: that line was not UTF-8 text; say it again?")?;
            continue;
        };
        let line = line.trim();
        let mut parts = line.splitn(2, ' ');
        let cmd = parts.next().unwrap_or("");
        let arg = parts.next().unwrap_or("").trim();
        let nth = |arg: &str| -> Option<String> {
            let n: usize = arg.parse().ok()?;
            p.shown.get(n.checked_sub(1)?).cloned()
        };
        let result = match cmd {
            "/quit" | "/exit" => break,
            "/help" => {
                writeln!(out, "{CHAT_HELP}")?;
                continue;
            }
            "/profile" => {
                print_profile(&p, &mut out)?;
                continue;
            }
            "/reset" => {
                p = engine.new_profile();
                p.controls.count = a.k.clamp(1, 100);
                save(&p)?;
                writeln!(out, "kith: forgotten. {}", engine.opening_question())?;
                continue;
            }
            "/love" | "/nope" | "/more" | "/seen" => match (nth(arg), feedback_command(cmd)) {
                (Some(id), Some(fb)) => engine.feedback(&mut p, &id, fb),
                _ => {
                    writeln!(
                        out,
                        "kith: give a number from the last list (1-{})",
                        p.shown.len()
                    )?;
                    continue;
                }
            },
            "/diversity" => match arg.parse::<f32>() {
                Ok(d) => {
                    let mut c = p.controls.clone();
                    c.diversity = d;
                    engine.set_controls(&mut p, c)
                }
                Err(_) => {
                    writeln!(out, "kith: /diversity takes a number between 0 and 1")?;
                    continue;
                }
            },
            "/avoid" => {
                let mut c = p.controls.clone();
                if !arg.is_empty() && !c.avoid_topics.iter().any(|t| t == arg) {
                    c.avoid_topics.push(arg.to_lowercase());
                }
                engine.set_controls(&mut p, c)
            }
            _ => engine.say(&mut p, line),
        };
        match result {
            Ok(r) => {
                print_reply(&r, &mut out)?;
                if let Some(llm) = llm.as_mut() {
                    print_phrasings(&engine, &p, &r, llm, a.phrase, &mut stats, &mut out)?;
                }
            }
            Err(e) => writeln!(out, "kith: {e}")?,
        }
        save(&p)?;
    }
    save(&p)?;
    Ok(())
}

/// The feedback a chat command gives (`/love 2`, `/nope 1`, …).
fn feedback_command(cmd: &str) -> Option<Feedback> {
    match cmd {
        "/love" => Some(Feedback::Love),
        "/nope" => Some(Feedback::NotForMe),
        "/more" => Some(Feedback::MoreLikeThis),
        "/seen" => Some(Feedback::AlreadySeen),
        _ => None,
    }
}

/// `/profile`: what the profile holds, in a few lines.
fn print_profile(p: &Profile, out: &mut impl Write) -> Result<()> {
    let acc = p.acceptance();
    writeln!(
        out,
        "  liked/disliked: {:?}",
        p.picks
            .iter()
            .map(|x| (x.id.clone(), x.strength))
            .collect::<Vec<_>>()
    )?;
    writeln!(
        out,
        "  wanted tags: {:?}; avoided: {:?} / {:?}",
        p.wanted_tags, p.avoided_tags, p.controls.avoid_topics
    )?;
    writeln!(
        out,
        "  shown {}, accepted {}, rejected {}",
        acc.shown, acc.accepted, acc.rejected
    )?;
    Ok(())
}

/// `kith chat --json`: one change in, one JSON line out, the profile saved
/// after every change that succeeded. A line that is not a change gets an
/// error line and the dialogue goes on.
fn run_chat_json(engine: &Engine, mut p: Profile, profile: Option<&Path>) -> Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    loop {
        let mut bytes = Vec::new();
        if stdin.lock().read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        let answer = match std::str::from_utf8(&bytes) {
            Err(_) => serde_json::json!({ "error": "the line is not UTF-8 text" }),
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => match serde_json::from_str::<crate::core::sync::Change>(line) {
                Err(e) => serde_json::json!({
                    "error": format!("not a change ({e}); expected {{\"kind\":\"say\",\"text\":\"…\"}}, feedback or controls")
                }),
                Ok(change) => match change.apply_to(engine, &mut p) {
                    Ok(r) => {
                        if let Some(path) = profile {
                            save_profile_file(path, &p)?;
                        }
                        reply_json(&r)
                    }
                    Err(e) => serde_json::json!({ "error": e.to_string() }),
                },
            },
        };
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
    Ok(())
}
