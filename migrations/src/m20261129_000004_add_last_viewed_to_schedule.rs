//! `refresh_schedule.last_viewed_at`: when a user's card was last viewed on any replica. Users
//! are kept fresh only while they have banners or were viewed within the viewing window, so the
//! schedule cannot grow with every login ever asked for.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum RefreshSchedule {
    Table,
    LastViewedAt,
}

// See m20261121_000003 for why the lint is allowed here.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshSchedule::Table)
                    .add_column(timestamp_with_time_zone_null(RefreshSchedule::LastViewedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(RefreshSchedule::Table).drop_column(RefreshSchedule::LastViewedAt).to_owned(),
            )
            .await
    }
}
