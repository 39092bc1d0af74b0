//! StatsService: the memory cache, then the store, then GitHub, under the soft/hard TTL policy.
//!
//! Invariants:
//! - a user's snapshot is fetched from GitHub by at most one task at a time: concurrent misses
//!   share one fetch (moka's `or_try_insert_with`), background refreshes are de-duplicated per user;
//! - no cache entry outlives the hard TTL, so data older than that is never served without first
//!   asking GitHub; when GitHub then fails, the last stored snapshot is served however old, marked
//!   `StaleIfError`, and asked again after `STALE_RETRY`.

mod expiry;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use moka::future::Cache;

use crate::domain::{Login, UserSnapshot};
use crate::github::{GitHubApi, GitHubError};
use crate::store::SnapshotStore;
use expiry::EntryExpiry;

/// How long a stale-if-error answer (or a failed background refresh) is kept before GitHub is
/// tried again: long enough not to hammer a GitHub outage, short enough to recover quickly.
const STALE_RETRY: Duration = Duration::from_secs(60);

/// How long "no such user" is remembered, so typos cannot spend our GitHub budget in a loop.
const NOT_FOUND_TTL: Duration = Duration::from_secs(300);

/// How long a viewed user stays on the scheduler's list without being viewed again.
const VIEWED_TTL: Duration = Duration::from_secs(24 * 3600);

/// Least time between two explicit refreshes (`refresh_now`) of one user.
pub const MANUAL_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// Refresh notifications kept for slow subscribers; a lagging one skips to the newest.
const UPDATES_CAPACITY: usize = 256;

/// Why an explicit refresh did not happen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RefreshError {
    #[error("{login} was refreshed less than a minute ago; try again in {retry_after_secs}s")]
    Throttled { login: String, retry_after_secs: u64 },
    #[error("GitHub failed for {login}: {error}")]
    GitHub { login: String, error: GitHubError },
}

#[derive(Debug, Clone, Copy)]
pub struct TtlPolicy {
    /// Younger data is served as is.
    pub soft: Duration,
    /// Younger data is served at once and refreshed in the background; older data needs GitHub.
    pub hard: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Younger than the soft TTL.
    Fresh,
    /// Older than the soft TTL; a background refresh is under way (or recently failed).
    Revalidating,
    /// Older than the hard TTL, and GitHub could not be asked just now.
    StaleIfError,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Fresh => "fresh",
            Freshness::Revalidating => "revalidating",
            Freshness::StaleIfError => "stale-if-error",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StatsLookup {
    pub snapshot: Arc<UserSnapshot>,
    pub freshness: Freshness,
}

struct CacheEntry {
    snapshot: Arc<UserSnapshot>,
    /// Set when this is an old snapshot served because GitHub failed.
    upstream_error: bool,
    /// Fetched from GitHub when it was cached (rather than read from the store).
    fetched_now: bool,
}

#[derive(Clone)]
pub struct StatsService {
    inner: Arc<Inner>,
}

struct Inner {
    github: Arc<dyn GitHubApi>,
    store: SnapshotStore,
    policy: TtlPolicy,
    cache: Cache<String, Arc<CacheEntry>>,
    not_found: Cache<String, ()>,
    /// Users whose background refresh failed recently; not retried until the entry expires.
    refresh_failed: Cache<String, ()>,
    /// Users with a background refresh in flight.
    refreshing: Mutex<HashSet<String>>,
    /// Logins asked for recently (key: lowercase login; value: the spelling used).
    viewed: moka::sync::Cache<String, String>,
    /// When each user was last refreshed on request (`refresh_now`).
    manual_refreshes: Cache<String, std::time::Instant>,
    /// Every snapshot fetched from GitHub, for subscribers (re-rendering, GraphQL subscriptions).
    updates: tokio::sync::broadcast::Sender<Arc<UserSnapshot>>,
}

impl StatsService {
    pub fn new(github: Arc<dyn GitHubApi>, store: SnapshotStore, policy: TtlPolicy, max_users: u64) -> Self {
        let cache = Cache::builder()
            .max_capacity(max_users)
            .expire_after(EntryExpiry { hard_ttl: policy.hard, stale_retry: STALE_RETRY })
            .build();
        let not_found = Cache::builder().max_capacity(max_users).time_to_live(NOT_FOUND_TTL).build();
        let refresh_failed = Cache::builder().max_capacity(max_users).time_to_live(STALE_RETRY).build();
        Self {
            inner: Arc::new(Inner {
                github,
                store,
                policy,
                cache,
                not_found,
                refresh_failed,
                refreshing: Mutex::new(HashSet::new()),
                viewed: moka::sync::Cache::builder().max_capacity(max_users).time_to_live(VIEWED_TTL).build(),
                manual_refreshes: Cache::builder()
                    .max_capacity(max_users)
                    .time_to_live(MANUAL_REFRESH_INTERVAL)
                    .build(),
                updates: tokio::sync::broadcast::channel(UPDATES_CAPACITY).0,
            }),
        }
    }

