//! Images over HTTP: status, ETag/304, content coding, caching and security headers, and error
//! images. Every image route answers through here.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{AppError, AppState};
use crate::cards::Subject;
use crate::domain::ImageFormat;
use crate::images::{CardRequest, ErrorText, Look, Rendered, negotiate};
use crate::stats::Freshness;

/// SVG can carry script; these make sure a browser opening the URL directly never runs any.
const CSP: HeaderValue = HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
static STATS_STATUS: HeaderName = HeaderName::from_static("x-stats-status");
static STATS_FETCHED_AT: HeaderName = HeaderName::from_static("x-stats-fetched-at");
static ERROR_CODE: HeaderName = HeaderName::from_static("x-error-code");
static STATS_PARTIAL: HeaderName = HeaderName::from_static("x-stats-partial");
static STATS_OFFSET: HeaderName = HeaderName::from_static("x-stats-utc-offset");

/// How long a card counting only the repository pages fetched so far may be kept: the proxy asks
/// again soon and gets the complete one.
const PARTIAL_MAX_AGE: u64 = 10;

/// How long caches may keep an image of data younger than `soft`, and serve it while they fetch
/// the next one.
pub(crate) struct CachePolicy {
    pub(crate) soft: Duration,
    pub(crate) hard: Duration,
    /// What the URL asked for (`cache_seconds`), already within the route's bounds; applies to
    /// fresh data only, and never changes how often we ask GitHub.
    pub(crate) requested_max_age: Option<u64>,
    /// The service's time, which data ages by.
    pub(crate) now: chrono::DateTime<chrono::Utc>,
}

impl CachePolicy {
    /// Image caches (GitHub's camo among them) keep a fresh card until its soft TTL runs out and
    /// may show it a while longer while they fetch the next one; sample cards for five minutes.
    fn header(&self, rendered: &Rendered) -> String {
        let age = rendered.fetched_at.map_or(0, |at| (self.now - at).num_seconds().max(0).unsigned_abs());
        let max_age = match rendered.freshness {
            None => 300,
            Some(Freshness::Fresh) => self.requested_max_age.unwrap_or_else(|| self.soft.as_secs().saturating_sub(age)),
            Some(Freshness::Revalidating) => 0,
            Some(Freshness::StaleIfError) => 60,
            // Not to be served while revalidating either: the complete card is seconds away.
            Some(Freshness::Partial(_)) => return format!("public, max-age={PARTIAL_MAX_AGE}"),
        };
        format!("public, max-age={max_age}, stale-while-revalidate={}", self.hard.as_secs())
    }
}

/// A card of a user was served from a URL: a view of that user.
pub(super) fn count_view(state: &AppState, request: &CardRequest) {
    if let Subject::User(login) = &request.subject {
        state.views.user(login);
    }
}

/// A 200 (or 304 when `If-None-Match` matches) for `rendered`, in the best coding the client
/// accepts.
pub(super) fn image_response(request: &HeaderMap, rendered: &Rendered, policy: &CachePolicy) -> Response {
    let image = &rendered.image;
    let mut response = if if_none_match(request, &image.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let (body, coding) = image.body(negotiate(request));
        let mut response = body.into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(image.format.content_type()));
        if let Some(coding) = coding.header_value() {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        response
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, image.etag.clone());
    insert(h, header::CACHE_CONTROL, &policy.header(rendered));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(freshness) = rendered.freshness {
        match rendered.counted_in {
            // The calendar is not counted in the reader's timezone (see `stats::contributions`).
            Some(minutes) => {
                insert(h, STATS_STATUS.clone(), &format!("{}, nearest-timezone", freshness.as_str()));
                insert(h, STATS_OFFSET.clone(), &crate::domain::utc_offset(minutes));
            }
            None => {
                h.insert(STATS_STATUS.clone(), HeaderValue::from_static(freshness.as_str()));
            }
        }
        if let Freshness::Partial(count) = freshness {
            insert(h, STATS_PARTIAL.clone(), &format!("{}/{}", count.counted, count.total));
        }
    }
    if let Some(at) = &image.fetched_at {
        h.insert(STATS_FETCHED_AT.clone(), at.clone());
    }
    security_headers(h);
    response
}

fn if_none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.as_bytes();
    headers.get_all(header::IF_NONE_MATCH).iter().flat_map(|v| v.as_bytes().split(|b| *b == b',')).any(|candidate| {
        let candidate = candidate.trim_ascii();
        candidate == b"*" || candidate.strip_prefix(b"W/").unwrap_or(candidate) == etag
    })
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    // Every value here is ours (digits, hex, RFC 3339), so this cannot fail in practice.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn security_headers(headers: &mut HeaderMap) {
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, CSP);
}

/// The error as an image in the requested look (the SVG card, or that card as PNG) with the
/// error's status. A PNG says only a fixed text per error (never what the visitor wrote), so a
/// stranger cannot have us rasterise text of their choosing. The cause of a server error is left
/// for the logging middleware (see `error.rs`).
pub(super) async fn error_image(state: &AppState, error: AppError, look: &Look) -> Response {
    if look.format == ImageFormat::Json {
        // Asked for data: the error as data, in the shape every JSON route uses.
        let mut response = error.into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        security_headers(response.headers_mut());
        return response;
    }
    let (title, message, hint) = if look.format == ImageFormat::Png { error.fixed_text() } else { error.public_text() };
    let text = ErrorText { title: title.to_owned(), message, hint };
    let image = state.images.error_card(look, &text).await;
    let mut response = (error.status(), image.bytes.clone()).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(image.format.content_type()));
    let cache = if error.status().is_client_error() && error.retry_after().is_none() {
        "public, max-age=300"
    } else {
        "no-store"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(ERROR_CODE.clone(), HeaderValue::from_static(error.code()));
    if let Some(seconds) = error.retry_after() {
        insert(h, header::RETRY_AFTER, &seconds.to_string());
    }
    security_headers(h);
    error.attach_cause(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let etag = HeaderValue::from_static("\"b\"");
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"a\", W/\"b\""));
        assert!(if_none_match(&h, &etag));
        assert!(!if_none_match(&h, &HeaderValue::from_static("\"c\"")));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(if_none_match(&h, &HeaderValue::from_static("\"c\"")));
    }
}
