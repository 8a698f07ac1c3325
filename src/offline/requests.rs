//! Does Kith do what visitors ask? A file of natural requests, each with the
//! tags it wants and avoids, is said to the engine on a fresh profile, and
//! the first list is measured (native).
//!
//! Per request: the share of the top K carrying a wanted tag (precision on
//! wanted tags), the share carrying an avoided tag, and whether every
//! explanation passed its truth check the first time
//! ([`crate::core::rank::Evidence::supports`]); popularity's precision on the same
//! tags gives the scale. Requests are written per catalog before any tuning
//! (`benchmarks/requests/`).
//!
//! A request marked `vague` ("hi", "any suggestions?", "I don't know") is an
//! opening with nothing to go on; its first reply is *useful* when it shows a
//! list, asks something easy to answer, takes nothing from the words (no
//! title, tag, creator or theme read into them) and explains no item as close
//! to what was described.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::core::session::{Engine, EngineError};

/// One request: what the visitor says and the tags a good list honours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// What the visitor says.
    pub say: String,
    /// Catalog tags the list should carry (any of them counts).
    #[serde(default)]
    pub wants: Vec<String>,
    /// Catalog tags the list must not carry.
    #[serde(default)]
    pub avoids: Vec<String>,
    /// An opening with nothing to go on: measured for a useful first reply.
    #[serde(default)]
    pub vague: bool,
}

/// One request's measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestResult {
    /// The request.
    pub say: String,
    /// Share of the list carrying a wanted tag (`None` without wanted tags).
    pub precision: Option<f64>,
    /// The same for the K most popular items (the scale).
    pub popularity_precision: Option<f64>,
    /// Share of the list carrying an avoided tag (`None` without avoided tags).
    pub avoided: Option<f64>,
    /// Explanations that failed their truth check and were replaced.
    pub untrue_explanations: usize,
    /// The titles shown.
    pub titles: Vec<String>,
    /// The engine's notes (e.g. too few items carry a tag).
    pub notes: Vec<String>,
    /// The question asked, if any.
    pub question: Option<String>,
    /// For a vague opening: whether the first reply was useful.
    pub useful: Option<bool>,
}

/// Averages over a request file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestReport {
    /// List length.
    pub k: usize,
    /// Requests measured.
    pub requests: usize,
    /// Mean precision on wanted tags over requests that want tags.
    pub precision: f64,
    /// Popularity's mean precision on the same requests.
    pub popularity_precision: f64,
    /// Mean share of avoided tags over requests that avoid tags.
    pub avoided: f64,
    /// Share of explanations that were true the first time.
    pub truthful: f64,
    /// How many explanations of each kind were given.
    pub explanation_kinds: BTreeMap<String, usize>,
    /// Vague openings measured.
    pub vague_openings: usize,
    /// Share of vague openings whose first reply was useful (`None` without any).
    pub useful_first_replies: Option<f64>,
    /// Per request.
    pub results: Vec<RequestResult>,
}

/// Why the requests could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The file is not a JSON list of requests.
    #[error("not a list of requests ({{\"say\": …, \"wants\": […], \"avoids\": […]}})")]
    Format(#[from] serde_json::Error),
    /// A request names a tag the catalog does not have.
    #[error("request {index} ({say:?}) names the tag {tag:?}, which no item carries")]
    UnknownTag {
        /// 1-based position in the file.
        index: usize,
        /// The request.
        say: String,
        /// The tag.
        tag: String,
    },
    /// The engine refused a turn.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Reads a request file (a JSON list), checking every tag against the catalog.
pub fn parse(json: &str, engine: &Engine) -> Result<Vec<Request>, RequestError> {
    let requests: Vec<Request> = serde_json::from_str(json)?;
    let known = |t: &str| {
        engine
            .catalog()
            .items()
            .iter()
            .any(|i| i.tags.iter().any(|x| x == t))
    };
    for (n, r) in requests.iter().enumerate() {
        for t in r.wants.iter().chain(&r.avoids) {
            if !known(t) {
                return Err(RequestError::UnknownTag {
                    index: n + 1,
                    say: r.say.clone(),
                    tag: t.clone(),
                });
            }
        }
    }
    Ok(requests)
}

/// Says each request to a fresh profile and measures the first list of `k`.
pub fn measure(
    engine: &Engine,
    requests: &[Request],
    k: usize,
) -> Result<RequestReport, RequestError> {
    let catalog = engine.catalog();
    // Share of the lists of tags carrying one of `tags`.
    let share = |lists: &[&Vec<String>], tags: &[String]| {
        let hits = lists
            .iter()
            .filter(|t| t.iter().any(|x| tags.contains(x)))
            .count();
        hits as f64 / lists.len().max(1) as f64
    };
    let mut by_audience: Vec<usize> = (0..catalog.len()).collect();
    by_audience.sort_by_key(|&i| std::cmp::Reverse(catalog.audience(i as u32)));
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let (mut explained, mut untrue) = (0usize, 0usize);
    let mut results = Vec::new();
    for r in requests {
        let mut p = engine.new_profile();
        p.controls.count = k;
        let reply = engine.say(&mut p, &r.say)?;
        let recs = &reply.recommendations;
        let bad = recs.iter().filter(|x| x.replaced_reason.is_some()).count();
        for x in recs {
            *kinds
                .entry(x.because.signal.name().to_string())
                .or_default() += 1;
        }
        explained += recs.len();
        untrue += bad;
        let popular: Vec<&Vec<String>> = by_audience
            .iter()
            .filter_map(|&i| catalog.get(i as u32))
            .filter(|it| !it.tags.iter().any(|t| r.avoids.contains(t)))
            .take(k)
            .map(|it| &it.tags)
            .collect();
        let shown: Vec<&Vec<String>> = recs.iter().map(|x| &x.tags).collect();
        results.push(RequestResult {
            say: r.say.clone(),
            precision: (!r.wants.is_empty()).then(|| share(&shown, &r.wants)),
            popularity_precision: (!r.wants.is_empty()).then(|| share(&popular, &r.wants)),
            avoided: (!r.avoids.is_empty()).then(|| share(&shown, &r.avoids)),
            untrue_explanations: bad,
            titles: recs.iter().map(|x| x.title.clone()).collect(),
            notes: reply.notes.clone(),
            question: reply.question.clone(),
            useful: r.vague.then(|| {
                !recs.is_empty()
                    && reply.question.is_some()
                    && reply.understood.took_nothing()
                    && recs
                        .iter()
                        .all(|x| x.because.signal != crate::core::rank::Signal::Theme)
            }),
        });
    }
    let mean = |f: &dyn Fn(&RequestResult) -> Option<f64>| {
        let v: Vec<f64> = results.iter().filter_map(f).collect();
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    Ok(RequestReport {
        k,
        requests: results.len(),
        precision: mean(&|r| r.precision),
        popularity_precision: mean(&|r| r.popularity_precision),
        avoided: mean(&|r| r.avoided),
        truthful: if explained == 0 {
            1.0
        } else {
            1.0 - untrue as f64 / explained as f64
        },
        explanation_kinds: kinds,
        vague_openings: results.iter().filter(|r| r.useful.is_some()).count(),
        useful_first_replies: {
            let v: Vec<bool> = results.iter().filter_map(|r| r.useful).collect();
            (!v.is_empty()).then(|| v.iter().filter(|&&u| u).count() as f64 / v.len() as f64)
        },
        results,
    })
}