    pub fn policy(&self) -> TtlPolicy {
        self.inner.policy
    }

    /// The GitHub token pool's public state.
    pub fn token_pool(&self) -> Vec<crate::github::TokenInfo> {
        self.inner.github.token_pool()
    }

    /// One page of a user's stored repositories (most starred first); None for an unknown user.
    pub async fn repositories(
        &self,
        login: &Login,
        first: u64,
        after: Option<(i64, String)>,
    ) -> Result<Option<crate::store::RepoPage>, crate::store::StoreError> {
        self.inner.store.list_repositories(login, first, after).await
    }

    /// Stored profile summaries for many users at once (one query), keyed by lowercase login.
    pub async fn summaries(
        &self,
        logins: &[String],
    ) -> Result<std::collections::HashMap<String, crate::store::UserSummary>, crate::store::StoreError> {
        self.inner.store.load_many(logins).await
    }

    /// Users asked for recently (the scheduler keeps them fresh too).
    pub fn recently_viewed(&self) -> Vec<String> {
        self.inner.viewed.iter().map(|(_, login)| login).collect()
    }

    /// A refresh by the scheduler: like `refresh_now` without the per-user throttle.
    pub async fn refresh_scheduled(&self, login: &Login) -> Result<(), GitHubError> {
        self.refresh_into_cache(login).await.map(|_| ())
    }

    /// The stored snapshot, bypassing the cache (it may be newer than the cache: another replica
    /// stored it).
    pub async fn stored_snapshot(&self, login: &Login) -> Option<UserSnapshot> {
        match self.inner.store.load(login).await {
            Ok(snapshot) => snapshot,
            Err(error) => {
                tracing::warn!(%error, login = %login, "could not read stored snapshot");
                None
            }
        }
    }

    /// Another replica refreshed `login`: take its snapshot from the store into this cache and
    /// tell this replica's subscribers.
    pub async fn reload_from_store(&self, login: &Login) {
        if let Some(snapshot) = self.stored_snapshot(login).await {
            let snapshot = Arc::new(snapshot);
            let entry = Arc::new(CacheEntry { snapshot: snapshot.clone(), upstream_error: false, fetched_now: false });
            self.inner.cache.insert(login.key(), entry).await;
            let _ = self.inner.updates.send(snapshot);
        }
    }

    /// Snapshots as they arrive from GitHub (any refresh: miss, background or explicit).
    pub fn updates(&self) -> tokio::sync::broadcast::Receiver<Arc<UserSnapshot>> {
        self.inner.updates.subscribe()
    }

    /// Fetches from GitHub now, whatever the cache holds; at most once per user per
    /// `MANUAL_REFRESH_INTERVAL`.
    pub async fn refresh_now(&self, login: &Login) -> Result<Arc<UserSnapshot>, RefreshError> {
        let key = login.key();
        let now = std::time::Instant::now();
        let entry = self.inner.manual_refreshes.entry(key.clone()).or_insert(now).await;
        if !entry.is_fresh() {
            let elapsed = now.saturating_duration_since(*entry.value());
            let retry_after_secs = MANUAL_REFRESH_INTERVAL.saturating_sub(elapsed).as_secs().max(1);
            return Err(RefreshError::Throttled { login: login.as_str().to_owned(), retry_after_secs });
        }
        self.refresh_into_cache(login)
            .await
            .map_err(|error| RefreshError::GitHub { login: login.as_str().to_owned(), error })
    }

    /// The user's snapshot and how fresh it is; see the module doc for the policy.
    pub async fn get(&self, login: &Login) -> Result<StatsLookup, GitHubError> {
        let key = login.key();
        if self.inner.not_found.contains_key(&key) {
            return Err(GitHubError::NotFound);
        }
        self.inner.viewed.insert(key.clone(), login.as_str().to_owned());
        let entry =
            self.inner.cache.entry(key.clone()).or_try_insert_with(self.load(login)).await.map_err(|e| (*e).clone());
        let (loaded_now, entry) = match entry {
            Ok(entry) => (entry.is_fresh(), entry.into_value()),
            Err(GitHubError::NotFound) => {
                self.inner.not_found.insert(key, ()).await;
                return Err(GitHubError::NotFound);
            }
            Err(e) => return Err(e),
        };
        let freshness = if entry.upstream_error {
            Freshness::StaleIfError
        } else if age(&entry.snapshot) < self.inner.policy.soft || (loaded_now && entry.fetched_now) {
            // Data this very call just fetched from GitHub is as fresh as it gets, whatever the TTL.
            Freshness::Fresh
        } else {
            self.spawn_refresh(login);
            Freshness::Revalidating
        };
        Ok(StatsLookup { snapshot: entry.snapshot.clone(), freshness })
    }

