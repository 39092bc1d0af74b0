//! How often each user's cards and each stored banner were viewed: one row per subject, added to
//! in batches by every replica (`views = views + batch`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ViewCounts {
    Table,
    /// `user` or `banner`.
    Subject,
    /// A lowercase login, or a banner id.
    SubjectKey,
    Views,
    LastViewedAt,
}

// See m20261121_000003 for why the lint is allowed here.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ViewCounts::Table)
                    .col(string_len(ViewCounts::Subject, 16))
                    .col(string(ViewCounts::SubjectKey))
                    .col(big_integer(ViewCounts::Views))
                    .col(timestamp_with_time_zone(ViewCounts::LastViewedAt))
                    .primary_key(Index::create().col(ViewCounts::Subject).col(ViewCounts::SubjectKey))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ViewCounts::Table).to_owned()).await
    }
}
