//! The engine's tunable options ([`EngineOptions`]) and the named ranking
//! strategies a host page can assign visitors to, for its own A/B tests (the
//! widget's `variant` attribute). Each variant is a small, documented change
//! to the tuned options, and its name is recorded with every shown /
//! accepted / rejected event so the host can compare them on the device
//! without Kith sending anything anywhere.

use std::fmt;
use std::str::FromStr;

use crate::core::dialogue::QuestionStrategy;
use crate::core::rank::Weights;

/// Tunable behaviour of the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOptions {
    /// Ranking weights.
    pub weights: Weights,
    /// a in p ← a·p + (1−a)·f(answer): how much earlier turns persist.
    pub memory: f32,
    /// How questions are chosen.
    pub strategy: QuestionStrategy,
    /// Smallest expected gain (bits) worth a question.
    pub min_gain: f32,
    /// Smallest list gain worth a question (share of the candidates'
    /// probability, [`crate::core::dialogue::question::list_gain`]).
    pub min_list_gain: f32,
    /// Cosine above which a sentence is read as naming a tag.
    pub tag_threshold: f32,
    /// Cosine above which a negated phrase is read as avoiding a tag.
    pub avoid_tag_threshold: f32,
    /// Ranking variant label recorded with events (host A/B tests).
    pub variant: Option<String>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            weights: Weights::default(),
            memory: 0.5,
            strategy: QuestionStrategy::InfoGain,
            min_gain: 0.5,
            min_list_gain: 0.0,
            tag_threshold: 0.62,
            avoid_tag_threshold: 0.75,
            variant: None,
        }
    }
}

/// A ranking strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The tuned defaults: everything blended (docs/BENCHMARKS.md §3).
    Balanced,
    /// "Readers like you" first: collaborative score up, description down.
    Collaborative,
    /// The visitor's own words first: text similarity up, MF down.
    Content,
    /// Away from the bestsellers: no popularity prior, fresher lists.
    Discovery,
    /// Recommends without clarifying questions.
    NoQuestions,
}

/// A variant name Kith does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown variant {0:?} (known: balanced, collaborative, content, discovery, no-questions)")]
pub struct UnknownVariant(pub String);

impl Variant {
    /// Every variant, in documentation order.
    pub const ALL: [Variant; 5] = [
        Variant::Balanced,
        Variant::Collaborative,
        Variant::Content,
        Variant::Discovery,
        Variant::NoQuestions,
    ];

    /// The name hosts write in the `variant` attribute.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Balanced => "balanced",
            Variant::Collaborative => "collaborative",
            Variant::Content => "content",
            Variant::Discovery => "discovery",
            Variant::NoQuestions => "no-questions",
        }
    }

    /// The engine options of this variant, derived from the tuned ones.
    pub fn apply(self, base: &EngineOptions) -> EngineOptions {
        let mut o = base.clone();
        match self {
            Variant::Balanced => {}
            Variant::Collaborative => {
                o.weights.mf *= 1.5;
                o.weights.text *= 0.5;
            }
            Variant::Content => {
                o.weights.mf *= 0.5;
                o.weights.text *= 2.0;
            }
            Variant::Discovery => {
                o.weights.popularity = 0.0;
                o.weights.repeat *= 2.0;
            }
            Variant::NoQuestions => o.strategy = QuestionStrategy::Never,
        }
        o.variant = Some(self.name().to_string());
        o
    }
}

impl FromStr for Variant {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        Variant::ALL
            .into_iter()
            .find(|v| v.name() == key)
            .ok_or_else(|| UnknownVariant(s.to_string()))
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_an_error() {
        for v in Variant::ALL {
            assert_eq!(v.name().parse::<Variant>(), Ok(v));
        }
        assert_eq!(" Content ".parse::<Variant>(), Ok(Variant::Content));
        assert_eq!("no_questions".parse::<Variant>(), Ok(Variant::NoQuestions));
        let e = "bogus".parse::<Variant>().unwrap_err();
        assert!(e.to_string().contains("bogus") && e.to_string().contains("balanced"));
    }

    #[test]
    fn each_variant_changes_what_it_says_and_labels_events() {
        let base = EngineOptions::default();
        assert_eq!(Variant::Balanced.apply(&base).weights, base.weights);
        let c = Variant::Collaborative.apply(&base);
        assert!(c.weights.mf > base.weights.mf && c.weights.text < base.weights.text);
        let t = Variant::Content.apply(&base);
        assert!(t.weights.text > base.weights.text && t.weights.mf < base.weights.mf);
        assert_eq!(Variant::Discovery.apply(&base).weights.popularity, 0.0);
        let q = Variant::NoQuestions.apply(&base);
        assert_eq!(q.strategy, QuestionStrategy::Never);
        assert_eq!(q.variant.as_deref(), Some("no-questions"));
    }
}
