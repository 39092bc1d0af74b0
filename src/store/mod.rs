//! Persistence: connecting, migrating, user snapshots, saved banners with their renders, the event
//! outbox and the background-refresh schedule.
//!
//! Owns the database connection setup (SQLite by default, PostgreSQL when the URL says so) and the
//! sea-orm entities for the tables created by the `migration` crate. Invariants: entities never
//! leave this module (callers see domain types and `StoreError` only); every write of one user's
//! snapshot is a single transaction; every state change that emits an event writes it to the
//! outbox in that same transaction; SQLite connections always enforce foreign keys; paginated
//! reads use keyset cursors in an order both backends agree on, and read at most
//! [`MAX_PAGE_SIZE`] rows (+1) per page.

mod banners;
mod claims;
mod connection;
mod contributions;
mod entities;
mod error;
mod lookups;
mod outbox;
mod schedule;
mod snapshots;
mod tx;
mod views;

pub use banners::{BannerRecord, BannerStore, Page, StoredRender};
pub use claims::Claims;
pub use connection::{connect, connect_with_schema, migrate, ping};
pub use contributions::ContributionStore;
pub use error::StoreError;
pub use lookups::{RepoPage, UserSummary};
pub use outbox::{DEFAULT_ORIGIN, OutboxStore};
pub use schedule::RefreshSchedule;
pub use snapshots::SnapshotStore;
pub use views::{ViewBatchRow, ViewStore};

/// The most items a paginated read returns, whatever `first` asks for, so one request can never
/// make the database read a whole table; `has_next` stays truthful when a page is capped.
pub const MAX_PAGE_SIZE: u64 = 1_000;

#[doc(hidden)]
pub mod testing;
