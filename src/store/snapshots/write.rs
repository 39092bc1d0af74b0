//! The writes of `SnapshotStore::save`: the previous row, the user row, repositories and
//! languages, each chunked under the bind-parameter limits.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{OnConflict, Query, SelectStatement},
};

use super::CHUNK_ROWS;
use crate::domain::{Profile, RepoSnapshot, UserSnapshot};
use crate::store::{
    StoreError,
    entities::{github_user, repository, repository_language},
};

/// What was stored about an account before a save, to tell which stats changed.
pub(super) struct Previous {
    user: github_user::Model,
    /// Node id -> (stars, forks) of the account's repositories.
    repos: HashMap<String, (i64, i64)>,
}

/// The account's stored row (found by node id, so a renamed account compares with its old row;
/// else by login, if that row is the same account) and its repositories' stars and forks.
pub(super) async fn read_previous(
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
pub(super) fn changed_stats(
    previous: Option<&Previous>,
    snapshot: &UserSnapshot,
    repos: &[&RepoSnapshot],
) -> Vec<String> {
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
pub(super) async fn upsert_user(txn: &DatabaseTransaction, snapshot: &UserSnapshot) -> Result<i64, StoreError> {
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
        total_pull_requests: Set(profile.all_time.map(|t| t.pull_requests)),
        merged_pull_requests: Set(profile.all_time.map(|t| t.merged_pull_requests)),
        total_issues: Set(profile.all_time.map(|t| t.issues)),
        discussions_started: Set(profile.all_time.map(|t| t.discussions_started)),
        discussions_answered: Set(profile.all_time.map(|t| t.discussions_answered)),
        fetched_at: Set(snapshot.fetched_at),
        source: Set(snapshot.source.stored()),
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
            C::TotalPullRequests,
            C::MergedPullRequests,
            C::TotalIssues,
            C::DiscussionsStarted,
            C::DiscussionsAnswered,
            C::FetchedAt,
            C::Source,
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
pub(super) fn unique_repositories(repos: &[RepoSnapshot]) -> Vec<&RepoSnapshot> {
    let mut seen = HashSet::new();
    let mut unique: Vec<&RepoSnapshot> = repos.iter().filter(|r| seen.insert(r.github_id.as_str())).collect();
    unique.sort_by(|a, b| a.github_id.cmp(&b.github_id));
    unique
}

pub(super) async fn upsert_repositories(
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
pub(super) async fn prune_repositories(
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

pub(super) async fn insert_languages(
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
pub(super) fn owned_repository_ids(user_id: i64) -> SelectStatement {
    Query::select()
        .column(repository::Column::Id)
        .from(repository::Entity)
        .and_where(repository::Column::OwnerId.eq(user_id))
        .to_owned()
}
