//! StatsService: the memory cache, then the store, then GitHub, under the soft/hard TTL policy.
//!
//! Invariants:
//! - a user's snapshot is fetched from GitHub by at most one task at a time ([`flights`]): every
//!   caller that needs a fetch joins the one under way. The fetch runs in its own task, so a
//!   caller that stops waiting never cancels it: the result still lands in the store and cache;
//! - a user we have stored data for is never kept waiting on GitHub for longer than
//!   `Waits::known_user`: past that, the stored snapshot is served (`StaleIfError`) while the
//!   fetch goes on; only a user we know nothing about waits, and at most `Waits::new_user`;
//! - data older than the hard TTL is never served without asking GitHub first; when GitHub fails
//!   or is slow, the last stored snapshot is served however old, and GitHub is asked again after
//!   `STALE_RETRY`;
//! - logins the instance does not show (ALLOWED_USERS / BLOCKED_USERS) never reach GitHub.

mod code;
mod commits;
mod contributions;
mod expiry;
mod fetching;
mod flights;
mod lookup;
mod stored;
mod upstream;
mod wakatime;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use moka::future::Cache;

use crate::clock::Clock;
use crate::domain::{Login, LoginPolicy, PartialCount, SnapshotSource, UserSnapshot};
use crate::github::{AnonymousShare, GitHubApi, GitHubError};
use crate::store::{Claims, SnapshotStore};
use expiry::EntryExpiry;
use flights::Flights;

pub use code::{CodeKey, CodeService};
pub use commits::{CommitsService, FIRST_YEAR};
pub use contributions::{CalendarLookup, ContributionsService, MAX_OFFSETS_PER_USER};
use fetching::ProgressList;
pub use lookup::{Freshness, RefreshError, StatsError, StatsLookup, StatsSettings, TtlPolicy, Waits};
pub use upstream::Lookup;
pub use wakatime::WakaService;

/// How long a stale-if-error answer (or a failed background refresh) is kept before GitHub is
/// tried again: long enough not to hammer a GitHub outage, short enough to recover quickly.
const STALE_RETRY: Duration = Duration::from_secs(60);

/// How long "no such user" is remembered, so typos cannot spend our GitHub budget in a loop.
const NOT_FOUND_TTL: Duration = Duration::from_secs(300);

/// How long a viewed user is kept fresh by the scheduler without being viewed again.
pub const VIEWED_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// Least time between two explicit refreshes (`refresh_now`) of one user.
pub const MANUAL_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// Refresh notifications kept for slow subscribers; a lagging one skips to the newest.
const UPDATES_CAPACITY: usize = 256;

struct CacheEntry {
    snapshot: Arc<UserSnapshot>,
    /// Set when this is an old snapshot served because GitHub failed or was slow.
    upstream_error: bool,
    /// When it was cached (by the service's clock).
    cached_at: DateTime<Utc>,
}

/// A cache miss the store could not satisfy: what it had, if anything (older than the hard TTL).
#[derive(Debug)]
struct Miss(Option<Arc<UserSnapshot>>);

#[derive(Clone)]
pub struct StatsService {
    inner: Arc<Inner>,
}

struct Inner {
    github: Arc<dyn GitHubApi>,
    store: SnapshotStore,
    policy: TtlPolicy,
    waits: Waits,
    access: LoginPolicy,
    clock: Arc<dyn Clock>,
    cache: Cache<String, Arc<CacheEntry>>,
    not_found: Cache<String, ()>,
    /// Users whose last fetch failed at GitHub, with the error: not fetched again until the entry
    /// expires (a visitor with no stored data gets the error at once, not a new fetch).
    refresh_failed: Cache<String, GitHubError>,
    /// GitHub fetches under way, one per user.
    flights: Flights,
    /// What each fetch under way has so far (key: lowercase login).
    progress: ProgressList,
    /// Existing users viewed since the views were last taken (key: lowercase login; value: the
    /// spelling used and when). Bounded by `max_users`: past that, views wait for the next round.
    views: std::sync::Mutex<std::collections::HashMap<String, (String, DateTime<Utc>)>>,
    max_users: u64,
    /// When each user was last refreshed on request (`refresh_now`), shared by replicas.
    claims: Option<Claims>,
    /// Every snapshot fetched from GitHub, for subscribers (re-rendering, GraphQL subscriptions).
    updates: tokio::sync::broadcast::Sender<Arc<UserSnapshot>>,
}

impl StatsService {
    pub fn new(
        github: Arc<dyn GitHubApi>,
        store: SnapshotStore,
        settings: StatsSettings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let StatsSettings { ttl: policy, max_users, waits, access } = settings;
        let cache = Cache::builder()
            .max_capacity(max_users)
            .expire_after(EntryExpiry { hard_ttl: policy.hard, stale_retry: STALE_RETRY, clock: clock.clone() })
            .build();
        let not_found = Cache::builder().max_capacity(max_users).time_to_live(NOT_FOUND_TTL).build();
        let refresh_failed = Cache::builder().max_capacity(max_users).time_to_live(STALE_RETRY).build();
        Self {
            inner: Arc::new(Inner {
                github,
                store,
                policy,
                waits,
                access,
                clock,
                cache,
                not_found,
                refresh_failed,
                flights: Flights::default(),
                progress: std::sync::Mutex::default(),
                views: std::sync::Mutex::default(),
                max_users,
                claims: None,
                updates: tokio::sync::broadcast::channel(UPDATES_CAPACITY).0,
            }),
        }
    }

