//! `github_users.source`: where a snapshot came from. Null is GitHub's GraphQL API with a token
//! (every row before this migration); `rest` is the REST API without a token, which has no
//! contribution counters.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum GithubUsers {
    Table,
    Source,
}

// See m20261121_000003 for why the lint is allowed here.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(GithubUsers::Table)
                    .add_column(string_len_null(GithubUsers::Source, 16))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(GithubUsers::Table).drop_column(GithubUsers::Source).to_owned()).await
    }
}
