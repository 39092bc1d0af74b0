//! `github_users`: all-time totals of pull requests (and merged ones), issues and discussions,
//! which github-readme-stats' cards show. Null for users fetched before this migration.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum GithubUsers {
    Table,
    TotalPullRequests,
    MergedPullRequests,
    TotalIssues,
    DiscussionsStarted,
    DiscussionsAnswered,
}

const COLUMNS: [GithubUsers; 5] = [
    GithubUsers::TotalPullRequests,
    GithubUsers::MergedPullRequests,
    GithubUsers::TotalIssues,
    GithubUsers::DiscussionsStarted,
    GithubUsers::DiscussionsAnswered,
];

// See m20261121_000003 for why the lint is allowed here.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in COLUMNS {
            manager
                .alter_table(Table::alter().table(GithubUsers::Table).add_column(big_integer_null(column)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager.alter_table(Table::alter().table(GithubUsers::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
