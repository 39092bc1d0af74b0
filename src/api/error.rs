//! Every way a request can fail, with one stable code and one HTTP status each.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};

use crate::github::GitHubError;
use crate::render::{OptionError, RenderError};
use crate::stats::StatsError;

/// Seconds after which a visitor should ask again for a user GitHub is still fetching.
const STILL_FETCHING_RETRY_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("missing query parameter `{name}`")]
    MissingParameter { name: &'static str },
    #[error("invalid `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error("GitHub user `{login}` not found")]
    UserNotFound { login: String },
    #[error("no banner with id `{id}`")]
    BannerNotFound { id: String },
    #[error("this instance does not show `{login}`")]
    Forbidden { login: String },
    #[error("a valid API key is required (Authorization: Bearer <key>)")]
    Unauthenticated,
    #[error("bad request signature: {0}")]
    BadSignature(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{message}")]
    Throttled { message: String, retry_after_secs: u64 },
    #[error("too many requests from this client; try again in {retry_after_secs}s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("GitHub rate limit reached; try again after {retry_at}")]
    RateLimited { retry_at: DateTime<Utc> },
    #[error("the server is busy; try again in {retry_after_secs}s")]
    Busy { retry_after_secs: u64 },
    #[error("GitHub has not answered for `{login}` yet")]
    StillFetching { login: String },
    #[error("GitHub is unavailable: {0}")]
    Upstream(GitHubError),
    #[error("no GitHub token configured")]
    NotConfigured,
    #[error("every configured GitHub token was rejected by GitHub")]
    TokensRejected { retry_after_secs: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// Stable, machine-readable; clients may match on it.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::MissingParameter { .. } | AppError::InvalidParameter { .. } => "BAD_USER_INPUT",
            AppError::UserNotFound { .. } | AppError::BannerNotFound { .. } => "NOT_FOUND",
            AppError::Forbidden { .. } => "FORBIDDEN",
            AppError::Unauthenticated | AppError::BadSignature(_) => "UNAUTHENTICATED",
            AppError::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            AppError::Throttled { .. } => "THROTTLED",
            AppError::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Busy { .. } => "BUSY",
            AppError::StillFetching { .. } => "UPSTREAM_SLOW",
            AppError::Upstream(_) => "UPSTREAM_UNAVAILABLE",
            AppError::NotConfigured | AppError::TokensRejected { .. } => "NOT_CONFIGURED",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::MissingParameter { .. } | AppError::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
            AppError::UserNotFound { .. } | AppError::BannerNotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::Unauthenticated | AppError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Throttled { .. } | AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::RateLimited { .. }
            | AppError::Busy { .. }
            | AppError::StillFetching { .. }
            | AppError::NotConfigured
            | AppError::TokensRejected { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Upstream(_) => StatusCode::BAD_GATEWAY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds a client should wait before retrying, when we know.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_at } => Some((*retry_at - Utc::now()).num_seconds().max(1) as u64),
            AppError::Upstream(_) => Some(60),
            AppError::StillFetching { .. } => Some(STILL_FETCHING_RETRY_SECS),
            AppError::Throttled { retry_after_secs, .. }
            | AppError::TooManyRequests { retry_after_secs }
            | AppError::Busy { retry_after_secs }
            | AppError::TokensRejected { retry_after_secs } => Some(*retry_after_secs),
            AppError::NotConfigured => Some(300),
            _ => None,
        }
    }

    /// Title, message and hint for a visitor: never internals (5xx causes are logged instead).
    pub fn public_text(&self) -> (&'static str, String, Option<String>) {
        match self {
            AppError::MissingParameter { .. } | AppError::InvalidParameter { .. } => {
                ("Invalid request", self.to_string(), Some("Example: ?username=octocat&type=wide".to_owned()))
            }
            AppError::UserNotFound { .. } => ("User not found", self.to_string(), None),
            AppError::BannerNotFound { .. } => ("Banner not found", self.to_string(), None),
            AppError::Forbidden { .. } => ("Not shown here", self.to_string(), None),
            AppError::Unauthenticated | AppError::BadSignature(_) => ("Unauthenticated", self.to_string(), None),
            AppError::PayloadTooLarge { .. } => ("Request too large", self.to_string(), None),
            AppError::Throttled { .. } => ("Too many refreshes", self.to_string(), None),
            AppError::TooManyRequests { retry_after_secs } => (
                "Too many requests",
                "This client sent too many requests.".to_owned(),
                Some(format!("Try again in {retry_after_secs}s.")),
            ),
            AppError::Busy { retry_after_secs } => (
                "Busy",
                "The server is busy drawing images.".to_owned(),
                Some(format!("Try again in {retry_after_secs}s.")),
            ),
            AppError::StillFetching { login } => (
                "Almost there",
                format!("GitHub is slow to answer for {login}."),
                Some("This card will be ready in a few seconds; reload then.".to_owned()),
            ),
            AppError::RateLimited { retry_at } => (
                "Rate limited",
                "GitHub's rate limit is used up for now.".to_owned(),
                Some(format!("Try again after {}.", retry_at.format("%H:%M UTC"))),
            ),
            AppError::Upstream(_) => ("GitHub unavailable", "GitHub could not be reached just now.".to_owned(), None),
            AppError::NotConfigured => (
                "Not configured",
                "This server has no GitHub token configured.".to_owned(),
                Some("Its operator must set GITHUB_TOKENS=token1,token2 and restart.".to_owned()),
            ),
            AppError::TokensRejected { .. } => (
                "Server misconfigured",
                "GitHub rejected every token of this server; this is not your fault.".to_owned(),
                Some("Its operator must replace GITHUB_TOKENS.".to_owned()),
            ),
            AppError::Internal(_) => ("Server error", "Something went wrong on our side.".to_owned(), None),
        }
    }

    /// A GitHub failure while looking up `login`.
    pub fn from_github(error: GitHubError, login: &str) -> Self {
        match error {
            GitHubError::NotFound => AppError::UserNotFound { login: login.to_owned() },
            GitHubError::RateLimited { retry_at } => AppError::RateLimited { retry_at },
            GitHubError::NoTokens => AppError::NotConfigured,
            // Our own tokens are broken: the visitor can do nothing about it, the operator must
            // (the token pool logged it as theirs).
            GitHubError::AllTokensInvalid { recheck_at } => AppError::TokensRejected {
                retry_after_secs: u64::try_from((recheck_at - Utc::now()).num_seconds()).unwrap_or(0).max(1),
            },
            other => AppError::Upstream(other),
        }
    }

    /// A stats lookup that failed for `login`.
    pub fn from_stats(error: StatsError, login: &str) -> Self {
        match error {
            StatsError::Refused { login } => AppError::Forbidden { login },
            StatsError::StillFetching { login } => AppError::StillFetching { login },
            StatsError::GitHub(error) => AppError::from_github(error, login),
        }
    }
}

