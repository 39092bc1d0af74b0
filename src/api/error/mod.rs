//! Every way a request can fail, with one stable code and one HTTP status each, mapped once: to
//! a JSON response (`IntoResponse`), to an error image (`image_http::error_image`), and to a
//! GraphQL error (`ErrorExtensions`).
//!
//! A server error's cause never reaches the client; it travels in the response's extensions to
//! the edge middleware, which logs it once, with its whole source chain, inside the request's
//! span.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::banners::BannerError;
use crate::github::GitHubError;
use crate::images::ImageError;
use crate::render::OptionError;
use crate::stats::{RefreshError, StatsError};

mod text;

/// Seconds after which a visitor should ask again for a user GitHub is still fetching.
const STILL_FETCHING_RETRY_SECS: u64 = 5;

/// Any error as the cause of an internal error.
pub(crate) type Cause = Arc<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("missing query parameter `{name}`")]
    MissingParameter { name: &'static str },
    #[error("invalid `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error("GitHub user `{login}` not found")]
    UserNotFound { login: String },
    #[error("{what} was not found (or is private)")]
    NotFound { what: String },
    #[error("{service} did not answer for {what}")]
    Unavailable { service: &'static str, what: String },
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
    /// No usable token, and this client spent its share of the requests GitHub allows without one.
    #[error(
        "this client has used its share of the requests GitHub allows without a token; try again in {retry_after_secs}s"
    )]
    ShareSpent { retry_after_secs: u64 },
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
    /// No usable token, and the REST API without one cannot serve this now.
    #[error("{reason}")]
    NeedsToken { reason: String, retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[source] Cause),
}

/// The cause of a server error, for the logging middleware.
#[derive(Clone)]
struct ServerErrorCause {
    code: &'static str,
    chain: String,
}

impl AppError {
    /// An internal error caused by `error` (kept whole for the log).
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Arc::new(error))
    }

    /// An internal error described by `message` (where there is no error value).
    pub fn bug(message: &'static str) -> Self {
        AppError::Internal(Arc::new(std::io::Error::other(message)))
    }

    /// Stable, machine-readable; clients may match on it.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::MissingParameter { .. } | AppError::InvalidParameter { .. } => "BAD_USER_INPUT",
            AppError::UserNotFound { .. } | AppError::BannerNotFound { .. } | AppError::NotFound { .. } => "NOT_FOUND",
            AppError::Forbidden { .. } => "FORBIDDEN",
            AppError::Unauthenticated | AppError::BadSignature(_) => "UNAUTHENTICATED",
            AppError::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            AppError::Throttled { .. } => "THROTTLED",
            AppError::TooManyRequests { .. } | AppError::ShareSpent { .. } => "TOO_MANY_REQUESTS",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Busy { .. } => "BUSY",
            AppError::StillFetching { .. } => "UPSTREAM_SLOW",
            AppError::Upstream(_) | AppError::Unavailable { .. } => "UPSTREAM_UNAVAILABLE",
            AppError::NotConfigured | AppError::TokensRejected { .. } | AppError::NeedsToken { .. } => "NOT_CONFIGURED",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::MissingParameter { .. } | AppError::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
            AppError::UserNotFound { .. } | AppError::BannerNotFound { .. } | AppError::NotFound { .. } => {
                StatusCode::NOT_FOUND
            }
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::Unauthenticated | AppError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Throttled { .. } | AppError::TooManyRequests { .. } | AppError::ShareSpent { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::RateLimited { .. }
            | AppError::Busy { .. }
            | AppError::StillFetching { .. }
            | AppError::NotConfigured
            | AppError::TokensRejected { .. }
            | AppError::NeedsToken { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Upstream(_) | AppError::Unavailable { .. } => StatusCode::BAD_GATEWAY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds a client should wait before retrying, when we know.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_at } => Some((*retry_at - Utc::now()).num_seconds().max(1).unsigned_abs()),
            AppError::Upstream(_) => Some(60),
            AppError::StillFetching { .. } => Some(STILL_FETCHING_RETRY_SECS),
            AppError::Throttled { retry_after_secs, .. }
            | AppError::TooManyRequests { retry_after_secs }
            | AppError::ShareSpent { retry_after_secs }
            | AppError::Busy { retry_after_secs }
            | AppError::TokensRejected { retry_after_secs }
            | AppError::NeedsToken { retry_after_secs, .. } => Some(*retry_after_secs),
            AppError::NotConfigured => Some(300),
            _ => None,
        }
    }

    /// Leaves a server error's cause for the edge middleware to log.
    pub(super) fn attach_cause(&self, response: &mut Response) {
        if self.status().is_server_error() {
            response.extensions_mut().insert(ServerErrorCause { code: self.code(), chain: chain(self) });
        }
    }

    /// A GitHub failure while looking up `login`.
    pub fn from_github(error: GitHubError, login: &str) -> Self {
        match error {
            GitHubError::NotFound => AppError::UserNotFound { login: login.to_owned() },
            GitHubError::RateLimited { retry_at } => AppError::RateLimited { retry_at },
            GitHubError::NoTokens => AppError::NotConfigured,
            GitHubError::AnonymousLimit { retry_at } => AppError::NeedsToken {
                reason: format!(
                    "This server has no usable GitHub token, and the 60 requests an hour GitHub allows without \
                     one are used up until {}.",
                    retry_at.format("%H:%M UTC")
                ),
                retry_after_secs: (retry_at - Utc::now()).num_seconds().max(1).unsigned_abs(),
            },
            GitHubError::AnonymousShare { retry_after_secs } => AppError::ShareSpent { retry_after_secs },
            GitHubError::TooManyWithoutToken { repositories } => AppError::NeedsToken {
                reason: format!(
                    "{login} has {repositories} public repositories: too many to count without a GitHub token."
                ),
                retry_after_secs: 3600,
            },
            // Our own tokens are broken: the visitor can do nothing about it, the operator must
            // (the token pool logged it as theirs).
            GitHubError::AllTokensInvalid { recheck_at } => AppError::TokensRejected {
                retry_after_secs: (recheck_at - Utc::now()).num_seconds().max(1).unsigned_abs(),
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

/// `error: cause: cause's cause ...`
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `{"error": {"code", "message"}}` with the error's status and `Retry-After`.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code(), "message": self.public_message() } });
        let mut response = (self.status(), axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after()
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        self.attach_cause(&mut response);
        response
    }
}

/// `extensions.code` (and `retryAfter`) on every GraphQL error; server errors show no cause.
impl async_graphql::ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        if self.status().is_server_error() {
            tracing::error!(code = self.code(), cause = %chain(self), "GraphQL request failed");
        }
        async_graphql::Error::new(self.public_message()).extend_with(|_, e| {
            e.set("code", self.code());
            if let Some(seconds) = self.retry_after() {
                e.set("retryAfter", seconds);
            }
        })
    }
}

