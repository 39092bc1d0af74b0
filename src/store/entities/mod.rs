//! sea-orm entities, one file per table created by the `migration` crate.
//!
//! Invariant: these mirror the migrations column for column; they are storage rows, never API or
//! domain types, and stay private to `store` (conversions live in `snapshots.rs`).

pub(crate) mod github_user;
pub(crate) mod repository;
pub(crate) mod repository_language;
