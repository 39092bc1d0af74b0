//! Contribution calendars, one row per user, year and UTC offset the days were counted in. Past
//! years do not change, so a stored one is never asked for again; a restart costs no queries.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ContributionYears {
    Table,
    /// Lowercase.
    Login,
    Year,
    /// Minutes east of UTC.
    UtcOffsetMinutes,
    /// The year's first date (`YYYY-MM-DD`); `counts` start there, one per day.
    FirstDate,
    /// Comma-separated contribution counts, one per day from `first_date`.
    Counts,
    Restricted,
    /// Comma-separated years with contributions, as GitHub listed them.
    Years,
    FetchedAt,
}

// See m20261121_000003 for why the lint is allowed here.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ContributionYears as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(string(C::Login))
                    .col(integer(C::Year))
                    .col(integer(C::UtcOffsetMinutes))
                    .col(string_len(C::FirstDate, 10))
                    .col(text(C::Counts))
                    .col(big_integer(C::Restricted))
                    .col(string(C::Years))
                    .col(timestamp_with_time_zone(C::FetchedAt))
                    .primary_key(Index::create().col(C::Login).col(C::Year).col(C::UtcOffsetMinutes))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ContributionYears::Table).to_owned()).await
    }
}
