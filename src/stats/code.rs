//! Repositories and gists for their cards, with the treatment user stats get: an in-memory cache
//! by soft and hard TTL, one GitHub fetch per object at a time (joined by every caller), the last
//! good card served while GitHub fails, and bounded waits for visitors.
//!
//! Unlike user stats they are not stored in the database: a card is one small query to fetch
//! again after a restart.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use super::flights::Flights;
use super::{Freshness, NOT_FOUND_TTL, STALE_RETRY, StatsError, TtlPolicy, Waits};
use crate::clock::Clock;
use crate::domain::{CodeCard, GistId, RepoRef};
use crate::github::{GitHubApi, GitHubError};

/// What a card is about.
#[derive(Debug, Clone, Copy)]
pub enum CodeKey<'a> {
    Repository(&'a RepoRef),
    Gist(&'a GistId),
}

impl CodeKey<'_> {
    fn cache_key(self) -> String {
        match self {
            CodeKey::Repository(repo) => format!("repo:{}", repo.key()),
            CodeKey::Gist(id) => format!("gist:{}", id.as_str()),
        }
    }

    /// How errors name it.
    pub fn describe(self) -> String {
        match self {
            CodeKey::Repository(repo) => format!("repository {repo}"),
            CodeKey::Gist(id) => format!("gist {}", id.as_str()),
        }
    }
}

/// A card and how fresh it is.
#[derive(Debug, Clone)]
pub struct CodeLookup {
    pub card: Arc<CodeCard>,
    pub freshness: Freshness,
}

#[derive(Clone)]
pub struct CodeService {
    inner: Arc<Inner>,
}

struct Inner {
    github: Arc<dyn GitHubApi>,
    policy: TtlPolicy,
    waits: Waits,
    clock: Arc<dyn Clock>,
    /// Kept until the hard TTL; served stale while GitHub fails.
    cards: Cache<String, Arc<CodeCard>>,
    not_found: Cache<String, ()>,
    /// Objects whose last refresh failed: served stale without asking GitHub again until expiry.
    failed: Cache<String, GitHubError>,
    flights: Flights<CodeCard>,
}

impl CodeService {
    pub fn new(github: Arc<dyn GitHubApi>, policy: TtlPolicy, waits: Waits, max: u64, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                github,
                policy,
                waits,
                clock,
                cards: Cache::builder().max_capacity(max).time_to_live(policy.hard).build(),
                not_found: Cache::builder().max_capacity(max).time_to_live(NOT_FOUND_TTL).build(),
                failed: Cache::builder().max_capacity(max).time_to_live(STALE_RETRY).build(),
                flights: Flights::default(),
            }),
        }
    }

    /// The card for `key`: cached and fresh at once; cached and older than the soft TTL after at
    /// most `known_user` of waiting for a refresh (else the cached one, marked); unknown after at
    /// most `new_user` (else `StillFetching`; the fetch goes on and lands in the cache).
    pub async fn get(&self, key: CodeKey<'_>) -> Result<CodeLookup, StatsError> {
        let id = key.cache_key();
        if self.inner.not_found.contains_key(&id) {
            return Err(StatsError::GitHub(GitHubError::NotFound));
        }
        let cached = self.inner.cards.get(&id).await;
        if let Some(card) = &cached
            && self.age(card) < self.inner.policy.soft
        {
            return Ok(CodeLookup { card: card.clone(), freshness: Freshness::Fresh });
        }
        let wait = if cached.is_some() { self.inner.waits.known_user } else { self.inner.waits.new_user };
        let recently_failed = self.inner.failed.get(&id).await;
        let fetched = match (&cached, recently_failed) {
            // GitHub failed for this a moment ago: the cached card, without asking again.
            (Some(_), Some(_)) => None,
            (None, Some(error)) => return Err(StatsError::GitHub(error)),
            _ => Some(tokio::time::timeout(wait, self.fetch(key, id.clone())).await),
        };
        match (fetched, cached) {
            (Some(Ok(Ok(card))), _) => Ok(CodeLookup { card, freshness: Freshness::Fresh }),
            (Some(Ok(Err(GitHubError::NotFound))), _) => Err(StatsError::GitHub(GitHubError::NotFound)),
            (_, Some(card)) => {
                let freshness = if self.age(&card) < self.inner.policy.hard {
                    Freshness::Revalidating
                } else {
                    Freshness::StaleIfError
                };
                Ok(CodeLookup { card, freshness })
            }
            (Some(Ok(Err(error))), None) => Err(StatsError::GitHub(error)),
            (_, None) => Err(StatsError::StillFetching { login: key.describe() }),
        }
    }

    /// Whether a card (fresh or not) or a known miss is in memory: answering costs no GitHub call.
    pub async fn is_cached(&self, key: CodeKey<'_>) -> bool {
        let id = key.cache_key();
        self.inner.cards.contains_key(&id) || self.inner.not_found.contains_key(&id)
    }

    fn age(&self, card: &CodeCard) -> Duration {
        (self.inner.clock.now() - card.fetched_at).to_std().unwrap_or_default()
    }

    /// The fetch under way for `id`, or a new one; it stores its result whoever still waits.
    fn fetch(&self, key: CodeKey<'_>, id: String) -> super::flights::Flight<CodeCard> {
        let inner = self.inner.clone();
        let owned = match key {
            CodeKey::Repository(repo) => Owned::Repository(repo.clone()),
            CodeKey::Gist(gist) => Owned::Gist(gist.clone()),
        };
        let task_id = id.clone();
        self.inner.flights.join_or_start(id, async move {
            let fetched = match &owned {
                Owned::Repository(repo) => inner.github.fetch_repository(repo).await,
                Owned::Gist(gist) => inner.github.fetch_gist(gist).await,
            };
            match fetched {
                Ok(mut card) => {
                    // The version of a card and its headers use microseconds everywhere.
                    card.fetched_at = chrono::SubsecRound::trunc_subsecs(inner.clock.now(), 6);
                    let card = Arc::new(card);
                    inner.cards.insert(task_id.clone(), card.clone()).await;
                    inner.failed.invalidate(&task_id).await;
                    Ok(card)
                }
                Err(GitHubError::NotFound) => {
                    inner.cards.invalidate(&task_id).await;
                    inner.not_found.insert(task_id, ()).await;
                    Err(GitHubError::NotFound)
                }
                Err(error) => {
                    tracing::warn!(%error, what = %task_id, "GitHub failed for a repository or gist card");
                    inner.failed.insert(task_id, error.clone()).await;
                    Err(error)
                }
            }
        })
    }
}

enum Owned {
    Repository(RepoRef),
    Gist(GistId),
}
