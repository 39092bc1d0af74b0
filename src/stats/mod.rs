//! StatsService: the memory cache, then the store, then GitHub, under the soft/hard TTL policy.
//!
//! Invariants:
//! - a user's snapshot is fetched from GitHub by at most one task at a time: concurrent misses
//!   share one fetch (moka's `try_get_with`), background refreshes are de-duplicated per user;
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
            }),
        }
    }

    pub fn policy(&self) -> TtlPolicy {
        self.inner.policy
    }

    /// The user's snapshot and how fresh it is; see the module doc for the policy.
    pub async fn get(&self, login: &Login) -> Result<StatsLookup, GitHubError> {
        let key = login.key();
        if self.inner.not_found.contains_key(&key) {
            return Err(GitHubError::NotFound);
        }
        let entry = self.inner.cache.try_get_with(key.clone(), self.load(login)).await.map_err(|e| (*e).clone());
        let entry = match entry {
            Ok(entry) => entry,
            Err(GitHubError::NotFound) => {
                self.inner.not_found.insert(key, ()).await;
                return Err(GitHubError::NotFound);
            }
            Err(e) => return Err(e),
        };
        let freshness = if entry.upstream_error {
            Freshness::StaleIfError
        } else if age(&entry.snapshot) < self.inner.policy.soft {
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
            return Ok(Arc::new(CacheEntry { snapshot: snapshot.clone(), upstream_error: false }));
        }
        match self.fetch_and_save(login).await {
            Ok(snapshot) => Ok(Arc::new(CacheEntry { snapshot, upstream_error: false })),
            Err(error) => match stored {
                Some(snapshot) if !matches!(error, GitHubError::NotFound) => {
                    tracing::warn!(%error, login = %login, "GitHub failed; serving the last stored snapshot");
                    Ok(Arc::new(CacheEntry { snapshot, upstream_error: true }))
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
        Ok(Arc::new(snapshot))
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
            let key = guard.key.clone();
            match this.fetch_and_save(&login).await {
                Ok(snapshot) => {
                    let entry = Arc::new(CacheEntry { snapshot, upstream_error: false });
                    this.inner.cache.insert(key, entry).await;
                }
                Err(GitHubError::NotFound) => {
                    this.inner.cache.invalidate(&key).await;
                    this.inner.not_found.insert(key, ()).await;
                }
                Err(error) => {
                    tracing::warn!(%error, login = %login, "background refresh failed; serving stale stats");
                    this.inner.refresh_failed.insert(key, ()).await;
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
