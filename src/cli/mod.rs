//! The `kith` command line: a thin clap shell over the core. Each subcommand
//! lives in its own file; this one parses arguments and reports errors.

/// `println!` that returns the write's error instead of panicking, so a
/// closed pipe (`kith … | head`) ends the command quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?;
    }};
}

/// `print!` that returns the write's error instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*)?;
    }};
}

mod build;
mod coldstart;
mod embed;
mod eval;
mod model;
mod phrasing;
mod progress;
mod recommend;
mod requests;
mod serve;
mod simulate;
mod split;
mod tune;

use clap::{Parser, Subcommand, ValueEnum};

use crate::offline::build::Format;

/// Kith builds what the browser loads and measures recommendation quality offline.
#[derive(Debug, Parser)]
#[command(name = "kith", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate popularity, random and MF models with the standard offline protocol
    /// (per-user random 75/25 split, full ranking, training items excluded).
    Eval(eval::EvalArgs),
    /// Choose MF hyper-parameters on validation folds carved from the training
    /// data (the test split is never looked at).
    Tune(tune::TuneArgs),
    /// Serve a folder (the demo page) over HTTP on localhost.
    Serve(serve::ServeArgs),
    /// Obtain and convert model files (the sentence encoder).
    Model(model::ModelArgs),
    /// Print sentence embeddings of texts (384-d unit vectors).
    Embed(embed::EmbedArgs),
    /// Build the one bundle file the browser loads (catalog, MF factors,
    /// embeddings, bridge, encoder).
    Build(build::BuildArgs),
    /// Split a bundle into the parts a page downloads in stages (core, text,
    /// encoder; content-addressed) and write the manifest the page loads.
    Split(split::SplitArgs),
    /// Answer one turn from a fresh profile: recommendations and maybe a question.
    Recommend(recommend::RecommendArgs),
    /// Talk with Kith in the terminal, multi-turn.
    Chat(recommend::ChatArgs),
    /// Simulated new visitors: question strategies against popularity and MF
    /// fed 5 ratings, plus a beyond-accuracy and bias report.
    Simulate(simulate::SimulateArgs),
    /// Item cold start: hold 10% of items out of MF training and rank them by
    /// the factors the bridge gives their text.
    Coldstart(coldstart::ColdStartArgs),
    /// Measure the language model's phrasing on simulated visitors' dialogues: how
    /// often the guard rejects an output and why, speed, and side-by-side samples.
    Phrasing(phrasing::PhrasingArgs),
    /// Say a file of natural requests to a fresh profile each and measure the
    /// lists: precision on wanted tags, avoided tags, truthful explanations.
    Requests(requests::RequestsArgs),
}

/// A data-set format on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// MovieLens 100K folder (u.data, u.item).
    Ml100k,
    /// goodbooks-10k folder (books.csv, tags.csv, book_tags.csv, ratings.csv).
    Goodbooks,
    /// Kith's generic folder (items.csv, interactions.csv); see docs/DATA.md.
    Csv,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Ml100k => Format::Ml100k,
            FormatArg::Goodbooks => Format::Goodbooks,
            FormatArg::Csv => Format::Csv,
        }
    }
}

/// The tuned hyper-parameters a format's catalog of `items` items uses.
fn tuned_for(f: FormatArg, items: usize) -> crate::offline::eval::TunedFor {
    match f {
        FormatArg::Goodbooks => crate::offline::eval::TunedFor::Goodbooks,
        FormatArg::Ml100k => crate::offline::eval::TunedFor::Ml100k,
        FormatArg::Csv => crate::offline::eval::TunedFor::Other { items },
    }
}

/// The ALS settings and bridge penalty `bundle` was built with, for tools
/// that retrain on a split of the same data; bundles from before
/// self-calibration fall back to the values recorded per format.
fn bundle_settings(
    format: FormatArg,
    bundle: &crate::core::bundle::Bundle,
    seed: u64,
) -> (crate::core::mf::als::AlsParams, f32) {
    let catalog = tuned_for(format, bundle.catalog.len());
    let (_, tuned) = crate::offline::eval::tuned(catalog, seed);
    let als = match &bundle.meta.mf_choice {
        Some(c) => crate::core::mf::als::AlsParams { seed, ..c.params },
        None => tuned,
    };
    let lambda = bundle
        .meta
        .bridge_lambda
        .unwrap_or_else(|| crate::offline::eval::tuned_bridge_lambda(catalog));
    (als, lambda)
}

/// A data set and a bundle built from it: what `simulate` and `coldstart`
/// read (item embeddings come from the bundle, interactions from the data).
#[derive(Debug, clap::Args)]
pub struct DataWithBundle {
    /// Format of --data.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Data-set folder (the same data the bundle was built from).
    #[arg(long)]
    data: std::path::PathBuf,
    /// Bundle built from --data with the encoder.
    #[arg(long)]
    bundle: std::path::PathBuf,
}

impl DataWithBundle {
    /// Loads both, refusing a bundle whose catalog is another one (its item
    /// order must match the data's).
    fn load(
        &self,
    ) -> anyhow::Result<(crate::offline::build::Dataset, crate::core::bundle::Bundle)> {
        use anyhow::Context;
        let (data, bundle) = (&self.data, &self.bundle);
        let d = crate::offline::build::load(
            self.format.into(),
            data,
            crate::offline::build::LoadOptions::default(),
        )
        .with_context(|| data.display().to_string())?;
        let bytes = std::fs::read(bundle).with_context(|| {
            format!(
                "{} (build it with `kith build` from the same data)",
                bundle.display()
            )
        })?;
        let b = crate::core::bundle::Bundle::from_bytes(&bytes)
            .with_context(|| bundle.display().to_string())?;
        let same = b.catalog.len() == d.catalog.len()
            && b.catalog
                .items()
                .iter()
                .zip(d.catalog.items())
                .all(|(x, y)| x.id == y.id);
        anyhow::ensure!(
            same,
            "the bundle's catalog is not the one in {}",
            data.display()
        );
        Ok((d, b))
    }
}

/// Whether an error is, at its root, a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// An error and its causes on one line, each said once: the core's typed
/// errors already include their cause in their own message, so a cause
/// whose words are already there is not repeated.
fn error_message(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string().replace('\n', " ");
        if msg.contains(&text) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&text);
    }
    msg
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Eval(a) => eval::run(a),
        Command::Tune(a) => tune::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Model(a) => model::run(a),
        Command::Embed(a) => embed::run(a),
        Command::Build(a) => build::run(a),
        Command::Split(a) => split::run(a),
        Command::Recommend(a) => recommend::run_recommend(a),
        Command::Chat(a) => recommend::run_chat(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Coldstart(a) => coldstart::run(a),
        Command::Phrasing(a) => phrasing::run(a),
        Command::Requests(a) => requests::run(a),
    };
    match result {
        Ok(()) => 0,
        // The reader went away (`kith … | head`): nothing left to say.
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            eprintln!("kith: error: {}", error_message(&e));
            1
        }
    }
}
