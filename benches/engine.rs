//! Engine speed in one run: a full conversational turn on the demo bundle
//! (understand, encode, update the profile, rank 10,000 items, diversify,
//! explain, maybe choose a question), and top-20 over 1M items × 64 dims.
//!
//!     cargo bench --bench engine            # needs models/goodbooks.kith

use std::time::Instant;

use kith::core::bundle::Bundle;
use kith::core::graph::Graph;
use kith::core::interactions::rng;
use kith::core::mentions::MentionIndex;
use kith::core::mf::{top_k, MfModel, UserVector};
use kith::core::session::{Engine, Feedback};
use rand::Rng;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn turns(engine: &Engine) {
    let openings = [
        "I loved Dune for its world-building and political intrigue",
        "something by Terry Pratchett, but no romance",
        "cozy village mysteries with an amateur sleuth",
        "I want a good book",
        "anything but horror, I liked The Hunger Games",
    ];
    let follow = [
        "more like the second one",
        "something different",
        "yes",
        "shorter please",
    ];
    // Warm up once.
    let mut p = engine.new_profile();
    let _ = engine.say(&mut p, openings[0]);
    let (mut first, mut later, mut feedback) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..8 {
        for o in openings {
            let mut p = engine.new_profile();
            let t = Instant::now();
            let r = engine.say(&mut p, o).expect("turn");
            first.push(t.elapsed().as_secs_f64() * 1e3);
            for f in follow {
                let t = Instant::now();
                engine.say(&mut p, f).expect("turn");
                later.push(t.elapsed().as_secs_f64() * 1e3);
            }
            let id = r.recommendations[round % r.recommendations.len()]
                .id
                .clone();
            let t = Instant::now();
            engine
                .feedback(&mut p, &id, Feedback::Love)
                .expect("feedback");
            feedback.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    println!(
        "first turn (parse, embed, fold-in, rank 10k, MMR, explain, question): median {:.1} ms, p90 {:.1} ms ({} turns)",
        median(first.clone()),
        pct(first.clone(), 0.9),
        first.len()
    );
    println!(
        "follow-up turns: median {:.1} ms, p90 {:.1} ms ({} turns)",
        median(later.clone()),
        pct(later.clone(), 0.9),
        later.len()
    );
    println!(
        "feedback (no encoder call): median {:.1} ms, p90 {:.1} ms",
        median(feedback.clone()),
        pct(feedback, 0.9)
    );
}

/// The longest messages the engine reads (2,000 characters): made-up words
/// and a misspelt paragraph, where every unknown word is looked up with its
/// typos against every name in the catalog.
fn long_messages(engine: &Engine) {
    let mut r = rng(11);
    let mut made_up = String::new();
    while made_up.len() < 2_000 {
        let len = r.random_range(4..12);
        made_up.extend((0..len).map(|_| (b'a' + r.random_range(0..26u8)) as char));
        made_up.push(' ');
    }
    let misspelt = "I loved the wonderfull storie about a yung wizzard and his frends \
                    who fite the dark lord in a magicle scool full of misteries and dragones "
        .repeat(20);
    for (name, text) in [("made-up words", &made_up), ("misspelt", &misspelt)] {
        let text: String = text.chars().take(2_000).collect();
        let mut times = Vec::new();
        for _ in 0..10 {
            let mut p = engine.new_profile();
            let t = Instant::now();
            engine.say(&mut p, &text).expect("turn");
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "2,000-character message ({name}): median {:.0} ms",
            median(times)
        );
    }
}

fn million() {
    let (n, d) = (1_000_000usize, 64usize);
    let mut r = rng(3);
    let factors: Vec<f32> = (0..n * d).map(|_| r.random::<f32>() - 0.5).collect();
    let bias: Vec<f32> = (0..n).map(|_| r.random::<f32>() * 0.1).collect();
    let model = MfModel::from_items(d, factors, bias).expect("model");
    let user = UserVector {
        factors: (0..d).map(|_| r.random::<f32>() - 0.5).collect(),
        bias: 0.0,
    };
    let mut scores = Vec::with_capacity(n);
    let (mut score_t, mut top_t) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let t = Instant::now();
        model.score_all(&user, &mut scores).expect("score");
        score_t.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        std::hint::black_box(top_k(&scores, 20, &[5, 17, 99]));
        top_t.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "1,000,000 items x 64 dims: score all {:.1} ms + top-20 {:.1} ms = {:.1} ms (median of 20; item factors {:.0} MB f32)",
        median(score_t.clone()),
        median(top_t.clone()),
        median(score_t) + median(top_t),
        (n * d * 4) as f64 / 1e6
    );
}

/// Milliseconds of `f`, median of five runs.
fn ms<T>(mut f: impl FnMut() -> T) -> f64 {
    median(
        (0..5)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

/// What a page waits for before its first answer with a staged bundle:
/// reading the core part and building the engine's indexes, step by step;
/// then attaching the text and encoder parts.
fn staged_load(bytes: &[u8]) {
    let bundle = Bundle::from_bytes(bytes).expect("bundle loads");
    let parts = bundle.to_parts();
    let core = &parts[0].1;
    let parsed = Bundle::from_bytes(core).expect("core part loads");
    println!(
        "core part {:.2} MB: read (checksums, inflate, JSON, int8 MF) {:.0} ms; graph {:.0} ms; \
         names and vocabulary {:.0} ms; MF Gram matrix {:.0} ms; whole engine {:.0} ms",
        core.len() as f64 / 1e6,
        ms(|| Bundle::from_bytes(core).expect("core")),
        ms(|| Graph::build(&parsed.catalog)),
        ms(|| MentionIndex::build(&parsed.catalog, &parsed.attributes.tags)),
        ms(|| parsed.mf.gram()),
        ms(|| Engine::load(core).expect("core")),
    );
    for (part, b) in &parts[1..] {
        let mut times = Vec::new();
        for _ in 0..3 {
            let mut e = Engine::load(core).expect("core");
            let t = Instant::now();
            e.attach(b).expect("part attaches");
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "attach the {} part ({:.1} MB): {:.0} ms",
            part.name(),
            b.len() as f64 / 1e6,
            median(times)
        );
    }
}

fn main() {
    let path = std::env::var("KITH_BUNDLE").unwrap_or_else(|_| "models/goodbooks.kith".into());
    match std::fs::read(&path) {
        Ok(bytes) => {
            let t = Instant::now();
            let engine = Engine::load(&bytes).expect("bundle loads");
            println!(
                "load {} ({:.1} MB: parse, verify checksums, load encoder, index names): {:.0} ms",
                path,
                bytes.len() as f64 / 1e6,
                t.elapsed().as_secs_f64() * 1e3
            );
            staged_load(&bytes);
            turns(&engine);
            long_messages(&engine);
        }
        Err(e) => {
            println!("{path}: {e} — skipping the turn benchmark (build the demo bundle first)")
        }
    }
    million();
}