    /// A cache miss: the stored snapshot if it is younger than the hard TTL, else GitHub, else
    /// (GitHub failing) the stored snapshot however old.
    async fn load(&self, login: &Login) -> Result<Arc<CacheEntry>, GitHubError> {
        let stored = match self.inner.store.load(login).await {
            Ok(stored) => stored.map(Arc::new),
            Err(error) => {
                tracing::error!(%error, login = %login, "could not read stored snapshot; asking GitHub");
                None
            }
        };
        if let Some(snapshot) = &stored
            && age(snapshot) < self.inner.policy.hard
        {
            return Ok(Arc::new(CacheEntry { snapshot: snapshot.clone(), upstream_error: false, fetched_now: false }));
        }
        match self.fetch_and_save(login).await {
            Ok(snapshot) => Ok(Arc::new(CacheEntry { snapshot, upstream_error: false, fetched_now: true })),
            Err(error) => match stored {
                Some(snapshot) if !matches!(error, GitHubError::NotFound) => {
                    tracing::warn!(%error, login = %login, "GitHub failed; serving the last stored snapshot");
                    Ok(Arc::new(CacheEntry { snapshot, upstream_error: true, fetched_now: false }))
                }
                _ => Err(error),
            },
        }
    }

    async fn fetch_and_save(&self, login: &Login) -> Result<Arc<UserSnapshot>, GitHubError> {
        let snapshot = self.inner.github.fetch_user(login).await?;
        if let Err(error) = self.inner.store.save(&snapshot).await {
            // The fresh data is still served; it just will not survive a restart.
            tracing::error!(%error, login = %login, "could not store snapshot");
        }
        let snapshot = Arc::new(snapshot);
        // Nobody listening is fine: the send only fails when there are no subscribers.
        let _ = self.inner.updates.send(snapshot.clone());
        Ok(snapshot)
    }

    /// Fetches and stores a user and puts the result in the cache; a user GitHub no longer knows
    /// leaves the cache and is remembered as not found. Every refresh path goes through here.
    async fn refresh_into_cache(&self, login: &Login) -> Result<Arc<UserSnapshot>, GitHubError> {
        let key = login.key();
        match self.fetch_and_save(login).await {
            Ok(snapshot) => {
                self.inner.not_found.invalidate(&key).await;
                let entry =
                    Arc::new(CacheEntry { snapshot: snapshot.clone(), upstream_error: false, fetched_now: true });
                self.inner.cache.insert(key, entry).await;
                Ok(snapshot)
            }
            Err(error) => {
                if matches!(error, GitHubError::NotFound) {
                    self.inner.cache.invalidate(&key).await;
                    self.inner.not_found.insert(key, ()).await;
                }
                Err(error)
            }
        }
    }

    fn spawn_refresh(&self, login: &Login) {
        let key = login.key();
        if self.inner.refresh_failed.contains_key(&key) {
            return;
        }
        let Some(guard) = RefreshGuard::claim(&self.inner, key) else {
            return;
        };
        let this = self.clone();
        let login = login.clone();
        tokio::spawn(async move {
            match this.refresh_into_cache(&login).await {
                Ok(_) | Err(GitHubError::NotFound) => {}
                Err(error) => {
                    tracing::warn!(%error, login = %login, "background refresh failed; serving stale stats");
                    this.inner.refresh_failed.insert(guard.key.clone(), ()).await;
                }
            }
            drop(guard);
        });
    }
}

/// Marks a user as being refreshed; the mark goes away when the refresh ends, even by panic.
struct RefreshGuard {
    inner: Arc<Inner>,
    key: String,
}

impl RefreshGuard {
    fn claim(inner: &Arc<Inner>, key: String) -> Option<Self> {
        let mut refreshing = inner.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        refreshing.insert(key.clone()).then(|| Self { inner: inner.clone(), key })
    }
}

impl Drop for RefreshGuard {
    fn drop(&mut self) {
        self.inner.refreshing.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.key);
    }
}

fn age(snapshot: &UserSnapshot) -> Duration {
    (Utc::now() - snapshot.fetched_at).to_std().unwrap_or(Duration::ZERO)
}
