//! Everything Kith knows about one visitor, as plain serde data: what they
//! said, liked, disliked and avoid, their vectors, their controls and the
//! history of what was shown and how they reacted.
//!
//! Items are stored by the catalog's own id, never by index, so a profile
//! survives a rebuilt bundle. No storage code lives here: the browser shell
//! writes the JSON to IndexedDB, the CLI to a file. Older versions are
//! migrated forward by [`Profile::from_json`].

use serde::{Deserialize, Serialize};

use crate::core::dialogue::FollowUp;

/// The profile schema this build writes.
pub const PROFILE_VERSION: u32 = 2;

/// Largest stored profile this build reads (bytes of JSON). A year of
/// daily conversation is well under 1 MB; anything far larger is not a
/// profile, and reading it would cost the visitor's memory.
pub const MAX_PROFILE_BYTES: usize = 16 << 20;

/// Why a stored profile could not be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProfileError {
    /// Not JSON, or not shaped like a profile.
    #[error("profile is unreadable: {0}")]
    Corrupt(String),
    /// Larger than [`MAX_PROFILE_BYTES`].
    #[error("profile is {0} bytes, more than a profile may be ({MAX_PROFILE_BYTES})")]
    TooLarge(usize),
    /// Written by a newer Kith than this one.
    #[error("profile version {found} is newer than this build understands ({supported})")]
    TooNew {
        /// Version in the data.
        found: u64,
        /// Newest version this build reads.
        supported: u32,
    },
}

/// Context the visitor or page states; it adjusts ranking, never decides it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Context {
    /// Local hour 0–23, when the page shares it.
    pub hour: Option<u8>,
    /// "mobile" or "desktop", when the page shares it.
    pub device: Option<String>,
    /// Minutes the visitor has ("I have an hour").
    pub time_budget_minutes: Option<u32>,
    /// A mood in the visitor's words ("cozy", "something uplifting").
    pub mood: Option<String>,
}

/// The knobs the visitor controls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Controls {
    /// 0 = most relevant only, 1 = as varied as possible (MMR's λ).
    pub diversity: f32,
    /// Topics (tags) never to recommend.
    pub avoid_topics: Vec<String>,
    /// Situational context.
    pub context: Context,
    /// Recommendations per reply.
    pub count: usize,
}

impl Default for Controls {
    fn default() -> Self {
        Controls {
            diversity: 0.3,
            avoid_topics: Vec::new(),
            context: Context::default(),
            count: 10,
        }
    }
}

/// Shifts the visitor asked for with follow-ups, each in −1..1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Shifts {
    /// Towards shorter (−) or longer (+) items.
    pub length: f32,
    /// Towards older (−) or newer (+) items.
    pub recency: f32,
    /// Towards lesser known (−) or better known (+) items.
    pub popularity: f32,
}

/// A question Kith asked and is waiting for an answer to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pending {
    /// "Are you in the mood for &lt;tag&gt;?"
    Tag {
        /// The tag asked about.
        tag: String,
    },
    /// "Which of these appeals most?"
    Items {
        /// The options' ids, in the order shown.
        ids: Vec<String>,
    },
}

/// What happened to one recommendation, for on-device quality measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It was shown.
    Shown,
    /// The visitor loved it or asked for more like it.
    Accepted,
    /// The visitor said "not for me".
    Rejected,
}

/// One quality event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Turn number it happened at.
    pub turn: u32,
    /// The item's id.
    pub item: String,
    /// What happened.
    pub outcome: Outcome,
    /// The ranking variant in use (for the host's A/B tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// What the visitor said or did ("feedback: love it on 123").
    pub said: String,
    /// The question Kith asked back, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// Ids recommended in reply.
    pub shown: Vec<String>,
}

/// An item with how strongly it counts: +1 a like, −1 a dislike, between for
/// softer evidence ("the second appeals").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    /// The item's id.
    pub id: String,
    /// Signed strength in −1..1.
    pub strength: f32,
}

