//! What repository, gist and WakaTime cards share with user stats: an in-memory cache by soft and
//! hard TTL, one fetch per object at a time (joined by every caller, finished even when they stop
//! waiting), the last good value served while the upstream fails, and bounded waits for visitors.
//!
//! Unlike user stats these are not stored in the database: each is one small request to fetch
//! again after a restart.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use moka::future::Cache;

use super::flights::Flights;
use super::{Freshness, NOT_FOUND_TTL, STALE_RETRY, StatsError, TtlPolicy, Waits};
use crate::clock::Clock;
use crate::github::GitHubError;

/// A value that knows when it was fetched.
pub(crate) trait Dated: Send + Sync + 'static {
    fn fetched_at(&self) -> DateTime<Utc>;
    fn set_fetched_at(&mut self, at: DateTime<Utc>);
}

/// A value and how fresh it is.
#[derive(Debug, Clone)]
pub struct Lookup<T> {
    pub value: Arc<T>,
    pub freshness: Freshness,
}

pub(crate) struct UpstreamCache<T> {
    policy: TtlPolicy,
    waits: Waits,
    clock: Arc<dyn Clock>,
    /// Kept until the hard TTL; served while the upstream fails.
    values: Cache<String, Arc<T>>,
    not_found: Cache<String, ()>,
    /// Objects whose last refresh failed: served as they are, without asking again, until expiry.
    failed: Cache<String, GitHubError>,
    flights: Flights<T>,
}

impl<T: Dated> UpstreamCache<T> {
    pub(crate) fn new(policy: TtlPolicy, waits: Waits, max: u64, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self {
            policy,
            waits,
            clock,
            values: Cache::builder().max_capacity(max).time_to_live(policy.hard).build(),
            not_found: Cache::builder().max_capacity(max).time_to_live(NOT_FOUND_TTL).build(),
            failed: Cache::builder().max_capacity(max).time_to_live(STALE_RETRY).build(),
            flights: Flights::default(),
        })
    }

    /// Whether a value (fresh or not) or a known miss is in memory: answering costs no request.
    pub(crate) fn is_cached(&self, id: &str) -> bool {
        self.values.contains_key(id) || self.not_found.contains_key(id)
    }

    /// The value in memory for `id` when it is younger than the soft TTL (nothing to refresh).
    pub(crate) async fn fresh(&self, id: &str) -> Option<Arc<T>> {
        self.values.get(id).await.filter(|value| self.age(value) < self.policy.soft)
    }

    /// The value in memory for `id`, however old, without asking anyone.
    pub(crate) async fn peek(&self, id: &str) -> Option<Arc<T>> {
        self.values.get(id).await
    }

    /// The value for `id`: cached and fresh at once; cached and older than the soft TTL after at
    /// most `known_user` of waiting for a refresh (else the cached one, marked); unknown after at
    /// most `new_user` (else `StillFetching` named `describe`; the fetch goes on and lands here).
    pub(crate) async fn get<F>(self: &Arc<Self>, id: &str, describe: &str, fetch: F) -> Result<Lookup<T>, StatsError>
    where
        F: Future<Output = Result<T, GitHubError>> + Send + 'static,
    {
        if self.not_found.contains_key(id) {
            return Err(StatsError::GitHub(GitHubError::NotFound));
        }
        let cached = self.values.get(id).await;
        if let Some(value) = &cached
            && self.age(value) < self.policy.soft
        {
            return Ok(Lookup { value: value.clone(), freshness: Freshness::Fresh });
        }
        let wait = if cached.is_some() { self.waits.known_user } else { self.waits.new_user };
        let fetched = match (&cached, self.failed.get(id).await) {
            // The upstream failed for this a moment ago: the cached value, without asking again.
            (Some(_), Some(_)) => None,
            (None, Some(error)) => return Err(StatsError::GitHub(error)),
            _ => Some(tokio::time::timeout(wait, self.fetch(id, fetch)).await),
        };
        match (fetched, cached) {
            (Some(Ok(Ok(value))), _) => Ok(Lookup { value, freshness: Freshness::Fresh }),
            (Some(Ok(Err(GitHubError::NotFound))), _) => Err(StatsError::GitHub(GitHubError::NotFound)),
            (_, Some(value)) => {
                let freshness =
                    if self.age(&value) < self.policy.hard { Freshness::Revalidating } else { Freshness::StaleIfError };
                Ok(Lookup { value, freshness })
            }
            (Some(Ok(Err(error))), None) => Err(StatsError::GitHub(error)),
            (_, None) => Err(StatsError::StillFetching { login: describe.to_owned() }),
        }
    }

    fn age(&self, value: &T) -> Duration {
        (self.clock.now() - value.fetched_at()).to_std().unwrap_or_default()
    }

    /// The fetch under way for `id`, or `fetch` started; it stores its result whoever still waits.
    fn fetch<F>(self: &Arc<Self>, id: &str, fetch: F) -> super::flights::Flight<T>
    where
        F: Future<Output = Result<T, GitHubError>> + Send + 'static,
    {
        let this = self.clone();
        let key = id.to_owned();
        self.flights.join_or_start(id.to_owned(), async move {
            match fetch.await {
                Ok(mut value) => {
                    // Versions and headers use microseconds everywhere.
                    value.set_fetched_at(this.clock.now().trunc_subsecs(6));
                    let value = Arc::new(value);
                    this.values.insert(key.clone(), value.clone()).await;
                    this.failed.invalidate(&key).await;
                    Ok(value)
                }
                Err(GitHubError::NotFound) => {
                    this.values.invalidate(&key).await;
                    this.not_found.insert(key, ()).await;
                    Err(GitHubError::NotFound)
                }
                Err(error) => {
                    tracing::warn!(%error, what = %key, "an upstream failed for a card");
                    this.failed.insert(key, error.clone()).await;
                    Err(error)
                }
            }
        })
    }
}
