//! sea-orm entities, one file per table created by the `migration` crate.
//!
//! Invariant: these mirror the migrations column for column; they are storage rows, never API or
//! domain types, and stay private to `store` (conversions live in the modules that use them).

pub(crate) mod banner;
pub(crate) mod banner_render;
pub(crate) mod contribution_year;
pub(crate) mod event_outbox;
pub(crate) mod github_user;
pub(crate) mod manual_refresh;
pub(crate) mod refresh_schedule;
pub(crate) mod repository;
pub(crate) mod repository_language;
pub(crate) mod view_count;
pub(crate) mod webhook_delivery;
