//! `GET /banners/preview`: a banner for any GitHub user, straight from the query string.
//! Always answers with an image: the banner, or an error card that says what is wrong.

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::{AppError, AppState};
use crate::domain::{BannerType, Login, StatsOptions, compute};
use crate::render::{BannerContext, ErrorContext};
use crate::stats::{Freshness, StatsLookup};

const SVG: &str = "image/svg+xml; charset=utf-8";
/// SVG can carry script; these make sure a browser opening the URL directly never runs any.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
static STATS_STATUS: HeaderName = HeaderName::from_static("x-stats-status");
static STATS_FETCHED_AT: HeaderName = HeaderName::from_static("x-stats-fetched-at");

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/banners/preview", get(preview))
}

/// The validated query string.
struct PreviewParams {
    login: Login,
    kind: BannerType,
    options: StatsOptions,
}

impl PreviewParams {
    fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        // Unknown parameters are ignored so that github-readme-stats URLs keep working.
        let params: HashMap<String, String> =
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
        let username = params.get("username").ok_or(AppError::MissingParameter { name: "username" })?;
        let login = Login::parse(username.trim())
            .map_err(|e| AppError::InvalidParameter { name: "username", reason: e.to_string() })?;
        let kind = match params.get("type") {
            None => BannerType::Wide,
            Some(t) => t.parse().map_err(|reason| AppError::InvalidParameter { name: "type", reason })?,
        };
        let include_forks = match params.get("include_forks").map(String::as_str) {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => {
                return Err(AppError::InvalidParameter {
                    name: "include_forks",
                    reason: "must be true or false".to_owned(),
                });
            }
        };
        Ok(Self { login, kind, options: StatsOptions { include_forks } })
    }
}

async fn preview(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    match render_preview(&state, query.as_deref(), &headers).await {
        Ok(response) => response,
        Err(error) => error_card(&state, &error),
    }
}

async fn render_preview(state: &AppState, query: Option<&str>, headers: &HeaderMap) -> Result<Response, AppError> {
    let params = PreviewParams::parse(query)?;
    let lookup = state.stats.get(&params.login).await.map_err(|e| AppError::from_github(e, params.login.as_str()))?;
    let stats = compute(&lookup.snapshot, params.options);
    let top = match params.kind {
        BannerType::Wide => 6,
        BannerType::Compact => 0,
        BannerType::Languages => 8,
    };
    let context = BannerContext::new(&lookup.snapshot, stats, top, lookup.freshness != Freshness::Fresh);
    let svg = state.renderer.banner(params.kind, &context).map_err(|e| AppError::Internal(e.to_string()))?;
    let etag = etag(&svg);
    let cache_control = cache_control(&lookup, state.stats.policy().soft, state.stats.policy().hard);

    let mut response = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, SVG)], svg).into_response()
    };
    let h = response.headers_mut();
    insert(h, header::ETAG, &etag);
    insert(h, header::CACHE_CONTROL, &cache_control);
    insert(h, STATS_STATUS.clone(), lookup.freshness.as_str());
    insert(h, STATS_FETCHED_AT.clone(), &lookup.snapshot.fetched_at.to_rfc3339());
    security_headers(h);
    Ok(response)
}

/// Image caches (GitHub's camo among them) keep a fresh banner until its soft TTL runs out and may
/// show it a while longer while they fetch the next one.
fn cache_control(lookup: &StatsLookup, soft: Duration, hard: Duration) -> String {
    let age = (chrono::Utc::now() - lookup.snapshot.fetched_at).num_seconds().max(0) as u64;
    let max_age = match lookup.freshness {
        Freshness::Fresh => soft.as_secs().saturating_sub(age),
        Freshness::Revalidating => 0,
        Freshness::StaleIfError => 60,
    };
    format!("public, max-age={max_age}, stale-while-revalidate={}", hard.as_secs())
}

fn etag(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.trim_start_matches("W/") == etag
        },
    )
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    // Every value here is ours (digits, hex, RFC 3339), so this cannot fail in practice.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn security_headers(headers: &mut HeaderMap) {
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
}

/// The error as an SVG card with the error's status; 5xx causes are logged here, once.
pub(super) fn error_card(state: &AppState, error: &AppError) -> Response {
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(code = error.code(), %error, "request failed");
    } else {
        tracing::debug!(code = error.code(), %error, "bad request");
    }
    let (title, message, hint) = error.public_text();
    let svg = state.renderer.error(&ErrorContext::new(title, message, hint)).unwrap_or_else(|e| {
        tracing::error!(error = %e, "error template failed; sending the minimal card");
        MINIMAL_ERROR_CARD.to_owned()
    });
    let mut response = (status, [(header::CONTENT_TYPE, SVG)], svg).into_response();
    let h = response.headers_mut();
    let cache = if status.is_client_error() { "public, max-age=300" } else { "no-store" };
    insert(h, header::CACHE_CONTROL, cache);
    insert(h, HeaderName::from_static("x-error-code"), error.code());
    if let Some(seconds) = error.retry_after() {
        insert(h, header::RETRY_AFTER, &seconds.to_string());
    }
    security_headers(h);
    response
}

/// Used only if the theme's own error template is broken.
const MINIMAL_ERROR_CARD: &str =
    r#"<svg xmlns="http://www.w3.org/2000/svg" width="495" height="60"><text x="20" y="35">Error</text></svg>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"a\", W/\"b\""));
        assert!(if_none_match(&h, "\"b\""));
        assert!(!if_none_match(&h, "\"c\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(if_none_match(&h, "\"c\""));
    }
}
