//! The banner tables: saved banner configurations and their last rendered images.
//!
//! Invariants: `banners.id` is a caller-generated URL-safe slug and the primary key;
//! `owner_key` is the lowercase owner login (the lookup key; `owner_login` keeps the spelling the
//! caller gave). Text keys that pages are ordered by (`banners.id`) compare by bytes on both
//! backends: SQLite's default BINARY collation, and `COLLATE "C"` on PostgreSQL, whose database
//! default may be a locale (`en_US`: `a` < `B`, `-` ignored) that would order pages differently
//! and could not use the indexes for a byte-order `ORDER BY`. `banner_renders` rows are deleted
//! with their banner (ON DELETE CASCADE; SQLite needs `foreign_keys=ON`, which `connect` sets).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Banners {
    Table,
    Id,
    OwnerLogin,
    OwnerKey,
    BannerType,
    Theme,
    Options,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BannerRenders {
    Table,
    BannerId,
    Format,
    Bytes,
    Etag,
    StatsVersion,
    RenderedAt,
}

/// `COLLATE "C"` on PostgreSQL (byte order, like SQLite's default BINARY); nothing on SQLite,
/// which knows no collation named "C".
fn byte_order(mut column: ColumnDef, backend: DbBackend) -> ColumnDef {
    if backend == DbBackend::Postgres {
        // PostgreSQL accepts COLLATE among the column constraints, which is where `extra` goes.
        column.extra("COLLATE \"C\"");
    }
    column
}

// async_trait's expansion needs `&SchemaManager` without `<'_>` (writing it makes the lifetime
// early-bound and the impl no longer matches the trait), which the 2018-idioms lint flags.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(Banners::Table)
                    .col(byte_order(string(Banners::Id).primary_key().to_owned(), backend))
                    .col(string(Banners::OwnerLogin))
                    .col(string(Banners::OwnerKey))
                    .col(string(Banners::BannerType))
                    .col(string(Banners::Theme))
                    // A JSON object of URL-style options; text, not a JSON column, so both
                    // backends store exactly the bytes written (jsonb would reorder keys).
                    .col(text(Banners::Options))
                    .col(timestamp_with_time_zone(Banners::CreatedAt))
                    .col(timestamp_with_time_zone(Banners::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        // Keyset pagination over all banners: `WHERE (created_at, id) > cursor ORDER BY
        // created_at, id LIMIT n` reads n rows of this index instead of sorting the table.
        manager
            .create_index(
                Index::create()
                    .name("idx_banners_created_at_id")
                    .table(Banners::Table)
                    .col(Banners::CreatedAt)
                    .col(Banners::Id)
                    .to_owned(),
            )
            .await?;

        // The same per owner; its leading column also serves `ids_for_owner` and `owners`.
        manager
            .create_index(
                Index::create()
                    .name("idx_banners_owner_key_created_at_id")
                    .table(Banners::Table)
                    .col(Banners::OwnerKey)
                    .col(Banners::CreatedAt)
                    .col(Banners::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BannerRenders::Table)
                    .col(string(BannerRenders::BannerId))
                    .col(string(BannerRenders::Format))
                    .col(blob(BannerRenders::Bytes))
                    .col(string(BannerRenders::Etag))
                    .col(string(BannerRenders::StatsVersion))
                    .col(timestamp_with_time_zone(BannerRenders::RenderedAt))
                    // One render per banner and format; the leading column also serves the
                    // cascade and "delete this banner's renders" by banner id.
                    .primary_key(
                        Index::create()
                            .name("pk_banner_renders")
                            .col(BannerRenders::BannerId)
                            .col(BannerRenders::Format),
                    )
                    // Declared inside CREATE TABLE: SQLite cannot add a foreign key afterwards.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_banner_renders_banner_id")
                            .from(BannerRenders::Table, BannerRenders::BannerId)
                            .to(Banners::Table, Banners::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Child first, so neither backend refuses a drop that a foreign key still points at.
        manager.drop_table(Table::drop().table(BannerRenders::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Banners::Table).to_owned()).await
    }
}
