//! Moods, audiences, pace and length — the "facets" occasions are made of —
//! in a catalog's own terms.
//!
//! A visitor asks for "something light for the beach" or "a book for my
//! 10-year-old", not for tags. Which tags of *this* catalog mean light,
//! dark, gripping, for children or for teenagers is learned when the
//! bundle is built, from the catalog's own tag vocabulary and the
//! encoder: each facet is one pole of an axis (light ↔ dark, gripping ↔
//! slow, children ↔ teenagers ↔ grown-ups, short ↔ long, explicit ↔
//! romantic) described by a
//! few plain phrases, and a tag belongs to the pole its name is closest to
//! in meaning — only when it is close enough and clearly closer to that
//! pole than to the others. Comparing poles is what keeps "light" away
//! from *dark*: a sentence encoder puts antonyms close together, so
//! closeness to one pole alone says little; the margin over the opposite
//! pole says which way a tag leans. No list of tags is written down for
//! any catalog; a catalog without such tags simply has no facet, and the
//! conversation says what it could not honour.

use serde::{Deserialize, Serialize};

use crate::core::catalog::TagStat;

/// One facet a request can ask for, in any catalog's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    /// Light-hearted, funny, feel-good.
    Light,
    /// Dark, disturbing, grim.
    Dark,
    /// Gripping, fast-paced: a page-turner.
    Gripping,
    /// For children.
    Children,
    /// For teenagers.
    Teen,
    /// Short, quick.
    Short,
    /// Long, epic.
    Long,
    /// Sexually explicit: asked for ("something steamy"), and gently
    /// avoided whenever the request is for children or teenagers.
    Explicit,
}

impl Facet {
    /// Every facet, in a fixed order.
    pub const ALL: [Facet; 8] = [
        Facet::Light,
        Facet::Dark,
        Facet::Gripping,
        Facet::Children,
        Facet::Teen,
        Facet::Short,
        Facet::Long,
        Facet::Explicit,
    ];

    /// How the facet reads after "which {items} are …", for the visitor.
    pub fn describe(self) -> &'static str {
        match self {
            Facet::Light => "light-hearted",
            Facet::Dark => "dark",
            Facet::Gripping => "gripping",
            Facet::Children => "for children",
            Facet::Teen => "for teenagers",
            Facet::Short => "short",
            Facet::Long => "long",
            Facet::Explicit => "explicit",
        }
    }

    /// The facet a request for this one steers away from, if any
    /// ("something light" gently avoids what is dark).
    pub fn opposite(self) -> Option<Facet> {
        match self {
            Facet::Light => Some(Facet::Dark),
            Facet::Dark => Some(Facet::Light),
            Facet::Short => Some(Facet::Long),
            Facet::Long => Some(Facet::Short),
            Facet::Gripping | Facet::Children | Facet::Teen | Facet::Explicit => None,
        }
    }
}

/// One pole of an axis: the facet it stands for (none for a pole that is
/// only a contrast, such as "slow" or "for grown-ups") and the plain
/// phrases that describe it to the encoder.
#[derive(Debug, Clone, Copy)]
pub struct Pole {
    /// Which axis the pole belongs to (poles of one axis compete for a tag).
    pub axis: u8,
    /// The facet, or `None` for a contrast-only pole.
    pub facet: Option<Facet>,
    /// Short descriptions, each embedded on its own.
    pub phrases: &'static [&'static str],
}

/// The poles, axis by axis. The phrases describe the idea, not any
/// catalog's tags, and name no kind of item.
pub const POLES: &[Pole] = &[
    Pole {
        axis: 0,
        facet: Some(Facet::Light),
        phrases: &[
            "light-hearted",
            "funny",
            "humorous comedy",
            "feel-good",
            "uplifting and heartwarming",
            "cozy",
        ],
    },
    Pole {
        axis: 0,
        facet: Some(Facet::Dark),
        phrases: &[
            "dark",
            "disturbing",
            "grim and bleak",
            "scary horror",
            "violent",
        ],
    },
    Pole {
        axis: 1,
        facet: Some(Facet::Gripping),
        phrases: &[
            "gripping",
            "page-turner",
            "fast-paced",
            "suspenseful",
            "action-packed",
        ],
    },
    Pole {
        axis: 1,
        facet: None,
        phrases: &["slow", "quiet and reflective", "contemplative", "literary"],
    },
    Pole {
        axis: 2,
        facet: Some(Facet::Children),
        phrases: &["for children", "kids", "picture books", "young children"],
    },
    Pole {
        axis: 2,
        facet: Some(Facet::Teen),
        phrases: &["for teenagers", "young adult", "teen", "coming of age"],
    },
    Pole {
        axis: 2,
        facet: None,
        phrases: &["for adults", "grown-up", "mature"],
    },
    Pole {
        axis: 3,
        facet: Some(Facet::Short),
        phrases: &["short", "quick", "brief", "short stories"],
    },
    Pole {
        axis: 3,
        facet: Some(Facet::Long),
        phrases: &["long", "epic", "saga", "lengthy"],
    },
    // Romance is the near neighbour explicitness must be told apart from.
    Pole {
        axis: 4,
        facet: Some(Facet::Explicit),
        phrases: &["erotica", "sexually explicit", "erotic"],
    },
    Pole {
        axis: 4,
        facet: None,
        phrases: &["romance", "romantic", "clean", "for all ages"],
    },
];

