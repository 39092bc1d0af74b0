//! Persistence for user snapshots: connecting, migrating, and reading/writing `UserSnapshot`s.
//!
//! Owns the database connection setup (SQLite by default, PostgreSQL when the URL says so) and the
//! sea-orm entities for the tables created by the `migration` crate. Invariants: entities never
//! leave this module (callers see domain types and `StoreError` only); every write of one user's
//! snapshot is a single transaction; SQLite connections always enforce foreign keys.

mod connection;
mod entities;
mod error;
mod snapshots;

pub use connection::{connect, connect_with_schema, migrate, ping};
pub use error::StoreError;
pub use snapshots::SnapshotStore;

#[cfg(test)]
mod test_support;
