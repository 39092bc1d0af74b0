//! Failures of the GitHub client, classified once at its edge.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub has no user with this login")]
    NotFound,
    #[error("no GitHub token is configured; set GITHUB_TOKENS=token1,token2")]
    NoTokens,
    #[error("every configured GitHub token was rejected as bad credentials (next recheck at {recheck_at})")]
    AllTokensInvalid { recheck_at: DateTime<Utc> },
    #[error("every GitHub token is rate limited until {retry_at}")]
    RateLimited { retry_at: DateTime<Utc> },
    #[error("no usable GitHub token, and the requests GitHub allows without one are spent until {retry_at}")]
    AnonymousLimit { retry_at: DateTime<Utc> },
    /// The requests without a token are shared by every visitor; this one's share is spent.
    #[error("no usable GitHub token, and this client's share of the requests GitHub allows without one is spent")]
    AnonymousShare { retry_after_secs: u64 },
    #[error("no usable GitHub token, and {repositories} public repositories are too many to count without one")]
    TooManyWithoutToken { repositories: i64 },
    #[error("GitHub answered HTTP {status}")]
    Upstream { status: u16 },
    #[error("GitHub did not answer in time")]
    Timeout,
    #[error("could not reach GitHub: {0}")]
    Transport(String),
    #[error("GitHub's answer could not be understood: {0}")]
    Decode(String),
    #[error("GitHub reported an error: {0}")]
    GraphQl(String),
}

impl GitHubError {
    /// GitHub itself failed (rather than our token pool refusing before any request): asking
    /// again at once would cost another request for likely the same answer.
    pub(crate) fn reached_github(&self) -> bool {
        matches!(
            self,
            GitHubError::Upstream { .. }
                | GitHubError::Timeout
                | GitHubError::Transport(_)
                | GitHubError::Decode(_)
                | GitHubError::GraphQl(_)
        )
    }

    /// Worth another try (on any token) after a short wait.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, GitHubError::Timeout | GitHubError::Transport(_) | GitHubError::Upstream { status: 500..=599 })
    }
}
