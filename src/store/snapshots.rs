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

use std::collections::{HashMap, HashSet};

use sea_orm::{
    AccessMode,
    ActiveValue::Set,
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, IsolationLevel,
    QueryFilter, QueryOrder, QuerySelect, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sea_query::{OnConflict, Query, SelectStatement},
};

use super::{
    StoreError,
    entities::{github_user, repository, repository_language},
    outbox::{self, DEFAULT_ORIGIN},
};
use crate::{
    domain::{Contributions, LanguageSize, Login, Profile, RepoSnapshot, UserSnapshot},
    events::EventKind,
};

/// Rows per multi-row statement: 500 repositories x 11 columns = 5,500 parameters, far below
/// both backends' limits, while still few round trips for a user with thousands of repositories.
const CHUNK_ROWS: usize = 500;

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
        let txn = self
            .db
            .begin_with_options(write_options(backend))
            .await
            .map_err(StoreError::query("save snapshot: begin transaction"))?;

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

        txn.commit().await.map_err(StoreError::query("save snapshot: commit"))
    }

    /// The last saved snapshot of `login` (any letter case), or `None` if it was never saved.
    pub async fn load(&self, login: &Login) -> Result<Option<UserSnapshot>, StoreError> {
        let backend = self.db.get_database_backend();
        let txn = self
            .db
            .begin_with_options(read_options(backend))
            .await
            .map_err(StoreError::query("load snapshot: begin transaction"))?;

        let user = github_user::Entity::find()
            .filter(github_user::Column::LoginKey.eq(login.key()))
            .one(&txn)
            .await
            .map_err(StoreError::query("load snapshot: read user"))?;
        let Some(user) = user else {
            // Ended explicitly: a dropped transaction's ROLLBACK is sent later by a task the pool
            // spawns, and until that runs the session sits "idle in transaction" holding locks.
            txn.commit().await.map_err(StoreError::query("load snapshot: end transaction"))?;
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
        txn.commit().await.map_err(StoreError::query("load snapshot: end transaction"))?;

        Ok(Some(to_snapshot(user, repos, languages)))
    }
}

pub(super) fn write_options(backend: DbBackend) -> TransactionOptions {
    match backend {
        // Take the write lock at BEGIN: a deferred transaction that reads first and writes later
        // fails with SQLITE_BUSY instead of waiting when another connection writes meanwhile.
        DbBackend::Sqlite => TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        },
        _ => TransactionOptions::default(),
    }
}

pub(super) fn read_options(backend: DbBackend) -> TransactionOptions {
    match backend {
        // READ COMMITTED takes a new snapshot per statement, so the three reads of `load` could
        // straddle a concurrent save. (A SQLite read transaction is a snapshot already, and
        // sea-orm only warns if asked for an isolation level there.)
        DbBackend::Postgres => TransactionOptions {
            isolation_level: Some(IsolationLevel::RepeatableRead),
            access_mode: Some(AccessMode::ReadOnly),
            ..TransactionOptions::default()
        },
        _ => TransactionOptions::default(),
    }
}

/// What was stored about an account before a save, to tell which stats changed.
struct Previous {
    user: github_user::Model,
    /// Node id -> (stars, forks) of the account's repositories.
    repos: HashMap<String, (i64, i64)>,
}

/// The account's stored row (found by node id, so a renamed account compares with its old row;
/// else by login, if that row is the same account) and its repositories' stars and forks.
async fn read_previous(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    profile: &Profile,
) -> Result<Option<Previous>, StoreError> {
    use github_user::Column as C;

    let mut query = github_user::Entity::find()
        .filter(
            Condition::any()
                .add(C::GithubId.eq(&profile.github_id))
                .add(C::LoginKey.eq(profile.login.to_ascii_lowercase())),
        )
        // Two rows at most; locked in id order so concurrent saves cannot deadlock on them.
        .order_by_asc(C::Id);
    if backend == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let users = query.all(txn).await.map_err(StoreError::query("save snapshot: read previous user"))?;
    // A login that now belongs to another account is that account's first save.
    let Some(user) = users.into_iter().find(|u| u.github_id == profile.github_id) else { return Ok(None) };

    let repos: Vec<(String, i64, i64)> = repository::Entity::find()
        .select_only()
        .columns([repository::Column::GithubId, repository::Column::Stars, repository::Column::Forks])
        .filter(repository::Column::OwnerId.eq(user.id))
        .into_tuple()
        .all(txn)
        .await
        .map_err(StoreError::query("save snapshot: read previous repositories"))?;
    let repos = repos.into_iter().map(|(id, stars, forks)| (id, (stars, forks))).collect();
    Ok(Some(Previous { user, repos }))
}

