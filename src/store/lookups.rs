//! Read paths for the GraphQL API over stored snapshots: a user's repositories one page at a time,
//! and the summaries of many users in one query (for a dataloader).
//!
//! Invariants:
//! - `list_repositories` orders by stars descending, then name in byte order, and pages by keyset
//!   on that pair. Byte order is what Rust's `str` ordering and SQLite's default BINARY collation
//!   give; on PostgreSQL the comparison and the sort say `COLLATE "C"`, because the database
//!   default may be a locale that orders names differently. GitHub keeps a user's repository
//!   names unique, so (stars, name) identifies a row of one owner and no cursor skips a row.
//! - A page's reads (user, count, repositories, languages) run in one read transaction, so `total`,
//!   the items and their languages come from the same snapshot.
//! - Only the page's repositories and their languages are read, never all of a user's.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use super::{
    MAX_PAGE_SIZE, SnapshotStore, StoreError,
    entities::{github_user, repository, repository_language},
    snapshots::to_repo_snapshot,
    tx,
};
use crate::domain::{LanguageSize, Login, RepoSnapshot};

/// Logins per `load_many` statement: one query for any realistic dataloader batch, and far below
/// both backends' bind-parameter limits for a caller that passes more.
const LOAD_MANY_BATCH: usize = 1_000;

/// `(login_key, login, name, avatar_url, fetched_at)`: the columns `load_many` selects.
type SummaryRow = (String, String, Option<String>, Option<String>, DateTime<Utc>);

/// One page of a user's repositories.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoPage {
    /// Stars descending, then name; each with its languages (bytes descending, then name).
    pub items: Vec<RepoSnapshot>,
    /// Whether repositories follow the last item.
    pub has_next: bool,
    /// How many repositories the user has in all.
    pub total: u64,
}

/// The profile fields a GraphQL `User` needs, without repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    /// GitHub's spelling.
    pub login: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

impl SnapshotStore {
    /// One page of `login`'s repositories, stars descending then name (byte order), after the
    /// cursor `after` = (stars, name) of the previous page's last item; `None` if the user was
    /// never saved. At most `first` items, and never more than [`MAX_PAGE_SIZE`].
    pub async fn list_repositories(
        &self,
        login: &Login,
        first: u64,
        after: Option<(i64, String)>,
    ) -> Result<Option<RepoPage>, StoreError> {
        use repository::Column as C;

        let limit = std::cmp::min(first, MAX_PAGE_SIZE);
        let backend = self.db.get_database_backend();
        let txn = tx::begin_read(&self.db, "list repositories: begin transaction").await?;
        let Some(user_id) = tx::user_id(&txn, &login.key(), "list repositories: read user").await? else {
            tx::finish(txn, "list repositories: end transaction").await?;
            return Ok(None);
        };

        let total = repository::Entity::find()
            .filter(C::OwnerId.eq(user_id))
            .count(&txn)
            .await
            .map_err(StoreError::query("list repositories: count"))?;

        let mut query = repository::Entity::find().filter(C::OwnerId.eq(user_id));
        if let Some((stars, name)) = after {
            // `stars <= s AND (stars < s OR name > n)`: after (s, n) in (stars DESC, name ASC) order.
            query = query.filter(
                Condition::all()
                    .add(C::Stars.lte(stars))
                    .add(Condition::any().add(C::Stars.lt(stars)).add(name_in_byte_order(backend).gt(name))),
            );
        }
        let mut rows = query
            .order_by_desc(C::Stars)
            .order_by(name_in_byte_order(backend), Order::Asc)
            // One row beyond the page tells whether another page follows.
            .limit(limit + 1)
            .all(&txn)
            .await
            .map_err(StoreError::query("list repositories: read page"))?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(limit as usize);

        // At most MAX_PAGE_SIZE ids: one statement stays far below the bind-parameter limits.
        let languages = if rows.is_empty() {
            Vec::new()
        } else {
            repository_language::Entity::find()
                .filter(repository_language::Column::RepositoryId.is_in(rows.iter().map(|r| r.id)))
                .all(&txn)
                .await
                .map_err(StoreError::query("list repositories: read languages"))?
        };
        tx::finish(txn, "list repositories: end transaction").await?;

        let mut by_repo: HashMap<i64, Vec<LanguageSize>> = HashMap::new();
        for l in languages {
            by_repo.entry(l.repository_id).or_default().push(LanguageSize {
                name: l.language,
                color: l.color,
                bytes: l.bytes,
            });
        }
        let items = rows
            .into_iter()
            .map(|r| {
                let languages = by_repo.remove(&r.id).unwrap_or_default();
                to_repo_snapshot(r, languages)
            })
            .collect();
        Ok(Some(RepoPage { items, has_next, total }))
    }