/// The visitor's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// Schema version ([`PROFILE_VERSION`]).
    pub version: u32,
    /// The bundle (catalog) it belongs to.
    pub catalog: String,
    /// Items the visitor reacted to, by id.
    pub picks: Vec<Pick>,
    /// Items already read or watched: never recommended again.
    pub seen: Vec<String>,
    /// Tags asked for.
    pub wanted_tags: Vec<String>,
    /// Tags avoided by answer (down-weighted hard; the controls' list excludes).
    pub avoided_tags: Vec<String>,
    /// Moods, audiences, pace and length asked for: their tags are among
    /// `wanted_tags`, and explanations say which wish a tag stands for.
    pub wanted_facets: Vec<crate::core::facets::Facet>,
    /// Wanted tags that stand only for a mood or audience, not named by
    /// the visitor: they add to the score, and shape the list only when
    /// nothing was named ("a *gripping* mystery" is a list of mysteries).
    pub facet_tags: Vec<String>,
    /// Creators asked for.
    pub wanted_creators: Vec<String>,
    /// Creators to leave out.
    pub avoided_creators: Vec<String>,
    /// The visitor's descriptions, newest last.
    pub answers: Vec<String>,
    /// Theme phrases in the visitor's own words, newest last (quoted in explanations).
    pub themes: Vec<String>,
    /// Taste in text space: a·t + (1−a)·e(answer), unit length or empty.
    pub taste: Vec<f32>,
    /// What to stay away from in text space, or empty.
    pub aversion: Vec<f32>,
    /// The MF user vector p, updated p ← a·p + (1−a)·f(answer), or empty.
    pub user_vector: Vec<f32>,
    /// Follow-up shifts.
    pub shifts: Shifts,
    /// The visitor's controls.
    pub controls: Controls,
    /// The question waiting for an answer.
    pub pending: Option<Pending>,
    /// Tags already asked about (not asked twice).
    pub asked_tags: Vec<String>,
    /// The last recommendations, in order.
    pub shown: Vec<String>,
    /// Times each item was shown, for freshness.
    pub shown_counts: Vec<(String, u32)>,
    /// The conversation so far.
    pub history: Vec<Turn>,
    /// Shown / accepted / rejected events.
    pub events: Vec<Event>,
    /// The last follow-up understood.
    pub last_follow_up: Option<FollowUp>,
    /// How many times this profile was saved: two tabs compare it to see
    /// whether the other one wrote in between (`crate::core::sync`).
    pub revision: u64,
    /// The ranking variant the host assigned (`crate::core::variant`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Fields this build does not know (written by a newer Kith of the same
    /// schema version, or by the host): kept and written back unchanged.
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            version: PROFILE_VERSION,
            catalog: String::new(),
            picks: Vec::new(),
            seen: Vec::new(),
            wanted_tags: Vec::new(),
            avoided_tags: Vec::new(),
            wanted_facets: Vec::new(),
            facet_tags: Vec::new(),
            wanted_creators: Vec::new(),
            avoided_creators: Vec::new(),
            answers: Vec::new(),
            themes: Vec::new(),
            taste: Vec::new(),
            aversion: Vec::new(),
            user_vector: Vec::new(),
            shifts: Shifts::default(),
            controls: Controls::default(),
            pending: None,
            asked_tags: Vec::new(),
            shown: Vec::new(),
            shown_counts: Vec::new(),
            history: Vec::new(),
            events: Vec::new(),
            last_follow_up: None,
            revision: 0,
            variant: None,
            unknown: serde_json::Map::new(),
        }
    }
}

/// Acceptance over a window of turns, for the profile view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcceptanceSummary {
    /// Recommendations shown in total.
    pub shown: u32,
    /// Accepted in total.
    pub accepted: u32,
    /// Rejected in total.
    pub rejected: u32,
    /// Per block of 5 turns: accepted / shown.
    pub rate_by_turns: Vec<f32>,
}

/// Appends `s` unless `v` already holds it (lists of tags and ids keep
/// their first order and never repeat).
pub fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

impl Profile {
    /// A fresh profile for a catalog.
    pub fn new(catalog: &str) -> Profile {
        Profile {
            catalog: catalog.to_string(),
            ..Profile::default()
        }
    }

