//! The conversation's parts: understanding an answer ([`understand()`]) and
//! choosing the clarifying question ([`question`]). The turn itself (apply
//! the answer to the profile, rank, maybe ask) is [`crate::core::session`], which
//! both shells drive.

pub mod occasion;
pub mod question;
pub mod understand;

pub use question::{Proposal, QuestionStrategy};
pub use understand::{understand, FollowUp, Reply, Revision, SmallTalk, Understanding};