    /// Summaries of the saved users among `logins` (any letter case), keyed by lowercase login;
    /// logins never saved are absent. One query (per `LOAD_MANY_BATCH` distinct logins).
    pub async fn load_many(&self, logins: &[String]) -> Result<HashMap<String, UserSummary>, StoreError> {
        use github_user::Column as C;

        let keys: BTreeSet<String> = logins.iter().map(|l| l.to_ascii_lowercase()).collect();
        let keys: Vec<String> = keys.into_iter().collect();
        let mut summaries = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(LOAD_MANY_BATCH) {
            let rows: Vec<SummaryRow> = github_user::Entity::find()
                .select_only()
                .columns([C::LoginKey, C::Login, C::Name, C::AvatarUrl, C::FetchedAt])
                .filter(C::LoginKey.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(StoreError::query("load user summaries"))?;
            for (key, login, name, avatar_url, fetched_at) in rows {
                summaries.insert(key, UserSummary { login, name, avatar_url, fetched_at });
            }
        }
        Ok(summaries)
    }
}

/// `repositories.name` compared by bytes: SQLite's default collation already is; PostgreSQL's
/// database default may be a locale, so it is overridden per expression (the column predates the
/// banner tables' byte-order columns, and migrations are append-only).
fn name_in_byte_order(backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust(r#""repositories"."name" COLLATE "C""#),
        _ => Expr::col((repository::Entity, repository::Column::Name)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{
        domain::{Contributions, Profile, UserSnapshot},
        store::testing::TestDatabase,
    };

    fn at(secs: i64, micros: u32) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, micros * 1_000).unwrap()
    }

    fn snapshot(github_id: &str, login: &str, repositories: Vec<RepoSnapshot>) -> UserSnapshot {
        UserSnapshot {
            profile: Profile {
                github_id: github_id.into(),
                login: login.into(),
                name: Some(format!("{login} 🦀")),
                avatar_url: Some(format!("https://avatars.example/{login}")),
                bio: None,
                company: None,
                location: None,
                created_at: None,
                followers: 1,
                following: 2,
                all_time: None,
            },
            contributions: Contributions::default(),
            repositories,
            fetched_at: at(1_763_700_000, 123_456),
            source: Default::default(),
        }
    }

    fn repo(i: i64, name: String, stars: i64) -> RepoSnapshot {
        RepoSnapshot {
            github_id: format!("R_{i:04}"),
            owner: "OctoCat".into(),
            name,
            stars,
            forks: 0,
            is_fork: false,
            is_private: false,
            primary_language: Some("Rust".into()),
            pushed_at: None,
            languages: vec![
                LanguageSize { name: "Rust".into(), color: Some("#dea584".into()), bytes: 5_000 + i },
                LanguageSize { name: "Shell".into(), color: None, bytes: 100 + i },
            ],
        }
    }

    fn login(raw: &str) -> Login {
        Login::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn list_repositories_pages_through_250_each_exactly_once_in_order_with_languages() {
        for t in TestDatabase::all().await {
            let store = SnapshotStore::new(t.db.clone());
            // Seven star counts, so most ties are broken by name; prefixes whose byte order
            // differs from a locale's (`B` < `Z` < `_` < `a`, case and punctuation significant).
            let prefixes = ["zeta-", "Beta", "alpha_", "_x", "a-b", "Zulu"];
            let repos: Vec<RepoSnapshot> = (0..250)
                .map(|i| repo(i, format!("{}{:03}", prefixes[i as usize % prefixes.len()], (i * 37) % 250), i % 7))
                .collect();
            store.save(&snapshot("U_1", "OctoCat", repos)).await.unwrap();
            store.save(&snapshot("U_2", "other", vec![repo(9_999, "other-repo".into(), 3)])).await.unwrap();
            // `load` sorts in Rust by stars descending then name: the order pages must follow.
            let want = store.load(&login("octocat")).await.unwrap().unwrap().repositories;

            let mut pages = Vec::new();
            let mut after = None;
            loop {
                let page = store.list_repositories(&login("OCTOCAT"), 50, after).await.unwrap().unwrap();
                after = page.items.last().map(|r| (r.stars, r.name.clone()));
                let done = !page.has_next;
                pages.push(page);
                assert!(pages.len() < 100, "{}: pagination does not end", t.label);
                if done {
                    break;
                }
            }

            let shape: Vec<(usize, bool, u64)> = pages.iter().map(|p| (p.items.len(), p.has_next, p.total)).collect();
            assert_eq!(shape, [(50, true, 250), (50, true, 250), (50, true, 250), (50, true, 250), (50, false, 250)]);
            let listed: Vec<RepoSnapshot> = pages.into_iter().flat_map(|p| p.items).collect();
            assert_eq!(listed, want, "{}", t.label);
            assert!(listed.iter().all(|r| r.languages.len() == 2), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn list_repositories_of_an_unknown_user_is_none_and_of_a_bare_user_is_empty() {
        for t in TestDatabase::all().await {
            let store = SnapshotStore::new(t.db.clone());
            store.save(&snapshot("U_1", "bare", vec![])).await.unwrap();

            let ghost = store.list_repositories(&login("ghost"), 10, None).await.unwrap();
            let bare = store.list_repositories(&login("bare"), 10, None).await.unwrap();

            assert_eq!(ghost, None, "{}", t.label);
            assert_eq!(bare, Some(RepoPage { items: vec![], has_next: false, total: 0 }), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn load_many_returns_the_known_users_by_lowercase_login() {
        for t in TestDatabase::all().await {
            let store = SnapshotStore::new(t.db.clone());
            for (id, name) in [("U_1", "OctoCat"), ("U_2", "alice"), ("U_3", "Bob-2")] {
                store.save(&snapshot(id, name, vec![])).await.unwrap();
            }

            let asked = ["octocat", "ALICE", "ghost", "OctoCat", "bob-2"].map(String::from);
            let found = store.load_many(&asked).await.unwrap();

            let mut keys: Vec<&str> = found.keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["alice", "bob-2", "octocat"], "{}", t.label);
            let octocat = UserSummary {
                login: "OctoCat".into(),
                name: Some("OctoCat 🦀".into()),
                avatar_url: Some("https://avatars.example/OctoCat".into()),
                fetched_at: at(1_763_700_000, 123_456),
            };
            assert_eq!(found["octocat"], octocat, "{}", t.label);
            assert_eq!(found["bob-2"].login, "Bob-2", "{}", t.label);
            assert!(store.load_many(&[]).await.unwrap().is_empty(), "{}", t.label);
        }
    }
}
