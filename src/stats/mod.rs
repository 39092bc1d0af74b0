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
mod flights;
mod upstream;
mod wakatime;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use moka::future::Cache;

use crate::clock::Clock;
use crate::domain::{Login, LoginPolicy, PartialCount, SnapshotSource, UserSnapshot};
use crate::github::{AnonymousShare, FetchProgress, GitHubApi, GitHubError};
use crate::store::{Claims, SnapshotStore};
use expiry::EntryExpiry;
use flights::Flights;

pub use code::{CodeKey, CodeService};
pub use commits::{CommitsService, FIRST_YEAR};
pub use contributions::{CalendarLookup, ContributionsService, MAX_OFFSETS_PER_USER};
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

/// Why the stats of a user could not be had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StatsError {
    #[error("this instance does not show `{login}`")]
    Refused { login: String },
    #[error("GitHub has not answered for `{login}` yet; the fetch goes on")]
    StillFetching { login: String },
    #[error(transparent)]
    GitHub(#[from] GitHubError),
}

/// Why an explicit refresh did not happen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RefreshError {
    #[error("{login} was refreshed less than a minute ago; try again in {retry_after_secs}s")]
    Throttled { login: String, retry_after_secs: u64 },
    #[error("refreshing {login} failed: {error}")]
    Failed { login: String, error: StatsError },
}

#[derive(Debug, Clone, Copy)]
pub struct TtlPolicy {
    /// Younger data is served as is.
    pub soft: Duration,
    /// Younger data is served at once and refreshed in the background; older data needs GitHub.
    pub hard: Duration,
}

/// How long a request waits for GitHub before it is answered without it.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// A user with a stored snapshot: after this, the snapshot is served.
    pub known_user: Duration,
    /// A user we know nothing about: after this, an error card says to come back shortly.
    pub new_user: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Self { known_user: Duration::from_millis(300), new_user: Duration::from_secs(3) }
    }
}

/// Everything StatsService is configured with.
#[derive(Debug, Clone)]
pub struct StatsSettings {
    pub ttl: TtlPolicy,
    /// Users kept in memory.
    pub max_users: u64,
    pub waits: Waits,
    pub access: LoginPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Younger than the soft TTL.
    Fresh,
    /// Older than the soft TTL; a background refresh is under way (or recently failed).
    Revalidating,
    /// Older than the hard TTL, and GitHub failed or was too slow just now.
    StaleIfError,
    /// A user seen for the first time whose repositories were still arriving at the deadline:
    /// the pages fetched so far. Never cached; the fetch goes on.
    Partial(PartialCount),
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Fresh => "fresh",
            Freshness::Revalidating => "revalidating",
            Freshness::StaleIfError => "stale-if-error",
            Freshness::Partial(_) => "partial",
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
            .expire_after(EntryExpiry { hard_ttl: policy.hard, stale_retry: STALE_RETRY })
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