/// Names of the stats that differ between `previous` and the snapshot being saved, in a fixed
/// order; empty without a previous row.
fn changed_stats(previous: Option<&Previous>, snapshot: &UserSnapshot, repos: &[&RepoSnapshot]) -> Vec<String> {
    let Some(Previous { user, repos: before }) = previous else { return Vec::new() };
    let c = &snapshot.contributions;
    let counters = [
        ("followers", user.followers, snapshot.profile.followers),
        ("commits", user.commits, c.commits),
        ("pull_requests", user.pull_requests, c.pull_requests),
        ("issues", user.issues, c.issues),
        ("reviews", user.reviews, c.reviews),
        ("contributed_to", user.contributed_to, c.contributed_to),
    ];
    let mut changed: Vec<String> =
        counters.iter().filter(|(_, old, new)| old != new).map(|(name, _, _)| (*name).to_owned()).collect();
    // `repos` holds one entry per node id, so equal sizes and every entry unchanged means the
    // same set with the same stars and forks.
    let repos_changed =
        repos.len() != before.len() || repos.iter().any(|r| before.get(&r.github_id) != Some(&(r.stars, r.forks)));
    if repos_changed {
        changed.push("repositories".to_owned());
    }
    changed
}

/// Writes the user row and returns its id.
async fn upsert_user(txn: &DatabaseTransaction, snapshot: &UserSnapshot) -> Result<i64, StoreError> {
    use github_user::Column as C;

    let profile = &snapshot.profile;
    let login_key = profile.login.to_ascii_lowercase();

    // The account was renamed (same node id, new login): its old row is stale and would also
    // violate the unique node id on insert. Its repositories go with it and are re-added below.
    github_user::Entity::delete_many()
        .filter(C::GithubId.eq(&profile.github_id))
        .filter(C::LoginKey.ne(&login_key))
        .exec(txn)
        .await
        .map_err(StoreError::query("save snapshot: drop renamed user"))?;

    let c = &snapshot.contributions;
    let row = github_user::ActiveModel {
        github_id: Set(profile.github_id.clone()),
        login: Set(profile.login.clone()),
        login_key: Set(login_key.clone()),
        name: Set(profile.name.clone()),
        avatar_url: Set(profile.avatar_url.clone()),
        bio: Set(profile.bio.clone()),
        company: Set(profile.company.clone()),
        location: Set(profile.location.clone()),
        created_at: Set(profile.created_at),
        followers: Set(profile.followers),
        following: Set(profile.following),
        commits: Set(c.commits),
        restricted_contributions: Set(c.restricted),
        pull_requests: Set(c.pull_requests),
        issues: Set(c.issues),
        reviews: Set(c.reviews),
        contributed_to: Set(c.contributed_to),
        fetched_at: Set(snapshot.fetched_at),
        ..Default::default()
    };
    // A login that GitHub gave to a different account updates the row in place (new node id):
    // the login key, not the node id, is what callers look up.
    let on_conflict = OnConflict::column(C::LoginKey)
        .update_columns([
            C::GithubId,
            C::Login,
            C::Name,
            C::AvatarUrl,
            C::Bio,
            C::Company,
            C::Location,
            C::CreatedAt,
            C::Followers,
            C::Following,
            C::Commits,
            C::RestrictedContributions,
            C::PullRequests,
            C::Issues,
            C::Reviews,
            C::ContributedTo,
            C::FetchedAt,
        ])
        .to_owned();
    // Without RETURNING: SQLite's last_insert_rowid() is not updated when the upsert takes the
    // UPDATE path, so the id is read back by key instead.
    github_user::Entity::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::query("save snapshot: upsert user"))?;

    github_user::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::LoginKey.eq(&login_key))
        .into_tuple::<i64>()
        .one(txn)
        .await
        .and_then(|id| id.ok_or_else(|| DbErr::RecordNotFound("github_users row just upserted".into())))
        .map_err(StoreError::query("save snapshot: read user id"))
}

