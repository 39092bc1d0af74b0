//! What a stats lookup answers and how fresh it is, the policy it follows, and why it fails.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::{LoginPolicy, PartialCount, UserSnapshot};
use crate::github::GitHubError;

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
