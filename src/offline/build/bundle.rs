//! Building a bundle (native): train or import MF item factors, embed every
//! item's text and every tag with the encoder, fit the text-to-MF bridge, give
//! items nobody rated factors from their text, and assemble the file.

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::loaders::{open_path, Dataset, Format, LoadError};
use super::tags::aliases;
use crate::core::bridge::{fit_items, BridgeError};
use crate::core::bundle::{AttributeStats, Bundle, BundleMeta, MfChoice};
use crate::core::catalog::{Catalog, Item};
use crate::core::embeddings::{EmbeddingsError, QuantizedEmbeddings};
use crate::core::encoder::{Encoder, EncoderError};
use crate::core::facets::{self, FacetError};
use crate::core::mf::als::{self, AlsParams};
use crate::core::mf::{MfError, MfModel};
use crate::offline::calibrate::{calibrate_als, Calibration, CalibrationError, SearchPlan};
use crate::offline::coldstart::{choose_bridge_lambda, ColdStartError, BRIDGE_LAMBDAS};

/// Why a bundle could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Reading input failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Training or importing factors failed.
    #[error(transparent)]
    Mf(#[from] MfError),
    /// The encoder failed.
    #[error(transparent)]
    Encoder(#[from] EncoderError),
    /// The bridge could not be fitted.
    #[error(transparent)]
    Bridge(#[from] BridgeError),
    /// Embeddings were malformed.
    #[error(transparent)]
    Embeddings(#[from] EmbeddingsError),
    /// The MF settings could not be chosen.
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
    /// The bridge penalty could not be chosen.
    #[error(transparent)]
    BridgePenalty(#[from] ColdStartError),
    /// A facet setting names an unknown facet or tag.
    #[error("--facet: {0}")]
    Facet(#[from] FacetError),
    /// An imported factor file is malformed.
    #[error("{file}:{line}: {reason}")]
    Factors {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Item factors read from a file: the dimension, and per catalog item its
/// factors and bias (`None` when the file has no row for it).
pub type ImportedFactors = (usize, Vec<Option<(Vec<f32>, f32)>>);

/// Describes the catalog in the bundle's metadata.
#[derive(Debug, Clone)]
pub struct CatalogInfo {
    /// Catalog name.
    pub name: String,
    /// Singular and plural item noun.
    pub item_noun: (String, String),
    /// "read", "watched"…
    pub consume_verb: String,
    /// "wrote", "directed", "made"… (empty: derived from `consume_verb`).
    pub creator_verb: String,
    /// Attribution and licence.
    pub attribution: String,
}

impl CatalogInfo {
    /// What a format's data set is and says about itself: the two public
    /// data sets Kith reads by name carry their own names, nouns and
    /// licences; a site owner's CSV folder is named after its folder and
    /// speaks of items until `kith build --noun/--verb` says otherwise.
    pub fn defaults(format: Format, folder: &str) -> CatalogInfo {
        let (name, noun, verb, attribution) = match format {
            Format::Goodbooks => (
                "goodbooks-10k",
                ("book", "books"),
                "read",
                "goodbooks-10k by Zygmunt Zając (github.com/zygmuntz/goodbooks-10k), CC BY-SA 4.0; derived data shared under the same licence",
            ),
            Format::Ml100k => (
                "movielens-100k",
                ("film", "films"),
                "watched",
                "MovieLens 100K, GroupLens Research (grouplens.org): research use only, not for redistribution",
            ),
            Format::Csv => (folder, ("item", "items"), "enjoyed", ""),
        };
        CatalogInfo {
            name: name.to_string(),
            item_noun: (noun.0.to_string(), noun.1.to_string()),
            consume_verb: verb.to_string(),
            creator_verb: String::new(),
            attribution: attribution.to_string(),
        }
    }
}

/// The text an item is embedded from: title, creators, clean tags, year,
/// description (what the visitor may describe it by).
pub fn item_text(item: &Item) -> String {
    let mut s = item.title.clone();
    if !item.creators.is_empty() {
        s.push_str(" by ");
        s.push_str(&item.creators.join(", "));
    }
    s.push('.');
    if !item.tags.is_empty() {
        let tags: Vec<String> = item.tags.iter().map(|t| t.replace('-', " ")).collect();
        s.push(' ');
        s.push_str(&tags.join(", "));
        s.push('.');
    }
    if !item.description.is_empty() {
        s.push(' ');
        s.push_str(&item.description);
    }
    s
}

/// Embeds texts in parallel batches of 32; `progress(done, total)` after each.
pub fn embed_all(
    encoder: &Encoder,
    texts: &[String],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Vec<f32>>, EncoderError> {
    // A batch is padded to its longest text, so batches of similar lengths
    // waste far less work than batches in catalog order (measured:
    // docs/BENCHMARKS.md §6); the results go back in the given order.
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| texts[i].len());
    let done = std::sync::atomic::AtomicUsize::new(0);
    let chunks: Vec<Vec<Vec<f32>>> = order
        .par_chunks(32)
        .map(|chunk| {
            let refs: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
            let out = encoder.embed_batch(&refs)?;
            let d = done.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed) + chunk.len();
            progress(d, texts.len());
            Ok(out)
        })
        .collect::<Result<_, EncoderError>>()?;
    let mut out = vec![Vec::new(); texts.len()];
    for (&i, v) in order.iter().zip(chunks.into_iter().flatten()) {
        out[i] = v;
    }
    Ok(out)
}

/// Reads item factors trained elsewhere: a CSV with header
/// `item,f1,…,fd[,bias]` (any names; a last column named `bias` is the bias).
/// Every row must name a catalog item; catalog items missing from the file
/// are returned as `None` so the bridge can fill them from their text.
pub fn read_item_factors(path: &Path, catalog: &Catalog) -> Result<ImportedFactors, BuildError> {
    let file = path.display().to_string();
    let bad = |line: usize, reason: String| BuildError::Factors {
        file: file.clone(),
        line,
        reason,
    };
    let mut reader = open_path(path)?;
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| bad(0, format!("cannot read: {e}")))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let has_bias = headers
        .iter()
        .next_back()
        .is_some_and(|h| h.eq_ignore_ascii_case("bias"));
    let dim = headers.len().saturating_sub(1 + usize::from(has_bias));
    if dim == 0 {
        return Err(bad(
            1,
            "expected a header item,f1,…,fd[,bias] with at least one factor".into(),
        ));
    }
    let mut out: Vec<Option<(Vec<f32>, f32)>> = vec![None; catalog.len()];
    for rec in rdr.records() {
        let rec =
            rec.map_err(|e| bad(e.position().map_or(0, |p| p.line() as usize), e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        if rec.len() != headers.len() {
            return Err(bad(
                line,
                format!("expected {} fields, found {}", headers.len(), rec.len()),
            ));
        }
        let id = rec.get(0).unwrap_or("");
        let idx = catalog
            .index_of(id)
            .ok_or_else(|| bad(line, format!("item {id:?} is not in the catalog")))?;
        let mut vals = Vec::with_capacity(dim + 1);
        for k in 1..rec.len() {
            let v: f32 = rec
                .get(k)
                .unwrap_or("")
                .parse()
                .map_err(|_| bad(line, format!("field {} is not a number", k + 1)))?;
            if !v.is_finite() {
                return Err(bad(line, format!("field {} is not finite", k + 1)));
            }
            vals.push(v);
        }
        let bias = if has_bias {
            vals.pop().unwrap_or(0.0)
        } else {
            0.0
        };
        if out[idx as usize].replace((vals, bias)).is_some() {
            return Err(bad(line, format!("item {id:?} appears twice")));
        }
    }
    Ok((dim, out))
}

/// The bridge penalty for imported factors when none is given: the middle
/// of [`BRIDGE_LAMBDAS`], the value most catalogs chose.
pub const DEFAULT_BRIDGE_LAMBDA: f32 = 100.0;

/// How the MF trainer's settings are decided when training here.
#[derive(Debug, Clone, PartialEq)]
pub enum MfSettings {
    /// Searched on validation folds of the build's own interactions
    /// ([`crate::offline::calibrate`]), within the plan's budget.
    Search(SearchPlan),
    /// Given by the caller (`kith build --als`); also the fold-in settings
    /// of imported factors.
    Given(AlsParams),
}

/// What a build did, for the CLI to report.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// The search that chose the MF settings, when there was one.
    pub calibration: Option<Calibration>,
    /// Why the search did not run, when it was asked for and could not.
    pub search_skipped: Option<String>,
    /// (λ, validation NDCG@10) of each bridge penalty tried, when it was chosen here.
    pub bridge_validation: Vec<(f32, f64)>,
    /// Items whose factors came from their text (no interactions, or missing from imported factors).
    pub cold_items: usize,
    /// Items the bridge was fitted on.
    pub bridge_items: usize,
}

/// The record of how the ALS settings `p` were decided.
fn mf_choice(p: &AlsParams, chosen_by: &str, search: Option<(&Calibration, usize)>) -> MfChoice {
    MfChoice {
        params: *p,
        chosen_by: chosen_by.to_string(),
        validation_ndcg: search.map(|(c, _)| c.ndcg),
        validation_std_error: search.map(|(c, _)| c.std_error),
        popularity_ndcg: search.map(|(c, _)| c.popularity_ndcg),
        k: search.map_or(0, |(_, k)| k),
        configurations: search.map_or(0, |(c, _)| c.trials.len()),
        search_complete: search.is_some_and(|(c, _)| c.complete),
    }
}

/// Inputs of a build besides the data set.
pub struct BuildInputs<'a> {
    /// The catalog's description.
    pub info: CatalogInfo,
    /// The encoder, and its GGUF bytes to ship; `None` builds an encoder-less bundle.
    pub encoder: Option<(&'a Encoder, Vec<u8>)>,
    /// Item factors trained elsewhere (`read_item_factors`), instead of training here.
    pub imported: Option<ImportedFactors>,
    /// How to decide the ALS settings when training here.
    pub mf: MfSettings,
    /// ALS settings when none are searched or given: the fold-in settings of
    /// imported factors, and training on data too small to validate on.
    pub fallback_als: AlsParams,
    /// Ridge penalty of the bridge; `None` chooses it on pseudo-cold items
    /// ([`choose_bridge_lambda`]).
    pub bridge_lambda: Option<f32>,
    /// The site owner's corrections of the learned facets
    /// (`children=picture-books,middle-grade`, `light=`: `kith build
    /// --facet`), applied after learning, in order.
    pub facet_settings: Vec<String>,
}

/// Checks facet settings against a loaded catalog's tags before anything
/// is built, so a mistyped `--facet` is refused at once, not after the build.
pub fn check_facet_settings(data: &Dataset, settings: &[String]) -> Result<(), FacetError> {
    let tags = AttributeStats::of(&data.catalog).tags;
    for setting in settings {
        facets::apply_setting(&mut Vec::new(), &tags, setting)?;
    }
    Ok(())
}

/// Assembles a bundle from a loaded data set. `progress(stage, done, total)`.
pub fn build(
    data: &Dataset,
    inputs: BuildInputs,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<(Bundle, BuildReport), BuildError> {
    let catalog = &data.catalog;
    let counts = data.interactions.to_matrix().column_counts();
    let mut report = BuildReport::default();
    let (mut mf, mf_source, training_users, known, mf_choice, trained_with) = match inputs.imported
    {
        Some((dim, rows)) => {
            let known: Vec<bool> = rows.iter().map(Option::is_some).collect();
            let mut factors = Vec::with_capacity(rows.len() * dim);
            let mut biases = Vec::with_capacity(rows.len());
            for r in &rows {
                match r {
                    Some((f, b)) => {
                        factors.extend_from_slice(f);
                        biases.push(*b);
                    }
                    None => {
                        factors.extend(std::iter::repeat_n(0.0, dim));
                        biases.push(0.0);
                    }
                }
            }
            let mut m = MfModel::from_items(dim, factors, biases)?;
            let p = inputs.fallback_als;
            m.fold_in = crate::core::mf::FoldInParams {
                reg: p.reg,
                alpha: p.alpha,
                alpha_negative: p.alpha,
                reg_exponent: p.reg_exponent,
            };
            (
                m,
                format!("imported item factors, dim {dim}"),
                0,
                known,
                None,
                None,
            )
        }
        None => {
            let m = data.interactions.to_matrix();
            let (params, choice) = match &inputs.mf {
                MfSettings::Given(p) => (*p, mf_choice(p, "given", None)),
                MfSettings::Search(plan) => {
                    match calibrate_als(&m, plan, &mut |stage, d, t| progress(stage, d, t)) {
                        Ok(c) => {
                            let choice =
                                mf_choice(&c.params, "validation search", Some((&c, plan.k)));
                            let params = c.params;
                            report.calibration = Some(c);
                            (params, choice)
                        }
                        // Too small to validate on: the defaults, and the report says why.
                        Err(e @ CalibrationError::TooLittleData { .. }) => {
                            report.search_skipped = Some(e.to_string());
                            let p = inputs.fallback_als;
                            (
                                p,
                                mf_choice(&p, "default (too little data to validate)", None),
                            )
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            let mut on_iteration = |d: usize, t: usize| progress("train ALS", d, t);
            let mut model = als::train(&m, &params, &mut on_iteration)?;
            let users = model.n_users();
            model.user_bias = Vec::new();
            model.user_factors = Vec::new();
            let known = counts.iter().map(|&c| c > 0).collect();
            (
                model,
                format!(
                    "ALS dim {} reg {} alpha {} on {} interactions",
                    params.dim,
                    params.reg,
                    params.alpha,
                    data.interactions.entries.len()
                ),
                users,
                known,
                Some(choice),
                Some(params),
            )
        }
    };

    let mut attributes = AttributeStats::of(catalog);
    for t in &mut attributes.tags {
        t.aliases = aliases(&t.name);
    }

    let mut bridge_lambda = None;
    let (item_embeddings, tag_embeddings, bridge, encoder_bytes) = match inputs.encoder {
        Some((encoder, bytes)) => {
            let texts: Vec<String> = catalog.items().iter().map(item_text).collect();
            let item_vecs = embed_all(encoder, &texts, &|d, t| progress("embed items", d, t))?;
            let tag_texts: Vec<String> = attributes
                .tags
                .iter()
                .map(|t| t.name.replace('-', " "))
                .collect();
            let tag_vecs = embed_all(encoder, &tag_texts, &|d, t| progress("embed tags", d, t))?;
            // Moods, audiences, pace and length in this catalog's own tags.
            let phrase_vecs = facets::POLES
                .iter()
                .map(|p| {
                    let texts: Vec<String> = p.phrases.iter().map(|s| s.to_string()).collect();
                    embed_all(encoder, &texts, &|_, _| {})
                })
                .collect::<Result<Vec<_>, _>>()?;
            attributes.facets = facets::learn(&attributes.tags, &tag_vecs, &phrase_vecs);
            let dim = encoder.dim();
            // Fit on the shipped (quantized) embeddings of items whose
            // factors are known, trusting well-rated ones more.
            let items = QuantizedEmbeddings::from_rows(dim, &item_vecs)?;
            let lambda = match (inputs.bridge_lambda, trained_with) {
                (Some(l), _) => l,
                (None, Some(p)) => {
                    progress("choose bridge penalty", 0, 1);
                    let m = data.interactions.to_matrix();
                    let (l, tried) =
                        choose_bridge_lambda(&m, &items, &p, &BRIDGE_LAMBDAS, 10, p.seed)?;
                    report.bridge_validation = tried;
                    l
                }
                // Imported factors: no trainer to hold items out of.
                (None, None) => DEFAULT_BRIDGE_LAMBDA,
            };
            bridge_lambda = Some(lambda);
            let bridge = fit_items(&items, &mf, &counts, &|i| known[i], lambda)?;
            report.bridge_items = known.iter().filter(|k| **k).count();
            if let Some(b) = &bridge {
                for i in (0..catalog.len()).filter(|&i| !known[i]) {
                    let (f, bias) = b.predict(&item_vecs[i])?;
                    mf.item_factors[i * mf.dim..(i + 1) * mf.dim].copy_from_slice(&f);
                    mf.item_bias[i] = bias;
                    report.cold_items += 1;
                }
            }
            (
                items,
                QuantizedEmbeddings::from_rows(dim, &tag_vecs)?,
                bridge,
                Some(bytes),
            )
        }
        None => (
            QuantizedEmbeddings::default(),
            QuantizedEmbeddings::default(),
            None,
            None,
        ),
    };
    if report.cold_items == 0 {
        report.cold_items = known.iter().filter(|k| !**k).count();
    }
    let meta = BundleMeta {
        name: inputs.info.name,
        item_noun: inputs.info.item_noun,
        consume_verb: inputs.info.consume_verb,
        creator_verb: inputs.info.creator_verb,
        attribution: inputs.info.attribution,
        created_by: format!("kith {}", env!("CARGO_PKG_VERSION")),
        mf_source,
        training_users,
        mf_choice,
        bridge_lambda: bridge.as_ref().and(bridge_lambda),
    };
    for setting in &inputs.facet_settings {
        facets::apply_setting(&mut attributes.facets, &attributes.tags, setting)?;
    }
    let bundle = Bundle {
        meta,
        catalog: catalog.clone(),
        attributes,
        tag_embeddings,
        item_embeddings,
        mf,
        bridge,
        encoder: encoder_bytes,
    };
    Ok((bundle, report))
}