    /// Throttles explicit refreshes through the database, across replicas (without it, `refresh_now`
    /// is not throttled: the CLI and tests that build the service alone).
    pub fn with_claims(mut self, claims: Claims) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.claims = Some(claims);
        }
        self
    }

    pub fn policy(&self) -> TtlPolicy {
        self.inner.policy
    }

    /// The time the service goes by.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Whether this instance shows `login` at all (ALLOWED_USERS / BLOCKED_USERS).
    pub fn permits(&self, login: &Login) -> bool {
        self.inner.access.permits(login)
    }

    /// True when `login`'s stats are in memory: asking for them costs neither GitHub nor the store.
    pub fn is_cached(&self, login: &Login) -> bool {
        self.inner.cache.contains_key(login.as_key())
    }

    /// The snapshot in memory, however old, without counting a view or starting a refresh.
    pub async fn peek(&self, login: &Login) -> Option<Arc<UserSnapshot>> {
        self.inner.cache.get(login.as_key()).await.map(|entry| entry.snapshot.clone())
    }

    /// The GitHub token pool's public state.
    pub fn token_pool(&self) -> Vec<crate::github::TokenInfo> {
        self.inner.github.token_pool()
    }

    /// Requests GitHub still allows this hour without a token (the REST fallback), if any.
    pub fn anonymous_remaining(&self) -> Option<i64> {
        self.inner.github.anonymous_remaining()
    }

    /// Waits for the fetch of `login` under way, if any (tests step background refreshes with it).
    pub async fn settled(&self, login: &Login) {
        if let Some(flight) = self.inner.flights.running(&login.key()) {
            let _ = flight.await;
        }
    }

    /// Snapshots as they arrive from GitHub (any refresh: miss, background or explicit).
    pub fn updates(&self) -> tokio::sync::broadcast::Receiver<Arc<UserSnapshot>> {
        self.inner.updates.subscribe()
    }

    /// The user's snapshot when it is in memory and may be served (the hot path: one cache
    /// lookup); None when `get` has to look further (or refuse).
    pub async fn get_cached(&self, login: &Login) -> Option<StatsLookup> {
        if !self.inner.access.permits(login) {
            return None;
        }
        let entry = self.inner.cache.get(login.as_key()).await?;
        if self.expired(&entry) {
            return None;
        }
        let lookup = self.serve(login, &entry);
        self.record_view(login);
        Some(lookup)
    }

    /// The user's snapshot and how fresh it is; see the module doc for the policy.
    pub async fn get(&self, login: &Login) -> Result<StatsLookup, StatsError> {
        self.lookup(login, false, None).await
    }

    /// [`get`](Self::get) for a visitor: requests without a token come out of `share`.
    pub async fn get_paid(
        &self,
        login: &Login,
        share: Option<Arc<dyn AnonymousShare>>,
    ) -> Result<StatsLookup, StatsError> {
        self.lookup(login, false, share).await
    }

    /// Like [`get`](Self::get), except that a user seen for the first time whose repository pages
    /// are still arriving at the deadline is answered from the pages so far
    /// ([`Freshness::Partial`]) rather than with `StillFetching`: images must be answered before
    /// GitHub's image proxy gives up.
    pub async fn get_or_partial(
        &self,
        login: &Login,
        share: Option<Arc<dyn AnonymousShare>>,
    ) -> Result<StatsLookup, StatsError> {
        self.lookup(login, true, share).await
    }

    async fn lookup(
        &self,
        login: &Login,
        partial: bool,
        share: Option<Arc<dyn AnonymousShare>>,
    ) -> Result<StatsLookup, StatsError> {
        self.check_access(login)?;
        let key = login.as_key();
        if self.inner.not_found.contains_key(key) {
            return Err(GitHubError::NotFound.into());
        }
        let lookup = match self.inner.cache.get(key).await {
            Some(entry) if !self.expired(&entry) => self.serve(login, &entry),
            Some(_) => {
                self.inner.cache.invalidate(key).await;
                self.load(login, partial, share).await?
            }
            None => self.load(login, partial, share).await?,
        };
        self.record_view(login);
        Ok(lookup)
    }

    fn check_access(&self, login: &Login) -> Result<(), StatsError> {
        if self.inner.access.permits(login) {
            Ok(())
        } else {
            Err(StatsError::Refused { login: login.as_str().to_owned() })
        }
    }

    fn entry(&self, snapshot: Arc<UserSnapshot>, upstream_error: bool) -> Arc<CacheEntry> {
        Arc::new(CacheEntry { snapshot, upstream_error, cached_at: self.now() })
    }

    /// Past its lifetime by the service's clock (the cache evicts by the wall clock, which tests
    /// do not move).
    fn expired(&self, entry: &CacheEntry) -> bool {
        if entry.upstream_error {
            self.since(entry.cached_at) >= STALE_RETRY
        } else {
            self.age(&entry.snapshot) >= self.inner.policy.hard
        }
    }

    /// A cached entry as an answer; past the soft TTL it starts a background refresh.
    fn serve(&self, login: &Login, entry: &CacheEntry) -> StatsLookup {
        // A snapshot fetched without a token is replaced as soon as a token works.
        let upgradable = entry.snapshot.source == SnapshotSource::Rest && self.inner.github.has_usable_token();
        let freshness = if entry.upstream_error {
            Freshness::StaleIfError
        } else if self.age(&entry.snapshot) < self.inner.policy.soft && !upgradable {
            Freshness::Fresh
        } else {
            self.spawn_refresh(login);
            Freshness::Revalidating
        };
        StatsLookup { snapshot: entry.snapshot.clone(), freshness }
    }

    /// A cache miss: the stored snapshot if it is younger than the hard TTL, else GitHub within the
    /// wait for this kind of user, else (GitHub failing or slow) the stored snapshot however old.
    async fn load(
        &self,
        login: &Login,
        partial: bool,
        share: Option<Arc<dyn AnonymousShare>>,
    ) -> Result<StatsLookup, StatsError> {
        let key = login.key();
        // Concurrent misses share one store read.
        let read = self.inner.cache.entry(key.clone()).or_try_insert_with(self.read_store(login)).await;
        let stored = match read {
            Ok(entry) => return Ok(self.serve(login, entry.value())),
            Err(miss) => miss.0.clone(),
        };
        if stored.is_none()
            && let Some(error) = self.inner.refresh_failed.get(&key).await
        {
            return Err(error.into());
        }
        let wait = if stored.is_some() { self.inner.waits.known_user } else { self.inner.waits.new_user };
        let outcome = tokio::time::timeout(wait, self.fetch(login, share)).await;
        match (outcome, stored) {
            (Ok(Ok(snapshot)), _) => Ok(StatsLookup { snapshot, freshness: Freshness::Fresh }),
            (Ok(Err(GitHubError::NotFound)), _) => Err(GitHubError::NotFound.into()),
            (Ok(Err(error)), Some(snapshot)) => {
                tracing::warn!(%error, login = %login, "GitHub failed; serving the last stored snapshot");
                Ok(self.serve_stale(key, snapshot).await)
            }
            (Err(_), Some(snapshot)) => {
                tracing::info!(login = %login, ?wait, "GitHub is slow; serving the stored snapshot meanwhile");
                Ok(self.serve_stale(key, snapshot).await)
            }
            (Ok(Err(error)), None) => Err(error.into()),
            (Err(_), None) => match self.so_far(&key).filter(|_| partial) {
                Some(lookup) => Ok(lookup),
                None => Err(StatsError::StillFetching { login: login.as_str().to_owned() }),
            },
        }
    }

    /// The user as far as the fetch under way has got, when some repository pages are still due.
    fn so_far(&self, key: &str) -> Option<StatsLookup> {
        let progress = self.inner.progress.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()?;
        let partial = progress.so_far()?;
        let mut snapshot = partial.snapshot;
        // By the service's clock, like every snapshot it serves (`X-Stats-Fetched-At`).
        snapshot.fetched_at = self.now().trunc_subsecs(6);
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let counted =
            PartialCount { counted: count(snapshot.repositories.len()), total: count(partial.total_repositories) };
        Some(StatsLookup { snapshot: Arc::new(snapshot), freshness: Freshness::Partial(counted) })
    }

    async fn read_store(&self, login: &Login) -> Result<Arc<CacheEntry>, Miss> {
        let stored = match self.inner.store.load(login).await {
            Ok(stored) => stored.map(Arc::new),
            Err(error) => {
                tracing::error!(%error, login = %login, "could not read stored snapshot; asking GitHub");
                None
            }
        };
        match stored {
            Some(snapshot) if self.age(&snapshot) < self.inner.policy.hard => Ok(self.entry(snapshot, false)),
            other => Err(Miss(other)),
        }
    }

    /// Caches an old snapshot for `STALE_RETRY`, unless a fetch that finished meanwhile already
    /// cached a fresh one.
    async fn serve_stale(&self, key: String, snapshot: Arc<UserSnapshot>) -> StatsLookup {
        self.inner.cache.entry(key).or_insert(self.entry(snapshot.clone(), true)).await;
        StatsLookup { snapshot, freshness: Freshness::StaleIfError }
    }

    fn age(&self, snapshot: &UserSnapshot) -> Duration {
        self.since(snapshot.fetched_at)
    }

    fn since(&self, at: DateTime<Utc>) -> Duration {
        (self.now() - at).to_std().unwrap_or(Duration::ZERO)
    }
}