/// The snapshot's repositories, one per node id (first wins), ordered by node id so concurrent
/// saves lock rows in the same order and cannot deadlock each other on PostgreSQL.
fn unique_repositories(repos: &[RepoSnapshot]) -> Vec<&RepoSnapshot> {
    let mut seen = HashSet::new();
    let mut unique: Vec<&RepoSnapshot> = repos.iter().filter(|r| seen.insert(r.github_id.as_str())).collect();
    unique.sort_by(|a, b| a.github_id.cmp(&b.github_id));
    unique
}

async fn upsert_repositories(
    txn: &DatabaseTransaction,
    user_id: i64,
    repos: &[&RepoSnapshot],
) -> Result<(), StoreError> {
    use repository::Column as C;

    for chunk in repos.chunks(CHUNK_ROWS) {
        let rows = chunk.iter().map(|r| repository::ActiveModel {
            github_id: Set(r.github_id.clone()),
            owner_id: Set(user_id),
            owner: Set(r.owner.clone()),
            name: Set(r.name.clone()),
            stars: Set(r.stars),
            forks: Set(r.forks),
            is_fork: Set(r.is_fork),
            is_private: Set(r.is_private),
            primary_language: Set(r.primary_language.clone()),
            pushed_at: Set(r.pushed_at),
            ..Default::default()
        });
        // owner_id is updated too: a repository transferred to this user moves here.
        let on_conflict = OnConflict::column(C::GithubId)
            .update_columns([
                C::OwnerId,
                C::Owner,
                C::Name,
                C::Stars,
                C::Forks,
                C::IsFork,
                C::IsPrivate,
                C::PrimaryLanguage,
                C::PushedAt,
            ])
            .to_owned();
        repository::Entity::insert_many(rows)
            .on_conflict(on_conflict)
            .exec_without_returning(txn)
            .await
            .map_err(StoreError::query("save snapshot: upsert repositories"))?;
    }
    Ok(())
}