/// Logs the cause of a server error once (the edge middleware calls it inside the request's span).
pub(super) fn log_server_error(response: &Response) {
    if let Some(cause) = response.extensions().get::<ServerErrorCause>() {
        tracing::error!(code = cause.code, cause = %cause.chain, "request failed");
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

impl From<ImageError> for AppError {
    fn from(e: ImageError) -> Self {
        match e {
            ImageError::Invalid(e) => e.into(),
            ImageError::NotShown { login } => AppError::Forbidden { login },
            ImageError::Stats { login, error } => AppError::from_stats(error, &login),
            ImageError::Code { what, error: StatsError::GitHub(GitHubError::NotFound), .. } => {
                AppError::NotFound { what }
            }
            ImageError::Code { upstream: "GitHub", what, error } => AppError::from_stats(error, &what),
            ImageError::Code { upstream, what, error } => match error {
                StatsError::StillFetching { login } => AppError::StillFetching { login },
                _ => AppError::Unavailable { service: upstream, what },
            },
            ImageError::OverBudget { retry_after_secs } => AppError::TooManyRequests { retry_after_secs },
            ImageError::Busy => AppError::Busy { retry_after_secs: 1 },
            other @ (ImageError::NoSource | ImageError::Render(_)) => AppError::internal(other),
        }
    }
}

impl From<BannerError> for AppError {
    fn from(e: BannerError) -> Self {
        match e {
            BannerError::Invalid { name, reason } => AppError::InvalidParameter { name, reason },
            BannerError::NotFound(id) => AppError::BannerNotFound { id },
            BannerError::Stats { login, error } => AppError::from_stats(error, &login),
            BannerError::Image(error) => error.into(),
            BannerError::Store(error) => AppError::internal(error),
        }
    }
}

impl From<RefreshError> for AppError {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::Throttled { retry_after_secs, .. } => {
                AppError::Throttled { message: e.to_string(), retry_after_secs }
            }
            RefreshError::Failed { login, error } => AppError::from_stats(error, &login),
        }
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        AppError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant, with the status and code clients rely on.
    #[test]
    fn every_error_maps_to_its_status_and_code() {
        let cases: Vec<(AppError, u16, &str)> = vec![
            (AppError::MissingParameter { name: "username" }, 400, "BAD_USER_INPUT"),
            (AppError::InvalidParameter { name: "type", reason: "x".into() }, 400, "BAD_USER_INPUT"),
            (AppError::UserNotFound { login: "x".into() }, 404, "NOT_FOUND"),
            (AppError::BannerNotFound { id: "x".into() }, 404, "NOT_FOUND"),
            (AppError::Forbidden { login: "x".into() }, 403, "FORBIDDEN"),
            (AppError::Unauthenticated, 401, "UNAUTHENTICATED"),
            (AppError::BadSignature("x".into()), 401, "UNAUTHENTICATED"),
            (AppError::PayloadTooLarge { limit: 1 }, 413, "PAYLOAD_TOO_LARGE"),
            (AppError::Throttled { message: "x".into(), retry_after_secs: 5 }, 429, "THROTTLED"),
            (AppError::TooManyRequests { retry_after_secs: 1 }, 429, "TOO_MANY_REQUESTS"),
            (AppError::ShareSpent { retry_after_secs: 1 }, 429, "TOO_MANY_REQUESTS"),
            (AppError::RateLimited { retry_at: Utc::now() }, 503, "RATE_LIMITED"),
            (AppError::Busy { retry_after_secs: 1 }, 503, "BUSY"),
            (AppError::StillFetching { login: "x".into() }, 503, "UPSTREAM_SLOW"),
            (AppError::Upstream(GitHubError::Timeout), 502, "UPSTREAM_UNAVAILABLE"),
            (AppError::NotConfigured, 503, "NOT_CONFIGURED"),
            (AppError::TokensRejected { retry_after_secs: 1 }, 503, "NOT_CONFIGURED"),
            (AppError::bug("boom"), 500, "INTERNAL"),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status().as_u16(), error.code()), (status, code), "{error:?}");
        }
    }

    #[test]
    fn failures_below_map_to_the_right_variant() {
        let cases: Vec<(AppError, &str)> = vec![
            (AppError::from_github(GitHubError::NotFound, "x"), "NOT_FOUND"),
            (AppError::from_github(GitHubError::RateLimited { retry_at: Utc::now() }, "x"), "RATE_LIMITED"),
            (AppError::from_github(GitHubError::NoTokens, "x"), "NOT_CONFIGURED"),
            (AppError::from_github(GitHubError::AllTokensInvalid { recheck_at: Utc::now() }, "x"), "NOT_CONFIGURED"),
            (AppError::from_github(GitHubError::Upstream { status: 502 }, "x"), "UPSTREAM_UNAVAILABLE"),
            (AppError::from_github(GitHubError::Decode("x".into()), "x"), "UPSTREAM_UNAVAILABLE"),
            (AppError::from_stats(StatsError::Refused { login: "x".into() }, "x"), "FORBIDDEN"),
            (AppError::from_stats(StatsError::StillFetching { login: "x".into() }, "x"), "UPSTREAM_SLOW"),
            (AppError::from_github(GitHubError::AnonymousShare { retry_after_secs: 9 }, "x"), "TOO_MANY_REQUESTS"),
            (ImageError::NotShown { login: "x".into() }.into(), "FORBIDDEN"),
            (ImageError::Busy.into(), "BUSY"),
            (ImageError::OverBudget { retry_after_secs: 2 }.into(), "TOO_MANY_REQUESTS"),
            (ImageError::Render("x".into()).into(), "INTERNAL"),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error:?}");
        }
    }

    #[test]
    fn server_errors_keep_their_cause_for_the_log_and_never_show_it() {
        let error = AppError::internal(std::io::Error::other("db password=hunter2"));
        let (_, message, hint) = error.public_text();
        assert!(!message.contains("hunter2") && hint.is_none());
        assert!(chain(&error).contains("hunter2"), "{}", chain(&error));
        let response = error.into_response();
        assert!(response.extensions().get::<ServerErrorCause>().is_some_and(|c| c.chain.contains("hunter2")));
        let (_, message, _) = AppError::Upstream(GitHubError::Transport("10.0.0.1 refused".into())).public_text();
        assert!(!message.contains("10.0.0.1"));
    }
}