/// A tag joins a pole only when its name is at least this close to one of
/// the pole's phrases (cosine of unit sentence embeddings).
pub const MIN_SIMILARITY: f32 = 0.55;
/// …and closer to it than to every other pole of its axis by this much.
pub const MIN_MARGIN: f32 = 0.1;
/// At most this many tags per facet, closest first: a facet is a mood, not
/// a catalog's whole vocabulary.
pub const MAX_TAGS: usize = 6;
/// Tags carried by fewer items than this say too little about a mood.
pub const MIN_ITEMS: u32 = 3;

/// The tags of one facet in one catalog, closest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacetTags {
    /// The facet.
    pub facet: Facet,
    /// Its tags (names from the catalog's tag statistics).
    pub tags: Vec<String>,
}

/// Learns which tags carry which facet. `tag_vecs[t]` is the unit
/// embedding of `tags[t]`'s name; `phrase_vecs[p][k]` that of
/// `POLES[p].phrases[k]`. Facets no tag reaches are left out.
pub fn learn(
    tags: &[TagStat],
    tag_vecs: &[Vec<f32>],
    phrase_vecs: &[Vec<Vec<f32>>],
) -> Vec<FacetTags> {
    let mut found: Vec<(Facet, Vec<(String, f32)>)> = Vec::new();
    for (t, stat) in tags.iter().enumerate() {
        let Some(v) = tag_vecs.get(t) else { break };
        if stat.items < MIN_ITEMS {
            continue;
        }
        // Closeness to each pole: the best of its phrases.
        let close: Vec<f32> = POLES
            .iter()
            .enumerate()
            .map(|(p, _)| {
                phrase_vecs
                    .get(p)
                    .into_iter()
                    .flatten()
                    .map(|q| crate::core::vectors::dot(v, q))
                    .fold(f32::NEG_INFINITY, f32::max)
            })
            .collect();
        for (p, pole) in POLES.iter().enumerate() {
            let Some(facet) = pole.facet else { continue };
            let s = close[p];
            let rival = POLES
                .iter()
                .enumerate()
                .filter(|(r, o)| *r != p && o.axis == pole.axis)
                .map(|(r, _)| close[r])
                .fold(f32::NEG_INFINITY, f32::max);
            if s.is_finite() && s >= MIN_SIMILARITY && s - rival >= MIN_MARGIN {
                match found.iter_mut().find(|(f, _)| *f == facet) {
                    Some((_, list)) => list.push((stat.name.clone(), s)),
                    None => found.push((facet, vec![(stat.name.clone(), s)])),
                }
            }
        }
    }
    let mut out: Vec<FacetTags> = found
        .into_iter()
        .map(|(facet, mut list)| {
            list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            list.truncate(MAX_TAGS);
            FacetTags {
                facet,
                tags: list.into_iter().map(|(n, _)| n).collect(),
            }
        })
        .collect();
    out.sort_by_key(|f| f.facet);
    out
}

/// Why a site owner's facet setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FacetError {
    /// Not `NAME=TAG,TAG`.
    #[error("{0:?} is not NAME=TAG,TAG,… (for example children=picture-books,middle-grade)")]
    Syntax(String),
    /// No facet of that name.
    #[error("no facet is called {0:?}; facets are {list}", list = names())]
    UnknownFacet(String),
    /// The catalog has no such tag.
    #[error("facet {facet}: the catalog has no tag {tag:?}")]
    UnknownTag {
        /// The facet's name.
        facet: String,
        /// The tag asked for.
        tag: String,
    },
}

fn names() -> String {
    Facet::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Facet {
    /// The facet's name in settings and JSON ("light", "children").
    pub fn name(self) -> &'static str {
        match self {
            Facet::Light => "light",
            Facet::Dark => "dark",
            Facet::Gripping => "gripping",
            Facet::Children => "children",
            Facet::Teen => "teen",
            Facet::Short => "short",
            Facet::Long => "long",
            Facet::Explicit => "explicit",
        }
    }
}