    /// Serializes the profile (what export downloads and storage keeps).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored profile of any known version, migrating it forward.
    pub fn from_json(json: &str) -> Result<Profile, ProfileError> {
        if json.len() > MAX_PROFILE_BYTES {
            return Err(ProfileError::TooLarge(json.len()));
        }
        let mut value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| ProfileError::Corrupt(e.to_string()))?;
        let obj = value
            .as_object_mut()
            .ok_or_else(|| ProfileError::Corrupt("not a JSON object".into()))?;
        let version = match obj.get("version") {
            Some(v) => v
                .as_u64()
                .ok_or_else(|| ProfileError::Corrupt("version is not a number".into()))?,
            None => 1,
        };
        if version > u64::from(PROFILE_VERSION) {
            return Err(ProfileError::TooNew {
                found: version,
                supported: PROFILE_VERSION,
            });
        }
        if version < 2 {
            migrate_v1_to_v2(obj);
        }
        obj.insert("version".into(), PROFILE_VERSION.into());
        let p: Profile =
            serde_json::from_value(value).map_err(|e| ProfileError::Corrupt(e.to_string()))?;
        p.check()?;
        Ok(p)
    }

    /// Rejects values no valid profile can hold (non-finite vectors, strengths).
    fn check(&self) -> Result<(), ProfileError> {
        let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
        if !finite(&self.taste) || !finite(&self.aversion) || !finite(&self.user_vector) {
            return Err(ProfileError::Corrupt("non-finite vector".into()));
        }
        if self
            .picks
            .iter()
            .any(|p| !p.strength.is_finite() || p.strength.abs() > 1.0)
        {
            return Err(ProfileError::Corrupt("pick strength outside -1..1".into()));
        }
        if !self.controls.diversity.is_finite() {
            return Err(ProfileError::Corrupt("diversity is not a number".into()));
        }
        let s = &self.shifts;
        if !(s.length.is_finite() && s.recency.is_finite() && s.popularity.is_finite()) {
            return Err(ProfileError::Corrupt(
                "a shift is not a finite number".into(),
            ));
        }
        Ok(())
    }

    /// "Actually, something funny instead": the new request replaces the
    /// current one. What was asked for (tags, creators, themes, length and age
    /// shifts, the pending question) is dropped; items the visitor said they
    /// liked stay in the profile as faint evidence and are not shown again;
    /// dislikes and avoided topics stay as they are.
    pub fn start_afresh(&mut self) {
        let known: Vec<String> = self
            .picks
            .iter()
            .filter(|x| x.strength >= 0.75)
            .map(|x| x.id.clone())
            .collect();
        for id in known {
            push_unique(&mut self.seen, id);
        }
        for pick in self.picks.iter_mut().filter(|x| x.strength > 0.0) {
            pick.strength = pick.strength.min(0.1);
        }
        self.wanted_tags.clear();
        self.wanted_facets.clear();
        self.facet_tags.clear();
        self.wanted_creators.clear();
        self.themes.clear();
        self.taste.clear();
        self.user_vector.clear();
        self.asked_tags.clear();
        self.pending = None;
        self.shifts = Default::default();
    }

    /// Adds tags to the wanted ones (never one the visitor avoids outright),
    /// taking them out of the gently avoided ones; `taken` lists what was added.
    pub fn want_tags(&mut self, tags: &[String], taken: &mut Vec<String>) {
        for t in tags {
            if self.controls.avoid_topics.contains(t) {
                continue;
            }
            if !self.wanted_tags.contains(t) {
                push_unique(&mut self.facet_tags, t.clone());
            }
            push_unique(&mut self.wanted_tags, t.clone());
            self.avoided_tags.retain(|x| x != t);
            push_unique(taken, t.clone());
        }
    }

    /// A tag the visitor asked for by name: wanted, and no longer avoided
    /// in any way nor held only for a mood.
    pub fn want_named_tag(&mut self, name: &str) {
        self.facet_tags.retain(|x| x != name);
        push_unique(&mut self.wanted_tags, name.to_string());
        self.avoided_tags.retain(|x| x != name);
        self.controls.avoid_topics.retain(|x| x != name);
    }

    /// A tag the visitor refused by name: an avoided topic, no longer wanted.
    pub fn avoid_topic(&mut self, name: &str) {
        push_unique(&mut self.controls.avoid_topics, name.to_string());
        self.wanted_tags.retain(|x| x != name);
    }

    /// A creator asked for: wanted, no longer avoided.
    pub fn want_creator(&mut self, name: &str) {
        push_unique(&mut self.wanted_creators, name.to_string());
        self.avoided_creators.retain(|x| x != name);
    }

    /// A creator refused: avoided, no longer wanted.
    pub fn avoid_creator(&mut self, name: &str) {
        push_unique(&mut self.avoided_creators, name.to_string());
        self.wanted_creators.retain(|x| x != name);
    }

    /// Moves a tag from the wanted ones to the gently avoided ones.
    pub fn avoid_softly(&mut self, tag: &str) {
        self.wanted_tags.retain(|x| x != tag);
        push_unique(&mut self.avoided_tags, tag.to_string());
    }

    /// Counts `by` more showings of an item (repeats are penalised).
    pub fn bump_shown(&mut self, id: &str, by: u32) {
        match self.shown_counts.iter_mut().find(|(x, _)| x == id) {
            Some((_, n)) => *n = n.saturating_add(by),
            None => self.shown_counts.push((id.to_string(), by)),
        }
    }

    /// The signed strength of an item, if the visitor reacted to it.
    pub fn pick(&self, id: &str) -> Option<f32> {
        self.picks.iter().find(|p| p.id == id).map(|p| p.strength)
    }

    /// Records a reaction; a later reaction to the same item replaces it.
    pub fn set_pick(&mut self, id: &str, strength: f32) {
        let strength = strength.clamp(-1.0, 1.0);
        match self.picks.iter_mut().find(|p| p.id == id) {
            Some(p) => p.strength = strength,
            None => self.picks.push(Pick {
                id: id.to_string(),
                strength,
            }),
        }
    }

    /// Records an event.
    pub fn record(&mut self, item: &str, outcome: Outcome, variant: Option<&str>) {
        self.events.push(Event {
            turn: self.history.len() as u32,
            item: item.to_string(),
            outcome,
            variant: variant.map(str::to_string),
        });
    }

    /// Acceptance counts and rate per five turns.
    pub fn acceptance(&self) -> AcceptanceSummary {
        let mut s = AcceptanceSummary {
            shown: 0,
            accepted: 0,
            rejected: 0,
            rate_by_turns: Vec::new(),
        };
        let blocks = self.history.len().div_ceil(5).max(1);
        let mut per = vec![(0u32, 0u32); blocks];
        for e in &self.events {
            let b = ((e.turn as usize) / 5).min(blocks - 1);
            match e.outcome {
                Outcome::Shown => {
                    s.shown += 1;
                    per[b].0 += 1;
                }
                Outcome::Accepted => {
                    s.accepted += 1;
                    per[b].1 += 1;
                }
                Outcome::Rejected => s.rejected += 1,
            }
        }
        s.rate_by_turns = per
            .into_iter()
            .map(|(shown, acc)| {
                if shown == 0 {
                    0.0
                } else {
                    acc as f32 / shown as f32
                }
            })
            .collect();
        s
    }
}