impl From<crate::banners::BannerError> for AppError {
    fn from(e: crate::banners::BannerError) -> Self {
        use crate::banners::BannerError;
        match e {
            BannerError::Invalid { name, reason } => AppError::InvalidParameter { name, reason },
            BannerError::NotFound(id) => AppError::BannerNotFound { id },
            BannerError::Stats { login, error } => AppError::from_stats(error, &login),
            BannerError::Busy => AppError::Busy { retry_after_secs: 1 },
            BannerError::Store(error) => AppError::Internal(error.to_string()),
            BannerError::Render(message) => AppError::Internal(message),
        }
    }
}

impl From<crate::stats::RefreshError> for AppError {
    fn from(e: crate::stats::RefreshError) -> Self {
        match e {
            crate::stats::RefreshError::Throttled { retry_after_secs, .. } => {
                AppError::Throttled { message: e.to_string(), retry_after_secs }
            }
            crate::stats::RefreshError::Failed { login, error } => AppError::from_stats(error, &login),
        }
    }
}

impl From<axum::extract::rejection::BytesRejection> for AppError {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge { limit: super::BODY_LIMIT }
        } else {
            AppError::InvalidParameter { name: "body", reason: "could not be read".to_owned() }
        }
    }
}

impl From<OptionError> for AppError {
    fn from(e: OptionError) -> Self {
        AppError::InvalidParameter { name: e.name, reason: e.reason }
    }
}

impl From<RenderError> for AppError {
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::UnknownTheme(theme) => {
                AppError::InvalidParameter { name: "theme", reason: format!("no theme named `{theme}` (see /themes)") }
            }
            RenderError::UnsupportedType { theme, kind } => {
                AppError::InvalidParameter { name: "type", reason: format!("theme `{theme}` has no `{kind}` banner") }
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_maps_to_its_status_and_code() {
        let cases: Vec<(AppError, u16, &str)> = vec![
            (AppError::MissingParameter { name: "username" }, 400, "BAD_USER_INPUT"),
            (AppError::InvalidParameter { name: "type", reason: "x".into() }, 400, "BAD_USER_INPUT"),
            (AppError::from_github(GitHubError::NotFound, "x"), 404, "NOT_FOUND"),
            (AppError::from_github(GitHubError::RateLimited { retry_at: Utc::now() }, "x"), 503, "RATE_LIMITED"),
            (AppError::from_github(GitHubError::NoTokens, "x"), 503, "NOT_CONFIGURED"),
            (
                AppError::from_github(GitHubError::AllTokensInvalid { recheck_at: Utc::now() }, "x"),
                503,
                "NOT_CONFIGURED",
            ),
            (AppError::from_stats(StatsError::Refused { login: "x".into() }, "x"), 403, "FORBIDDEN"),
            (AppError::from_stats(StatsError::StillFetching { login: "x".into() }, "x"), 503, "UPSTREAM_SLOW"),
            (AppError::PayloadTooLarge { limit: 1 }, 413, "PAYLOAD_TOO_LARGE"),
            (AppError::TooManyRequests { retry_after_secs: 1 }, 429, "TOO_MANY_REQUESTS"),
            (AppError::Busy { retry_after_secs: 1 }, 503, "BUSY"),
            (AppError::BadSignature("x".into()), 401, "UNAUTHENTICATED"),
            (AppError::from_github(GitHubError::Upstream { status: 502 }, "x"), 502, "UPSTREAM_UNAVAILABLE"),
            (AppError::from_github(GitHubError::Timeout, "x"), 502, "UPSTREAM_UNAVAILABLE"),
            (AppError::from_github(GitHubError::Decode("x".into()), "x"), 502, "UPSTREAM_UNAVAILABLE"),
            (AppError::Internal("boom".into()), 500, "INTERNAL"),
            (AppError::BannerNotFound { id: "x".into() }, 404, "NOT_FOUND"),
            (AppError::Unauthenticated, 401, "UNAUTHENTICATED"),
            (AppError::Throttled { message: "x".into(), retry_after_secs: 5 }, 429, "THROTTLED"),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status().as_u16(), error.code()), (status, code), "{error:?}");
        }
    }

    #[test]
    fn server_errors_do_not_leak_their_cause() {
        let (_, message, hint) = AppError::Internal("db password=hunter2".into()).public_text();
        assert!(!message.contains("hunter2") && hint.is_none());
        let (_, message, _) = AppError::Upstream(GitHubError::Transport("10.0.0.1 refused".into())).public_text();
        assert!(!message.contains("10.0.0.1"));
    }
}
