//! Two tabs, one stored profile, no lost update.
//!
//! Each tab keeps its profile in a [`Synced`]: the profile, the revision it
//! was last saved or loaded at, and the changes made since. Before a save
//! the shell reads the stored record and calls [`Synced::absorb`]: when
//! another tab wrote in between (a different revision), this tab's unsaved
//! changes are replayed through the engine on top of what that tab saved,
//! so both tabs' answers, picks and controls survive. [`Synced::commit`]
//! then gives the JSON to write with the next revision. The shell makes the
//! read-absorb-write atomic across tabs (the worker holds a Web Lock).
//!
//! Replaying rather than merging fields keeps one source of truth: every
//! derived vector (taste, MF user vector) is recomputed by the same code a
//! live turn runs.

use serde::{Deserialize, Serialize};

use crate::core::profile::{Controls, Profile};
use crate::core::session::{Engine, EngineError, Feedback, Reply};

/// One change the visitor made, kept until saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Something the visitor said.
    Say {
        /// The words.
        text: String,
    },
    /// Feedback on an item.
    Feedback {
        /// The item's id.
        id: String,
        /// Which feedback.
        feedback: Feedback,
    },
    /// New controls.
    Controls {
        /// The controls set.
        controls: Controls,
    },
}

/// What [`Synced::absorb`] found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Absorbed {
    /// True when another tab had written (or deleted) since this one's base.
    pub merged: bool,
    /// This tab's changes replayed on top of the stored profile.
    pub replayed: usize,
    /// Changes that could not be replayed, with the reason (never silently).
    pub failed: Vec<String>,
}

/// A profile plus what is needed to save it safely beside other tabs.
#[derive(Debug, Clone)]
pub struct Synced {
    profile: Profile,
    base: u64,
    unsaved: Vec<Change>,
}

impl Synced {
    /// Wraps a profile just loaded from storage (or a fresh one).
    pub fn new(profile: Profile) -> Synced {
        Synced {
            base: profile.revision,
            profile,
            unsaved: Vec::new(),
        }
    }

    /// The profile as it stands.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Changes made since the last save.
    pub fn unsaved(&self) -> &[Change] {
        &self.unsaved
    }

    /// Runs a change through the engine and remembers it for a later replay.
    /// A change the engine refuses is not remembered.
    pub fn apply(&mut self, engine: &Engine, change: Change) -> Result<Reply, EngineError> {
        let reply = run(engine, &mut self.profile, &change)?;
        self.unsaved.push(change);
        Ok(reply)
    }

    /// Assigns the ranking variant (not a change to replay: each tab's host decides).
    pub fn set_variant(&mut self, engine: &Engine, name: Option<&str>) -> Result<(), EngineError> {
        engine.set_variant(&mut self.profile, name)
    }

    /// Forgets everything (the shell also clears storage).
    pub fn reset(&mut self, engine: &Engine) {
        let variant = self.profile.variant.take();
        self.profile = engine.new_profile();
        self.profile.variant = variant;
        self.base = 0;
        self.unsaved.clear();
    }

    /// Replaces the profile with an imported one (an export from another
    /// browser, say). Its revision is moved past the stored record's, so the
    /// next commit wins over it and every other tab adopts the import.
    pub fn import(
        &mut self,
        engine: &Engine,
        json: &str,
        stored: Option<&str>,
    ) -> Result<(), EngineError> {
        let mut imported = engine.open_profile(json)?;
        let stored_revision = stored
            .and_then(|s| Profile::from_json(s).ok())
            .map_or(0, |p| p.revision);
        imported.variant = self.profile.variant.clone();
        self.base = imported.revision.max(stored_revision).max(self.base);
        self.profile = imported;
        self.unsaved.clear();
        Ok(())
    }

    /// Takes in the stored record before a save (or when another tab says
    /// it saved). `None` means nothing is stored: if this tab had loaded or
    /// saved a revision, everything was deleted elsewhere, and only this
    /// tab's unsaved changes are kept, on a fresh profile. A stored record
    /// that cannot be read is an error and changes nothing: the shell keeps
    /// it aside and saves this tab's profile over it.
    pub fn absorb(
        &mut self,
        engine: &Engine,
        stored: Option<&str>,
    ) -> Result<Absorbed, EngineError> {
        let theirs = match stored {
            Some(json) => engine.open_profile(json)?,
            None if self.base == 0 => return Ok(Absorbed::default()),
            None => engine.new_profile(),
        };
        if stored.is_some() && theirs.revision == self.base {
            return Ok(Absorbed::default());
        }
        let variant = self.profile.variant.clone();
        self.base = theirs.revision;
        self.profile = theirs;
        self.profile.variant = variant;
        let mut out = Absorbed {
            merged: true,
            ..Absorbed::default()
        };
        for change in &self.unsaved {
            match run(engine, &mut self.profile, change) {
                Ok(_) => out.replayed += 1,
                Err(e) => out.failed.push(format!("{}: {e}", describe(change))),
            }
        }
        Ok(out)
    }

    /// The JSON to store now, under the next revision; the unsaved changes
    /// count as saved from here on. ([`Synced::to_save`] then
    /// [`Synced::saved`], for a caller whose write cannot fail.)
    pub fn commit(&mut self) -> String {
        let json = self.to_save();
        self.saved();
        json
    }

    /// The JSON to store, under the next revision. Nothing changes until
    /// [`Synced::saved`] says the write went through, so a write that fails
    /// (storage full, storage gone) loses nothing: the changes stay unsaved
    /// and go into the next save.
    pub fn to_save(&self) -> String {
        let mut p = self.profile.clone();
        p.revision = self.base + 1;
        p.to_json()
    }

    /// The JSON from [`Synced::to_save`] is stored: it is the new base.
    pub fn saved(&mut self) {
        self.base += 1;
        self.profile.revision = self.base;
        self.unsaved.clear();
    }

    /// The browser wiped storage under this tab (eviction, or the visitor
    /// clearing site data) — not another tab's "delete everything", which
    /// keeps the database and says so: this tab's whole profile is what is
    /// left of it, so the next save writes all of it again.
    pub fn keep_after_wipe(&mut self) {
        self.base = 0;
        self.profile.revision = 0;
    }
}

impl Change {
    /// Applies the change to a profile and returns the reply: the one turn
    /// format of every shell (a tab's `Session.apply`, `kith chat --json`),
    /// without a tab's bookkeeping of unsaved changes.
    pub fn apply_to(&self, engine: &Engine, p: &mut Profile) -> Result<Reply, EngineError> {
        run(engine, p, self)
    }
}

fn run(engine: &Engine, p: &mut Profile, change: &Change) -> Result<Reply, EngineError> {
    match change {
        Change::Say { text } => engine.say(p, text),
        Change::Feedback { id, feedback } => engine.feedback(p, id, *feedback),
        Change::Controls { controls } => engine.set_controls(p, controls.clone()),
    }
}

fn describe(change: &Change) -> String {
    match change {
        Change::Say { text } => format!("saying {text:?}"),
        Change::Feedback { id, feedback } => format!("{feedback:?} on item {id}"),
        Change::Controls { .. } => "new controls".to_string(),
    }
}