/// Version 1 kept separate liked/disliked id lists; version 2 keeps signed picks.
fn migrate_v1_to_v2(obj: &mut serde_json::Map<String, serde_json::Value>) {
    let mut picks: Vec<serde_json::Value> = Vec::new();
    for (key, strength) in [("liked", 1.0), ("disliked", -1.0)] {
        if let Some(serde_json::Value::Array(ids)) = obj.remove(key) {
            for id in ids {
                if let Some(id) = id.as_str() {
                    picks.push(serde_json::json!({"id": id, "strength": strength}));
                }
            }
        }
    }
    obj.entry("picks")
        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
    if let Some(serde_json::Value::Array(existing)) = obj.get_mut("picks") {
        existing.extend(picks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_edits_keep_wanted_and_avoided_tags_apart() {
        let mut p = Profile::new("c");
        p.controls.avoid_topics.push("horror".into());
        p.avoided_tags.push("romance".into());
        let mut taken = Vec::new();
        p.want_tags(
            &["romance".into(), "horror".into(), "romance".into()],
            &mut taken,
        );
        // An outright avoided topic is never wanted; a gently avoided one moves.
        assert_eq!(taken, vec!["romance".to_string()]);
        assert_eq!(p.wanted_tags, vec!["romance".to_string()]);
        assert!(p.avoided_tags.is_empty());
        p.avoid_softly("romance");
        assert!(p.wanted_tags.is_empty());
        assert_eq!(p.avoided_tags, vec!["romance".to_string()]);
        p.bump_shown("a", 1);
        p.bump_shown("a", 2);
        p.bump_shown("b", u32::MAX);
        p.bump_shown("b", 1);
        assert_eq!(
            p.shown_counts,
            vec![("a".into(), 3), ("b".into(), u32::MAX)]
        );
    }

    #[test]
    fn starting_afresh_drops_the_request_and_keeps_liked_items_faintly() {
        let mut p = Profile::new("c");
        p.set_pick("loved", 1.0);
        p.set_pick("hated", -1.0);
        p.wanted_tags.push("fantasy".into());
        p.controls.avoid_topics.push("horror".into());
        p.shifts.length = 0.5;
        p.start_afresh();
        assert!(p.wanted_tags.is_empty());
        assert_eq!(p.shifts.length, 0.0);
        assert_eq!(p.pick("loved"), Some(0.1));
        assert_eq!(p.pick("hated"), Some(-1.0));
        assert!(p.seen.contains(&"loved".to_string()));
        assert_eq!(p.controls.avoid_topics, vec!["horror".to_string()]);
    }

    #[test]
    fn round_trips_and_migrates() {
        let mut p = Profile::new("goodbooks-10k");
        p.set_pick("1", 1.0);
        p.set_pick("2", -3.0);
        p.answers.push("I loved Dune".into());
        let back = Profile::from_json(&p.to_json()).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.pick("2"), Some(-1.0), "strength clamped");

        let v1 = r#"{"version":1,"catalog":"x","liked":["7"],"disliked":["9"],"answers":["hi"]}"#;
        let m = Profile::from_json(v1).unwrap();
        assert_eq!(m.version, PROFILE_VERSION);
        assert_eq!(m.pick("7"), Some(1.0));
        assert_eq!(m.pick("9"), Some(-1.0));
        assert_eq!(m.answers, vec!["hi".to_string()]);
    }

    #[test]
    fn corrupt_and_future_profiles_are_errors() {
        assert!(matches!(
            Profile::from_json("{not json"),
            Err(ProfileError::Corrupt(_))
        ));
        assert!(matches!(
            Profile::from_json("[1,2]"),
            Err(ProfileError::Corrupt(_))
        ));
        assert!(matches!(
            Profile::from_json(r#"{"version":99}"#),
            Err(ProfileError::TooNew { found: 99, .. })
        ));
        assert!(matches!(
            Profile::from_json(r#"{"version":2,"picks":[{"id":"1","strength":5}]}"#),
            Err(ProfileError::Corrupt(_))
        ));
        assert!(matches!(
            Profile::from_json(r#"{"version":2,"picks":"oops"}"#),
            Err(ProfileError::Corrupt(_))
        ));
        // 2^32 + 2 is not version 2.
        assert!(matches!(
            Profile::from_json(r#"{"version":4294967298}"#),
            Err(ProfileError::TooNew {
                found: 4294967298,
                ..
            })
        ));
        let huge = format!(
            r#"{{"version":2,"answers":["{}"]}}"#,
            "a".repeat(MAX_PROFILE_BYTES)
        );
        assert!(matches!(
            Profile::from_json(&huge),
            Err(ProfileError::TooLarge(_))
        ));
    }

    #[test]
    fn fields_this_build_does_not_know_are_written_back() {
        let json = r#"{"version":2,"catalog":"c","mood_board":{"colours":["teal"]},"z":1}"#;
        let p = Profile::from_json(json).unwrap();
        assert_eq!(p.unknown.len(), 2);
        let again: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(again["mood_board"]["colours"][0], "teal");
        assert_eq!(again["z"], 1);
        assert_eq!(Profile::from_json(&p.to_json()).unwrap(), p);
    }

    #[test]
    fn acceptance_rate_by_blocks_of_turns() {
        let mut p = Profile::new("x");
        for t in 0..6 {
            p.history.push(Turn {
                said: String::new(),
                question: None,
                shown: vec![],
            });
            let _ = t;
        }
        p.events = vec![
            Event {
                turn: 0,
                item: "a".into(),
                outcome: Outcome::Shown,
                variant: None,
            },
            Event {
                turn: 0,
                item: "b".into(),
                outcome: Outcome::Shown,
                variant: None,
            },
            Event {
                turn: 1,
                item: "a".into(),
                outcome: Outcome::Accepted,
                variant: None,
            },
            Event {
                turn: 5,
                item: "c".into(),
                outcome: Outcome::Shown,
                variant: None,
            },
            Event {
                turn: 5,
                item: "c".into(),
                outcome: Outcome::Rejected,
                variant: None,
            },
        ];
        let s = p.acceptance();
        assert_eq!((s.shown, s.accepted, s.rejected), (3, 1, 1));
        assert_eq!(s.rate_by_turns, vec![0.5, 0.0]);
    }
}