/// A site owner's correction of what was learned: `children=picture-books,middle-grade`
/// replaces the facet's tags, `light=` leaves the catalog without it.
/// Every tag must be one of the catalog's.
pub fn apply_setting(
    learned: &mut Vec<FacetTags>,
    tags: &[TagStat],
    setting: &str,
) -> Result<(), FacetError> {
    let (name, list) = setting
        .split_once('=')
        .ok_or_else(|| FacetError::Syntax(setting.to_string()))?;
    let name = name.trim().to_lowercase();
    let facet = Facet::ALL
        .into_iter()
        .find(|f| f.name() == name)
        .ok_or_else(|| FacetError::UnknownFacet(name.clone()))?;
    let mut chosen: Vec<String> = Vec::new();
    for tag in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t.name == tag) {
            return Err(FacetError::UnknownTag {
                facet: name,
                tag: tag.to_string(),
            });
        }
        if !chosen.iter().any(|c| c == tag) {
            chosen.push(tag.to_string());
        }
    }
    learned.retain(|f| f.facet != facet);
    if !chosen.is_empty() {
        learned.push(FacetTags {
            facet,
            tags: chosen,
        });
        learned.sort_by_key(|f| f.facet);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(name: &str, items: u32) -> TagStat {
        TagStat {
            name: name.into(),
            items,
            aliases: Vec::new(),
        }
    }

    fn unit(xs: &[f32]) -> Vec<f32> {
        let n = xs.iter().map(|x| x * x).sum::<f32>().sqrt();
        xs.iter().map(|x| x / n).collect()
    }

    fn phrase_vecs() -> Vec<Vec<Vec<f32>>> {
        // One basis direction per pole, shared by all its phrases; the
        // last dimension belongs to no pole.
        (0..POLES.len())
            .map(|p| {
                let mut v = vec![0.0; POLES.len() + 1];
                v[p] = 1.0;
                vec![v; POLES[p].phrases.len()]
            })
            .collect()
    }

    #[test]
    fn a_tag_joins_the_pole_it_leans_to_by_a_margin() {
        let d = POLES.len() + 1;
        let along = |p: usize, other: usize, w: f32| {
            let mut v = vec![0.0; d];
            v[p] = 1.0;
            v[other] = w;
            unit(&v)
        };
        let tags = vec![
            stat("humor", 50),
            stat("horror", 40),
            stat("bittersweet", 30), // as close to light as to dark
            stat("rare-joke", 1),    // too few items
            stat("cooking", 60),     // close to nothing
        ];
        let vecs = vec![
            along(0, 1, 0.2),
            along(1, 0, 0.3),
            along(0, 1, 1.0),
            along(0, 1, 0.0),
            {
                let mut v = vec![0.1; d];
                v[d - 1] = 1.0;
                unit(&v)
            },
        ];
        let learned = learn(&tags, &vecs, &phrase_vecs());
        assert_eq!(
            learned,
            vec![
                FacetTags {
                    facet: Facet::Light,
                    tags: vec!["humor".into()]
                },
                FacetTags {
                    facet: Facet::Dark,
                    tags: vec!["horror".into()]
                },
            ]
        );
    }

    #[test]
    fn at_most_max_tags_closest_first_and_contrast_poles_yield_nothing() {
        let d = POLES.len() + 1;
        let mut tags = Vec::new();
        let mut vecs = Vec::new();
        for k in 0..10 {
            tags.push(stat(&format!("kids-{k}"), 10));
            let mut v = vec![0.0; d];
            v[4] = 1.0; // children
            v[6] = 0.05 * k as f32; // drifting towards grown-ups
            vecs.push(unit(&v));
        }
        tags.push(stat("slow-burn", 10));
        let mut v = vec![0.0; d];
        v[3] = 1.0; // the contrast-only "slow" pole
        vecs.push(v);
        let learned = learn(&tags, &vecs, &phrase_vecs());
        assert_eq!(learned.len(), 1);
        assert_eq!(learned[0].facet, Facet::Children);
        assert_eq!(
            learned[0].tags,
            (0..MAX_TAGS)
                .map(|k| format!("kids-{k}"))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn missing_or_odd_vectors_learn_nothing_and_do_not_panic() {
        let tags = vec![stat("a", 10), stat("b", 10)];
        assert!(learn(&tags, &[], &phrase_vecs()).is_empty());
        assert!(learn(&tags, &[vec![f32::NAN; 9]], &phrase_vecs()).is_empty());
        assert!(learn(&tags, &[vec![1.0; 3]], &[]).is_empty());
    }

    #[test]
    fn a_site_owner_corrects_what_was_learned() {
        let tags = vec![
            stat("picture-books", 9),
            stat("middle-grade", 9),
            stat("humor", 9),
        ];
        let mut learned = vec![FacetTags {
            facet: Facet::Light,
            tags: vec!["humor".into()],
        }];
        apply_setting(
            &mut learned,
            &tags,
            "Children = picture-books, middle-grade,",
        )
        .unwrap();
        apply_setting(&mut learned, &tags, "light=").unwrap();
        assert_eq!(
            learned,
            vec![FacetTags {
                facet: Facet::Children,
                tags: vec!["picture-books".into(), "middle-grade".into()]
            }]
        );
        assert_eq!(
            apply_setting(&mut learned, &tags, "children=comics"),
            Err(FacetError::UnknownTag {
                facet: "children".into(),
                tag: "comics".into()
            })
        );
        assert!(matches!(
            apply_setting(&mut learned, &tags, "cosy=humor"),
            Err(FacetError::UnknownFacet(_))
        ));
        assert!(matches!(
            apply_setting(&mut learned, &tags, "children"),
            Err(FacetError::Syntax(_))
        ));
        let msg = apply_setting(&mut learned, &tags, "cosy=humor")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("light, dark, gripping"), "{msg}");
    }

    #[test]
    fn opposites_pair_up() {
        for f in Facet::ALL {
            if let Some(o) = f.opposite() {
                assert_eq!(o.opposite(), Some(f));
            }
        }
    }
}
