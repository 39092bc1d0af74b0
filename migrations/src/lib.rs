//! Schema migrations for GitHub Banners, shared by SQLite and PostgreSQL.
//!
//! Invariants: every migration is written with `SchemaManager`/sea-query builders only (no raw SQL),
//! so one migration list runs unchanged on both backends; migrations are append-only and each has
//! a working `down`.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_snapshot_tables;

/// The ordered list of migrations the service applies at start-up (`migrate` subcommand too).
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261121_000001_create_snapshot_tables::Migration)]
    }
}
