//! Reading and writing whole `UserSnapshot`s.
//!
//! Invariants:
//! - `save` replaces everything stored about one user in one transaction: after it commits, the
//!   user's rows are exactly the snapshot (no stale repositories, no stale languages), and a
//!   concurrent `load` sees either the old snapshot or the new one, never a mix.
//! - Users are found by `Login::key()` (lowercase); repositories by GitHub node id, so renames and
//!   transfers update rows in place.
//! - `load` returns repositories by stars descending, then name, then node id, and each
//!   repository's languages by bytes descending, then name; the order is applied in Rust because
//!   SQLite and PostgreSQL collate text differently.
//! - Every save writes one `StatsRefreshed` event to the outbox in the same transaction, so the
//!   event exists exactly when the snapshot does. Its `changed` lists the counters (and
//!   "repositories": the set of repositories or any one's stars or forks) that differ from the
//!   account's previously stored row; it is empty on an account's first save. On PostgreSQL the
//!   previous row is locked (`FOR UPDATE`) before it is read, so concurrent saves of one user
//!   compare against each other in commit order; on SQLite the IMMEDIATE transaction does that.
//! - Multi-row statements are chunked so no statement exceeds the backends' bind-parameter limits
//!   (SQLite 32,766; PostgreSQL 65,535), whatever the number of repositories.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

mod write;

use super::{
    StoreError,
    entities::{github_user, repository, repository_language},
    outbox::{self, DEFAULT_ORIGIN},
    tx,
};
use crate::{
    domain::{AllTime, Contributions, LanguageSize, Login, Profile, RepoSnapshot, SnapshotSource, UserSnapshot},
    events::EventKind,
};
use write::{
    changed_stats, insert_languages, owned_repository_ids, prune_repositories, read_previous, unique_repositories,
    upsert_repositories, upsert_user,
};

/// Rows per multi-row statement: 500 repositories x 11 columns = 5,500 parameters, far below
/// both backends' limits, while still few round trips for a user with thousands of repositories.
pub(super) const CHUNK_ROWS: usize = 500;

/// Saves and loads user snapshots; cheap to clone (the connection is a pool handle).
#[derive(Clone)]
pub struct SnapshotStore {
    /// `pub(super)` for the read-only queries in `lookups.rs`.
    pub(super) db: DatabaseConnection,
    /// The `origin` of the events this store writes (the replica's name).
    origin: String,
}

impl SnapshotStore {
    /// A store whose events have the origin [`DEFAULT_ORIGIN`] (`"local"`).
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_origin(db, DEFAULT_ORIGIN)
    }

    /// A store whose events carry `origin` (the replica's name), so a replica can skip its own.
    pub fn with_origin(db: DatabaseConnection, origin: impl Into<String>) -> Self {
        Self { db, origin: origin.into() }
    }

    /// Replaces everything stored about `snapshot.profile.login` with `snapshot`, atomically.
    ///
    /// A repository listed twice, or a language listed twice in one repository, is stored once
    /// (the first occurrence wins) rather than failing the whole save.
    pub async fn save(&self, snapshot: &UserSnapshot) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let txn = tx::begin_write(&self.db, "save snapshot: begin transaction").await?;

        let previous = read_previous(&txn, backend, &snapshot.profile).await?;
        let user_id = upsert_user(&txn, snapshot).await?;
        let repos = unique_repositories(&snapshot.repositories);
        // Written after the user row is locked (by the upsert, if not before), so events of one
        // user get ids in commit order; and before the rest, so any later failure takes it back.
        let event = EventKind::StatsRefreshed {
            login: snapshot.profile.login.clone(),
            stats_version: snapshot.fetched_at.to_rfc3339(),
            changed: changed_stats(previous.as_ref(), snapshot, &repos),
        };
        outbox::enqueue(&txn, &self.origin, event, "save snapshot: write event").await?;
        upsert_repositories(&txn, user_id, &repos).await?;

        // Cleared before stale repositories go, so removing their languages does not depend on
        // the database enforcing ON DELETE CASCADE.
        repository_language::Entity::delete_many()
            .filter(repository_language::Column::RepositoryId.in_subquery(owned_repository_ids(user_id)))
            .exec(&txn)
            .await
            .map_err(StoreError::query("save snapshot: clear languages"))?;

        let ids = prune_repositories(&txn, user_id, &repos).await?;
        insert_languages(&txn, &repos, &ids).await?;

        tx::finish(txn, "save snapshot: commit").await
    }

    /// The last saved snapshot of `login` (any letter case), or `None` if it was never saved.
    pub async fn load(&self, login: &Login) -> Result<Option<UserSnapshot>, StoreError> {
        let txn = tx::begin_read(&self.db, "load snapshot: begin transaction").await?;
        let user = github_user::Entity::find()
            .filter(github_user::Column::LoginKey.eq(login.key()))
            .one(&txn)
            .await
            .map_err(StoreError::query("load snapshot: read user"))?;
        let Some(user) = user else {
            tx::finish(txn, "load snapshot: end transaction").await?;
            return Ok(None);
        };
        let repos = repository::Entity::find()
            .filter(repository::Column::OwnerId.eq(user.id))
            .all(&txn)
            .await
            .map_err(StoreError::query("load snapshot: read repositories"))?;
        let languages = repository_language::Entity::find()
            .filter(repository_language::Column::RepositoryId.in_subquery(owned_repository_ids(user.id)))
            .all(&txn)
            .await
            .map_err(StoreError::query("load snapshot: read languages"))?;
        tx::finish(txn, "load snapshot: end transaction").await?;

        Ok(Some(to_snapshot(user, repos, languages)))
    }
}

