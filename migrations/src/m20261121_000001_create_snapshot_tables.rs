//! The snapshot tables: one row per GitHub user, their repositories, and each repository's languages.
//!
//! Invariants: `github_users.login_key` (lowercase login) is the lookup key and is unique;
//! `github_id` (GitHub's node id) is unique in both `github_users` and `repositories`, so a renamed
//! or transferred repository stays one row. Children are deleted with their parent (ON DELETE
//! CASCADE), which needs `PRAGMA foreign_keys=ON` on SQLite (the store's `connect` sets it).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum GithubUsers {
    Table,
    Id,
    GithubId,
    Login,
    LoginKey,
    Name,
    AvatarUrl,
    Bio,
    Company,
    Location,
    CreatedAt,
    Followers,
    Following,
    Commits,
    RestrictedContributions,
    PullRequests,
    Issues,
    Reviews,
    ContributedTo,
    FetchedAt,
}

#[derive(DeriveIden)]
enum Repositories {
    Table,
    Id,
    GithubId,
    OwnerId,
    Owner,
    Name,
    Stars,
    Forks,
    IsFork,
    IsPrivate,
    PrimaryLanguage,
    PushedAt,
}

#[derive(DeriveIden)]
enum RepositoryLanguages {
    Table,
    RepositoryId,
    Language,
    Color,
    Bytes,
}

// async_trait's expansion needs `&SchemaManager` without `<'_>` (writing it makes the lifetime
// early-bound and the impl no longer matches the trait), which the 2018-idioms lint flags.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GithubUsers::Table)
                    .col(big_pk_auto(GithubUsers::Id))
                    .col(string_uniq(GithubUsers::GithubId))
                    .col(string(GithubUsers::Login))
                    .col(string_uniq(GithubUsers::LoginKey))
                    // Free text from GitHub profiles: no length limit we could rely on.
                    .col(text_null(GithubUsers::Name))
                    .col(text_null(GithubUsers::AvatarUrl))
                    .col(text_null(GithubUsers::Bio))
                    .col(text_null(GithubUsers::Company))
                    .col(text_null(GithubUsers::Location))
                    .col(timestamp_with_time_zone_null(GithubUsers::CreatedAt))
                    .col(big_integer(GithubUsers::Followers))
                    .col(big_integer(GithubUsers::Following))
                    .col(big_integer(GithubUsers::Commits))
                    .col(big_integer(GithubUsers::RestrictedContributions))
                    .col(big_integer(GithubUsers::PullRequests))
                    .col(big_integer(GithubUsers::Issues))
                    .col(big_integer(GithubUsers::Reviews))
                    .col(big_integer(GithubUsers::ContributedTo))
                    .col(timestamp_with_time_zone(GithubUsers::FetchedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Repositories::Table)
                    .col(big_pk_auto(Repositories::Id))
                    .col(string_uniq(Repositories::GithubId))
                    .col(big_integer(Repositories::OwnerId))
                    .col(string(Repositories::Owner))
                    .col(text(Repositories::Name))
                    .col(big_integer(Repositories::Stars))
                    .col(big_integer(Repositories::Forks))
                    .col(boolean(Repositories::IsFork))
                    .col(boolean(Repositories::IsPrivate))
                    .col(string_null(Repositories::PrimaryLanguage))
                    .col(timestamp_with_time_zone_null(Repositories::PushedAt))
                    // Declared inside CREATE TABLE: SQLite cannot add a foreign key afterwards.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_repositories_owner_id")
                            .from(Repositories::Table, Repositories::OwnerId)
                            .to(GithubUsers::Table, GithubUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // Every save lists and prunes one owner's repositories; neither backend indexes FKs itself.
        manager
            .create_index(
                Index::create()
                    .name("idx_repositories_owner_id")
                    .table(Repositories::Table)
                    .col(Repositories::OwnerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RepositoryLanguages::Table)
                    .col(big_integer(RepositoryLanguages::RepositoryId))
                    .col(string(RepositoryLanguages::Language))
                    .col(string_null(RepositoryLanguages::Color))
                    .col(big_integer(RepositoryLanguages::Bytes))
                    // The primary key's leading column also serves lookups by repository.
                    .primary_key(
                        Index::create()
                            .name("pk_repository_languages")
                            .col(RepositoryLanguages::RepositoryId)
                            .col(RepositoryLanguages::Language),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_repository_languages_repository_id")
                            .from(RepositoryLanguages::Table, RepositoryLanguages::RepositoryId)
                            .to(Repositories::Table, Repositories::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first, so neither backend refuses a drop that a foreign key still points at.
        manager.drop_table(Table::drop().table(RepositoryLanguages::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Repositories::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(GithubUsers::Table).to_owned()).await
    }
}