/// Deletes the user's repositories missing from the snapshot; returns node id -> row id of the rest.
async fn prune_repositories(
    txn: &DatabaseTransaction,
    user_id: i64,
    repos: &[&RepoSnapshot],
) -> Result<HashMap<String, i64>, StoreError> {
    use repository::Column as C;

    let stored: Vec<(i64, String)> = repository::Entity::find()
        .select_only()
        .columns([C::Id, C::GithubId])
        .filter(C::OwnerId.eq(user_id))
        .into_tuple()
        .all(txn)
        .await
        .map_err(StoreError::query("save snapshot: list repositories"))?;

    let wanted: HashSet<&str> = repos.iter().map(|r| r.github_id.as_str()).collect();
    let (kept, stale): (Vec<_>, Vec<_>) =
        stored.into_iter().partition(|(_, github_id)| wanted.contains(github_id.as_str()));

    // By row id rather than `github_id NOT IN (...snapshot...)`: that list has one parameter per
    // repository and could exceed the bind limit; the stale list is usually empty.
    let stale: Vec<i64> = stale.into_iter().map(|(id, _)| id).collect();
    for chunk in stale.chunks(CHUNK_ROWS) {
        repository::Entity::delete_many()
            .filter(C::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await
            .map_err(StoreError::query("save snapshot: delete removed repositories"))?;
    }

    Ok(kept.into_iter().map(|(id, github_id)| (github_id, id)).collect())
}

async fn insert_languages(
    txn: &DatabaseTransaction,
    repos: &[&RepoSnapshot],
    ids: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    // Built eagerly: a lazy iterator of closures held across `.await` makes the future !Send.
    let mut rows: Vec<repository_language::ActiveModel> = Vec::new();
    for repo in repos {
        let Some(&repository_id) = ids.get(&repo.github_id) else { continue };
        let mut seen = HashSet::new();
        for language in repo.languages.iter().filter(|l| seen.insert(l.name.as_str())) {
            rows.push(repository_language::ActiveModel {
                repository_id: Set(repository_id),
                language: Set(language.name.clone()),
                color: Set(language.color.clone()),
                bytes: Set(language.bytes),
            });
        }
    }
    for chunk in rows.chunks(CHUNK_ROWS) {
        repository_language::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await
            .map_err(StoreError::query("save snapshot: insert languages"))?;
    }
    Ok(())
}

/// `SELECT id FROM repositories WHERE owner_id = ?`: one parameter however many repositories.
fn owned_repository_ids(user_id: i64) -> SelectStatement {
    Query::select()
        .column(repository::Column::Id)
        .from(repository::Entity)
        .and_where(repository::Column::OwnerId.eq(user_id))
        .to_owned()
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
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use sea_orm::{ConnectionTrait, PaginatorTrait, Statement};

    use super::*;
    use crate::store::{OutboxStore, test_support::TestDb};

    /// Microsecond precision: PostgreSQL's timestamptz keeps no more, so the round trip is exact.
    fn at(secs: i64, micros: u32) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, micros * 1_000).unwrap()
    }

    fn lang(name: &str, color: Option<&str>, bytes: i64) -> LanguageSize {
        LanguageSize { name: name.into(), color: color.map(Into::into), bytes }
    }

    fn repo(github_id: &str, name: &str, stars: i64, languages: Vec<LanguageSize>) -> RepoSnapshot {
        RepoSnapshot {
            github_id: github_id.into(),
            owner: "OctoCat".into(),
            name: name.into(),
            stars,
            forks: stars / 2,
            is_fork: false,
            is_private: false,
            primary_language: languages.first().map(|l| l.name.clone()),
            pushed_at: Some(at(1_700_000_000 + stars, 654_321)),
            languages,
        }
    }

    fn snapshot(github_id: &str, login: &str, repositories: Vec<RepoSnapshot>) -> UserSnapshot {
        UserSnapshot {
            profile: Profile {
                github_id: github_id.into(),
                login: login.into(),
                name: Some("The Octocat".into()),
                avatar_url: Some("https://avatars.githubusercontent.com/u/583231".into()),
                bio: None,
                company: Some("@github".into()),
                location: Some("San Francisco".into()),
                created_at: Some(at(1_295_981_077, 0)),
                followers: 12_345,
                following: 9,
            },
            contributions: Contributions {
                commits: 1_000,
                restricted: 17,
                pull_requests: 42,
                issues: 7,
                reviews: 3,
                contributed_to: 11,
            },
            repositories,
            fetched_at: at(1_763_700_000, 123_456),
        }
    }

    fn login(raw: &str) -> Login {
        Login::parse(raw).unwrap()
    }

    async fn count_languages(db: &DatabaseConnection) -> u64 {
        repository_language::Entity::find().count(db).await.unwrap()
    }

    #[tokio::test]
    async fn save_then_load_returns_the_same_snapshot_in_display_order() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            let mut bare = repo("R_c", "zeta", 5, vec![]);
            (bare.is_fork, bare.is_private, bare.pushed_at) = (true, true, None);
            let saved = snapshot(
                "U_1",
                "OctoCat",
                vec![
                    bare.clone(),
                    repo("R_a", "alpha", 5, vec![lang("Go", None, 10), lang("Rust", Some("#dea584"), 900)]),
                    repo("R_b", "hello-world", 80, vec![lang("C", Some("#555555"), 7), lang("Awk", None, 7)]),
                ],
            );

            store.save(&saved).await.unwrap();
            let loaded = store.load(&login("OctoCat")).await.unwrap().unwrap();

            // Stars descending, then name; languages by bytes descending, then name.
            let mut want = saved.clone();
            want.repositories = vec![
                repo("R_b", "hello-world", 80, vec![lang("Awk", None, 7), lang("C", Some("#555555"), 7)]),
                repo("R_a", "alpha", 5, vec![lang("Rust", Some("#dea584"), 900), lang("Go", None, 10)]),
                bare,
            ];
            want.repositories[0].primary_language = Some("C".into());
            want.repositories[1].primary_language = Some("Go".into());
            assert_eq!(loaded, want, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn second_save_leaves_exactly_the_new_repositories_and_languages() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            let first = snapshot(
                "U_1",
                "octocat",
                vec![
                    repo("R_keep", "kept", 30, vec![lang("Rust", None, 100), lang("Shell", None, 5)]),
                    repo("R_gone", "removed", 20, vec![lang("Perl", None, 50), lang("C", None, 60)]),
                    repo("R_ren", "old-name", 10, vec![lang("Go", None, 70)]),
                ],
            );
            store.save(&first).await.unwrap();
            let gone_id: i64 = repository::Entity::find()
                .select_only()
                .column(repository::Column::Id)
                .filter(repository::Column::GithubId.eq("R_gone"))
                .into_tuple()
                .one(&t.db)
                .await
                .unwrap()
                .unwrap();

            let mut second = snapshot(
                "U_1",
                "octocat",
                vec![
                    repo("R_keep", "kept", 31, vec![lang("Rust", None, 120), lang("TOML", None, 2)]),
                    repo("R_ren", "new-name", 10, vec![lang("Go", None, 70)]),
                    repo("R_new", "added", 1, vec![lang("Zig", Some("#ec915c"), 9)]),
                ],
            );
            second.contributions.commits = 1_001;
            store.save(&second).await.unwrap();

            let loaded = store.load(&login("octocat")).await.unwrap().unwrap();
            assert_eq!(loaded, second, "{}", t.label);
            let orphaned = repository_language::Entity::find()
                .filter(repository_language::Column::RepositoryId.eq(gone_id))
                .count(&t.db)
                .await
                .unwrap();
            assert_eq!(orphaned, 0, "{}: removed repository's languages remain", t.label);
            assert_eq!(count_languages(&t.db).await, 4, "{}", t.label);
            let renamed_rows =
                repository::Entity::find().filter(repository::Column::GithubId.eq("R_ren")).count(&t.db).await.unwrap();
            assert_eq!(renamed_rows, 1, "{}: rename must update in place", t.label);
        }
    }

    #[tokio::test]
    async fn load_finds_a_user_whatever_the_letter_case() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            store.save(&snapshot("U_1", "OctoCat", vec![])).await.unwrap();

            for spelling in ["octocat", "OCTOCAT", "OctoCat", "oCtOcAt"] {
                let loaded = store.load(&login(spelling)).await.unwrap();
                let loaded = loaded.unwrap_or_else(|| panic!("{}: {spelling} not found", t.label));
                assert_eq!(loaded.profile.login, "OctoCat", "{}: GitHub's spelling is kept", t.label);
            }
        }
    }

    #[tokio::test]
    async fn saving_another_spelling_updates_the_same_user() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            store.save(&snapshot("U_1", "octocat", vec![])).await.unwrap();
            store.save(&snapshot("U_1", "OctoCat", vec![])).await.unwrap();

            let users = github_user::Entity::find().count(&t.db).await.unwrap();
            assert_eq!(users, 1, "{}", t.label);
            let loaded = store.load(&login("octocat")).await.unwrap().unwrap();
            assert_eq!(loaded.profile.login, "OctoCat", "{}", t.label);
        }
    }

    #[tokio::test]
    async fn load_of_an_unknown_login_is_none() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            store.save(&snapshot("U_1", "octocat", vec![])).await.unwrap();

            assert_eq!(store.load(&login("ghost")).await.unwrap(), None, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn two_hundred_fifty_repositories_round_trip() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            // Three languages each: 750 language rows, more than one insert chunk.
            let repos: Vec<_> = (0..250)
                .map(|i| {
                    let languages = vec![
                        lang("Rust", Some("#dea584"), 3_000 + i),
                        lang("Python", Some("#3572A5"), 2_000 + i),
                        lang("Shell", None, 1_000 + i),
                    ];
                    repo(&format!("R_{i:04}"), &format!("repo-{i:04}"), 1_000 - i, languages)
                })
                .collect();
            let saved = snapshot("U_1", "octocat", repos);

            store.save(&saved).await.unwrap();
            let loaded = store.load(&login("octocat")).await.unwrap().unwrap();

            assert_eq!(loaded.repositories.len(), 250, "{}", t.label);
            assert_eq!(loaded, saved, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn thousands_of_repositories_stay_under_bind_parameter_limits() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            let repos: Vec<_> = (0..3_100)
                .map(|i| repo(&format!("R_{i:05}"), &format!("r{i:05}"), 0, vec![lang("C", None, 1)]))
                .collect();
            let mut saved = snapshot("U_1", "octocat", repos);

            store.save(&saved).await.unwrap();
            // The second save updates everything and deletes over a chunk's worth of repositories.
            saved.repositories.truncate(2_400);
            store.save(&saved).await.unwrap();
            let loaded = store.load(&login("octocat")).await.unwrap().unwrap();

            assert_eq!(loaded, saved, "{}", t.label);
            assert_eq!(count_languages(&t.db).await, 2_400, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn hostile_strings_round_trip_unchanged() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            let hostile = "Robert'); DROP TABLE github_users;-- \"quoted\" \\back\\slash %_ <script>alert(1)</script> 🦀👩‍💻 ünïcødé \u{202e}rtl";
            let mut saved = snapshot("U_'\"1", "octocat", vec![]);
            saved.profile.name = Some("x".repeat(500));
            saved.profile.bio = Some(hostile.into());
            saved.profile.company = Some(String::new());
            saved.profile.location = Some("line1\nline2\ttab".into());
            let mut r = repo("R_<script>", &format!("{hostile}-{}", "n".repeat(500)), 1, vec![]);
            r.owner = "O'Brien \"<b>\"".into();
            r.languages = vec![lang("C++ 🦀 '<x>'", Some("#'\"<>"), 1)];
            r.primary_language = Some(hostile.into());
            saved.repositories = vec![r];

            store.save(&saved).await.unwrap();
            let loaded = store.load(&login("octocat")).await.unwrap().unwrap();

            assert_eq!(loaded, saved, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn renamed_account_replaces_its_old_login() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            store
                .save(&snapshot("U_1", "old-name", vec![repo("R_1", "a", 1, vec![lang("C", None, 1)])]))
                .await
                .unwrap();

            let renamed = snapshot("U_1", "new-name", vec![repo("R_1", "a", 1, vec![lang("C", None, 1)])]);
            store.save(&renamed).await.unwrap();

            assert_eq!(store.load(&login("old-name")).await.unwrap(), None, "{}", t.label);
            assert_eq!(store.load(&login("new-name")).await.unwrap(), Some(renamed), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn transferred_repository_moves_to_its_new_owner() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            let moving = repo("R_moving", "tool", 3, vec![lang("Go", None, 10)]);
            store.save(&snapshot("U_a", "alice", vec![moving.clone()])).await.unwrap();

            let mut moved = moving.clone();
            moved.owner = "bob".into();
            store.save(&snapshot("U_b", "bob", vec![moved.clone()])).await.unwrap();

            let alice = store.load(&login("alice")).await.unwrap().unwrap();
            let bob = store.load(&login("bob")).await.unwrap().unwrap();
            assert!(alice.repositories.is_empty(), "{}", t.label);
            assert_eq!(bob.repositories, vec![moved], "{}", t.label);
        }
    }

    #[tokio::test]
    async fn duplicate_entries_in_a_snapshot_are_stored_once() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            let first = repo("R_1", "dup", 1, vec![lang("C", None, 5), lang("C", None, 9)]);
            let mut later = first.clone();
            later.name = "dup-again".into();

            store.save(&snapshot("U_1", "octocat", vec![first, later])).await.unwrap();
            let loaded = store.load(&login("octocat")).await.unwrap().unwrap();

            assert_eq!(loaded.repositories.len(), 1, "{}", t.label);
            assert_eq!(loaded.repositories[0].name, "dup", "{}", t.label);
            assert_eq!(loaded.repositories[0].languages, vec![lang("C", None, 5)], "{}", t.label);
        }
    }

    #[tokio::test]
    async fn concurrent_saves_of_one_user_all_succeed_and_one_wins_whole() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            let versions: Vec<_> = (0..8)
                .map(|v| {
                    let repos = (0..40)
                        .map(|i| repo(&format!("R_{i:02}"), &format!("r{i:02}"), v, vec![lang("C", None, v + 1)]))
                        .collect();
                    snapshot("U_1", "octocat", repos)
                })
                .collect();

            let results = futures::future::join_all(versions.iter().map(|s| store.save(s))).await;

            for result in results {
                result.unwrap();
            }
            let loaded = store.load(&login("octocat")).await.unwrap().unwrap();
            assert!(versions.contains(&loaded), "{}: load mixed two saves", t.label);
        }
    }

    async fn stats_events(db: &DatabaseConnection) -> Vec<crate::events::Event> {
        let pending = OutboxStore::new(db.clone()).pending(100).await.unwrap();
        pending.into_iter().map(|(_, event)| event).collect()
    }

    fn changed_of(event: &crate::events::Event) -> Vec<String> {
        match &event.kind {
            EventKind::StatsRefreshed { changed, .. } => changed.clone(),
            other => panic!("not a StatsRefreshed: {other:?}"),
        }
    }

    #[tokio::test]
    async fn save_writes_exactly_one_stats_refreshed_event_with_the_snapshot() {
        for t in TestDb::all().await {
            let saved = snapshot("U_1", "OctoCat", vec![repo("R_1", "a", 1, vec![])]);

            SnapshotStore::new(t.db.clone()).save(&saved).await.unwrap();
            SnapshotStore::with_origin(t.db.clone(), "replica-b").save(&saved).await.unwrap();

            let events = stats_events(&t.db).await;
            assert_eq!(events.len(), 2, "{}: one event per save", t.label);
            let want = EventKind::StatsRefreshed {
                login: "OctoCat".into(),
                stats_version: saved.fetched_at.to_rfc3339(),
                changed: vec![],
            };
            assert_eq!(events[0].kind, want, "{}", t.label);
            assert_eq!(events[0].origin, DEFAULT_ORIGIN, "{}", t.label);
            assert_eq!(events[1].origin, "replica-b", "{}", t.label);
            assert_eq!(events[0].key(), "octocat", "{}", t.label);
        }
    }

    #[tokio::test]
    async fn changed_lists_the_stats_that_differ_from_the_previous_save() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            let first = snapshot("U_1", "octocat", vec![repo("R_1", "a", 10, vec![]), repo("R_2", "b", 4, vec![])]);
            store.save(&first).await.unwrap();

            // Counters and one repository's stars.
            let mut second = first.clone();
            second.profile.followers += 1;
            second.contributions.reviews += 2;
            second.contributions.restricted += 5;
            second.repositories[1].stars = 5;
            store.save(&second).await.unwrap();
            // Nothing that counts (a new name and new languages are not stats).
            let mut third = second.clone();
            third.profile.name = Some("Renamed".into());
            third.repositories[0].languages = vec![lang("C", None, 1)];
            store.save(&third).await.unwrap();
            // A repository gone, and one more commit.
            let mut fourth = third.clone();
            fourth.repositories.truncate(1);
            fourth.contributions.commits += 1;
            store.save(&fourth).await.unwrap();
            // Same number of repositories, but another one.
            let mut fifth = fourth.clone();
            fifth.repositories = vec![repo("R_3", "c", 10, vec![])];
            fifth.repositories[0].forks = fourth.repositories[0].forks;
            store.save(&fifth).await.unwrap();
            // A renamed account compares with its old row.
            let mut sixth = fifth.clone();
            sixth.profile.login = "new-name".into();
            sixth.contributions.issues += 1;
            store.save(&sixth).await.unwrap();

            let changed: Vec<Vec<String>> = stats_events(&t.db).await.iter().map(changed_of).collect();
            let want: [&[&str]; 6] = [
                &[],
                &["followers", "reviews", "repositories"],
                &[],
                &["commits", "repositories"],
                &["repositories"],
                &["issues"],
            ];
            assert_eq!(changed, want, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn a_login_taken_over_by_another_account_starts_with_nothing_changed() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            store.save(&snapshot("U_old", "octocat", vec![])).await.unwrap();
            let mut other = snapshot("U_new", "octocat", vec![]);
            other.profile.followers = 1;

            store.save(&other).await.unwrap();

            let changed: Vec<Vec<String>> = stats_events(&t.db).await.iter().map(changed_of).collect();
            assert_eq!(changed, [Vec::<String>::new(), vec![]], "{}", t.label);
        }
    }

    #[tokio::test]
    async fn a_save_whose_event_cannot_be_written_stores_nothing() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            let first = snapshot("U_1", "octocat", vec![repo("R_1", "a", 1, vec![lang("C", None, 1)])]);
            store.save(&first).await.unwrap();
            t.db.execute_unprepared("DROP TABLE event_outbox").await.unwrap();

            let mut second = first.clone();
            second.contributions.commits += 1;
            second.repositories = vec![repo("R_2", "b", 2, vec![])];
            let err = store.save(&second).await.unwrap_err();

            assert!(matches!(err, StoreError::Query { operation: "save snapshot: write event", .. }), "{err:?}");
            assert_eq!(store.load(&login("octocat")).await.unwrap(), Some(first), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn a_save_that_fails_after_its_event_leaves_no_event() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            // The languages are written after the event: their failure must take the event back.
            t.db.execute_unprepared("DROP TABLE repository_languages").await.unwrap();

            let err = store.save(&snapshot("U_1", "octocat", vec![])).await.unwrap_err();

            assert!(matches!(err, StoreError::Query { operation: "save snapshot: clear languages", .. }), "{err:?}");
            assert_eq!(OutboxStore::new(t.db.clone()).count_pending().await.unwrap(), 0, "{}", t.label);
            assert_eq!(github_user::Entity::find().count(&t.db).await.unwrap(), 0, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn in_memory_sqlite_keeps_data_between_calls() {
        let t = TestDb::sqlite_memory().await;
        let store = SnapshotStore::new(t.db.clone());
        let saved = snapshot("U_1", "octocat", vec![repo("R_1", "a", 1, vec![lang("C", None, 1)])]);

        store.save(&saved).await.unwrap();

        assert_eq!(store.load(&login("octocat")).await.unwrap(), Some(saved));
    }

    #[tokio::test]
    async fn every_pooled_sqlite_connection_enforces_foreign_keys() {
        let t = TestDb::sqlite_file().await;
        // Open transactions pin distinct connections, so this checks each one the pool opened.
        let mut txns = Vec::new();
        for _ in 0..4 {
            txns.push(t.db.begin().await.unwrap());
        }
        for txn in &txns {
            let row = txn
                .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA foreign_keys"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.try_get_by_index::<i32>(0).unwrap(), 1);
        }
    }

    #[tokio::test]
    async fn deleting_a_user_cascades_to_repositories_and_languages() {
        for t in TestDb::all().await {
            let store = SnapshotStore::new(t.db.clone());
            let repos = vec![repo("R_1", "a", 1, vec![lang("C", None, 1), lang("Go", None, 2)])];
            store.save(&snapshot("U_1", "octocat", repos)).await.unwrap();

            github_user::Entity::delete_many().exec(&t.db).await.unwrap();

            assert_eq!(repository::Entity::find().count(&t.db).await.unwrap(), 0, "{}", t.label);
            assert_eq!(count_languages(&t.db).await, 0, "{}", t.label);
        }
    }
}