    /// Existing users viewed since the last call, with when (the scheduler keeps them fresh for
    /// `VIEWED_WINDOW` after their last view).
    pub fn take_views(&self) -> Vec<(String, DateTime<Utc>)> {
        let mut views = self.inner.views.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *views).into_values().collect()
    }

    fn record_view(&self, login: &Login) {
        let now = self.now();
        let mut views = self.inner.views.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, at)) = views.get_mut(login.as_key()) {
            *at = now;
        } else if (views.len() as u64) < self.inner.max_users {
            views.insert(login.key(), (login.as_str().to_owned(), now));
        }
    }

    /// A refresh by the scheduler: like `refresh_now` without the per-user throttle, and waiting
    /// for GitHub however long it takes.
    pub async fn refresh_scheduled(&self, login: &Login) -> Result<(), StatsError> {
        self.check_access(login)?;
        self.fetch(login, None).await.map(|_| ()).map_err(StatsError::from)
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
            self.inner.cache.insert(login.key(), self.entry(snapshot.clone(), false)).await;
            let _ = self.inner.updates.send(snapshot);
        }
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

    /// Fetches from GitHub now, whatever the cache holds; at most once per user per
    /// `MANUAL_REFRESH_INTERVAL`.
    pub async fn refresh_now(&self, login: &Login) -> Result<Arc<UserSnapshot>, RefreshError> {
        let failed = |error: StatsError| RefreshError::Failed { login: login.as_str().to_owned(), error };
        self.check_access(login).map_err(failed)?;
        if let Some(claims) = &self.inner.claims {
            match claims.claim_refresh(login.as_key(), self.now(), MANUAL_REFRESH_INTERVAL).await {
                Ok(Ok(())) => {}
                Ok(Err(left)) => {
                    return Err(RefreshError::Throttled {
                        login: login.as_str().to_owned(),
                        retry_after_secs: left.as_secs().max(1),
                    });
                }
                // The throttle protects GitHub's budget; without the database it errs on the
                // side of refreshing.
                Err(error) => tracing::warn!(%error, login = %login, "could not check the refresh throttle"),
            }
        }
        let result = self.fetch(login, None).await.map_err(|e| failed(e.into()));
        if result.is_err()
            && let Some(claims) = &self.inner.claims
        {
            // A failed refresh does not use up the minute: a retry (GitHub's webhook redelivery,
            // say) may try again at once.
            if let Err(error) = claims.release_refresh(login.as_key()).await {
                tracing::warn!(%error, login = %login, "could not release the refresh throttle");
            }
        }
        result
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

    /// Joins the fetch of `login` under way, or starts one in its own task.
    /// The visitor who starts a fetch pays for its token-less requests (`share`); one who joins
    /// a fetch under way pays nothing more.
    fn fetch(&self, login: &Login, share: Option<Arc<dyn AnonymousShare>>) -> flights::Flight {
        let this = self.clone();
        let owned = login.clone();
        self.inner.flights.join_or_start(login.key(), async move { this.refresh_into_cache(&owned, share).await })
    }

    async fn fetch_and_save(
        &self,
        login: &Login,
        share: Option<Arc<dyn AnonymousShare>>,
    ) -> Result<Arc<UserSnapshot>, GitHubError> {
        let progress = InProgress::new(&self.inner.progress, login.key(), share);
        let mut snapshot = self.inner.github.fetch_user(login, &progress.progress).await?;
        drop(progress);
        // The service's clock is the one TTLs are measured by; microseconds are what both
        // databases keep, so the time read back equals the time written (it versions renders).
        snapshot.fetched_at = self.now().trunc_subsecs(6);
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
    /// leaves the cache and is remembered as not found. Every fetch goes through here, in a flight.
    async fn refresh_into_cache(
        &self,
        login: &Login,
        share: Option<Arc<dyn AnonymousShare>>,
    ) -> Result<Arc<UserSnapshot>, GitHubError> {
        let key = login.key();
        match self.fetch_and_save(login, share).await {
            Ok(snapshot) => {
                self.inner.not_found.invalidate(&key).await;
                self.inner.refresh_failed.invalidate(&key).await;
                self.inner.cache.insert(key, self.entry(snapshot.clone(), false)).await;
                Ok(snapshot)
            }
            Err(GitHubError::NotFound) => {
                self.inner.cache.invalidate(&key).await;
                self.inner.not_found.insert(key, ()).await;
                Err(GitHubError::NotFound)
            }
            Err(error) => {
                if error.reached_github() {
                    self.inner.refresh_failed.insert(key, error.clone()).await;
                }
                Err(error)
            }
        }
    }

    /// Starts a background refresh unless one is under way or one failed within `STALE_RETRY`.
    fn spawn_refresh(&self, login: &Login) {
        if self.inner.refresh_failed.contains_key(&login.key()) {
            return;
        }
        // The flight runs in its own task; nobody needs to wait for it here.
        drop(self.fetch(login, None));
    }

    fn age(&self, snapshot: &UserSnapshot) -> Duration {
        self.since(snapshot.fetched_at)
    }

    fn since(&self, at: DateTime<Utc>) -> Duration {
        (self.now() - at).to_std().unwrap_or(Duration::ZERO)
    }
}

type ProgressList = std::sync::Mutex<std::collections::HashMap<String, FetchProgress>>;

/// Lists a fetch's progress for `so_far` while the fetch runs; unlisted when dropped, however the
/// fetch ends.
struct InProgress<'a> {
    progress: FetchProgress,
    list: &'a ProgressList,
    key: String,
}

impl<'a> InProgress<'a> {
    fn new(list: &'a ProgressList, key: String, share: Option<Arc<dyn AnonymousShare>>) -> Self {
        let progress = FetchProgress::paid_by(share);
        list.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), progress.clone());
        Self { progress, list, key }
    }
}

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.list.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.key);
    }
}
