//! GitHub GraphQL v4 client: typed queries, the token pool and rate-limit bookkeeping, pagination.

mod client;
mod error;
mod progress;
mod queries;
mod rest;
mod tokens;

pub use client::{GitHubClient, RetryPolicy};
pub use error::GitHubError;
pub use progress::{AnonymousShare, FetchProgress, PartialUser};
pub use rest::RestClient;
pub use tokens::{PoolLimits, TokenInfo, TokenStatus};

use crate::domain::{CodeCard, ContributionYear, GistId, Login, RepoRef, UserSnapshot};

/// Where user snapshots come from; the stats service depends on this, not on HTTP.
#[async_trait::async_trait]
pub trait GitHubApi: Send + Sync {
    /// Profile, contribution counters and every owned repository (all pages); what has arrived is
    /// in `progress` while the pages come in.
    async fn fetch_user(&self, login: &Login, progress: &FetchProgress) -> Result<UserSnapshot, GitHubError>;

    /// One public repository (a user's or an organisation's); private ones are `NotFound`.
    async fn fetch_repository(&self, repo: &RepoRef) -> Result<CodeCard, GitHubError>;

    /// Commit contributions of `login` in one UTC calendar year.
    async fn fetch_commits_in_year(&self, login: &Login, year: i32) -> Result<i64, GitHubError>;

    /// One calendar year of a user's contributions, its days counted at `offset_minutes` east of
    /// UTC (one query, whatever the year).
    async fn fetch_contribution_year(
        &self,
        login: &Login,
        year: i32,
        offset_minutes: i32,
    ) -> Result<ContributionYear, GitHubError>;

    /// One public gist by id.
    async fn fetch_gist(&self, id: &GistId) -> Result<CodeCard, GitHubError>;

    /// The token pool's public state, for operators.
    fn token_pool(&self) -> Vec<TokenInfo> {
        Vec::new()
    }

    /// False when no token is configured or GitHub rejects every one: users are then fetched
    /// from the REST API without a token, with fewer numbers.
    fn has_usable_token(&self) -> bool {
        true
    }

    /// Requests left without a token this hour (the REST fallback), when there is a fallback.
    fn anonymous_remaining(&self) -> Option<i64> {
        None
    }
}