/// One repository row and its language rows, languages by bytes descending, then name.
pub(super) fn to_repo_snapshot(r: repository::Model, mut languages: Vec<LanguageSize>) -> RepoSnapshot {
    languages.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    RepoSnapshot {
        github_id: r.github_id,
        owner: r.owner,
        name: r.name,
        stars: r.stars,
        forks: r.forks,
        is_fork: r.is_fork,
        is_private: r.is_private,
        primary_language: r.primary_language,
        pushed_at: r.pushed_at,
        languages,
    }
}

fn to_snapshot(
    user: github_user::Model,
    repos: Vec<repository::Model>,
    languages: Vec<repository_language::Model>,
) -> UserSnapshot {
    let mut by_repo: HashMap<i64, Vec<LanguageSize>> = HashMap::new();
    for l in languages {
        by_repo.entry(l.repository_id).or_default().push(LanguageSize {
            name: l.language,
            color: l.color,
            bytes: l.bytes,
        });
    }

    let mut repositories: Vec<RepoSnapshot> = repos
        .into_iter()
        .map(|r| {
            let languages = by_repo.remove(&r.id).unwrap_or_default();
            to_repo_snapshot(r, languages)
        })
        .collect();
    repositories.sort_by(|a, b| {
        b.stars.cmp(&a.stars).then_with(|| a.name.cmp(&b.name)).then_with(|| a.github_id.cmp(&b.github_id))
    });

    UserSnapshot {
        profile: Profile {
            github_id: user.github_id,
            login: user.login,
            name: user.name,
            avatar_url: user.avatar_url,
            bio: user.bio,
            company: user.company,
            location: user.location,
            created_at: user.created_at,
            followers: user.followers,
            following: user.following,
            all_time: match (
                user.total_pull_requests,
                user.merged_pull_requests,
                user.total_issues,
                user.discussions_started,
                user.discussions_answered,
            ) {
                (Some(pull_requests), Some(merged), Some(issues), Some(started), Some(answered)) => Some(AllTime {
                    pull_requests,
                    merged_pull_requests: merged,
                    issues,
                    discussions_started: started,
                    discussions_answered: answered,
                }),
                _ => None,
            },
        },
        contributions: Contributions {
            commits: user.commits,
            restricted: user.restricted_contributions,
            pull_requests: user.pull_requests,
            issues: user.issues,
            reviews: user.reviews,
            contributed_to: user.contributed_to,
        },
        repositories,
        fetched_at: user.fetched_at,
        source: SnapshotSource::from_stored(user.source.as_deref()),
    }
}

#[cfg(test)]
mod tests;
