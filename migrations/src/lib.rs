//! Schema migrations for GitHub Banners, shared by SQLite and PostgreSQL.
//!
//! Invariants: every migration is written with `SchemaManager`/sea-query builders only (no raw SQL
//! statements; the one backend-specific fragment is a PostgreSQL `COLLATE "C"` column clause), so
//! one migration list runs unchanged on both backends; migrations are append-only and each has
//! a working `down`.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_snapshot_tables;
mod m20261121_000002_create_banner_tables;
mod m20261121_000003_create_outbox_and_refresh_tables;
mod m20261129_000004_add_last_viewed_to_schedule;
mod m20261129_000005_create_shared_claims;
mod m20261129_000006_add_all_time_totals;
mod m20261130_000007_create_view_counts;
mod m20261130_000008_add_snapshot_source;
mod m20261130_000009_create_contribution_years;

/// The ordered list of migrations the service applies at start-up (`migrate` subcommand too).
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_snapshot_tables::Migration),
            Box::new(m20261121_000002_create_banner_tables::Migration),
            Box::new(m20261121_000003_create_outbox_and_refresh_tables::Migration),
            Box::new(m20261129_000004_add_last_viewed_to_schedule::Migration),
            Box::new(m20261129_000005_create_shared_claims::Migration),
            Box::new(m20261129_000006_add_all_time_totals::Migration),
            Box::new(m20261130_000007_create_view_counts::Migration),
            Box::new(m20261130_000008_add_snapshot_source::Migration),
            Box::new(m20261130_000009_create_contribution_years::Migration),
        ]
    }
}
