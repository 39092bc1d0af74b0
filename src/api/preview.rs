//! `GET /banners/preview`: a banner for any GitHub user, straight from the query string.
//! Always answers with an image: the banner, or an error card that says what is wrong.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::clients::Client;
use super::{AppError, AppState};
use crate::banners::etag;
use crate::domain::{BannerType, Login, StatsOptions, compute};
use crate::render::{BannerData, BannerOptions, RasterError};
use crate::stats::{Freshness, StatsLookup};

const SVG: &str = "image/svg+xml; charset=utf-8";
/// SVG can carry script; these make sure a browser opening the URL directly never runs any.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
static STATS_STATUS: HeaderName = HeaderName::from_static("x-stats-status");
static STATS_FETCHED_AT: HeaderName = HeaderName::from_static("x-stats-fetched-at");

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/banners/preview", get(preview)).route("/banners/preview.png", get(preview_png))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ImageFormat {
    Svg,
    Png,
}

impl ImageFormat {
    fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Svg => SVG,
            ImageFormat::Png => "image/png",
        }
    }
}

/// The validated query string.
struct PreviewParams {
    login: Login,
    kind: BannerType,
    options: BannerOptions,
    format: ImageFormat,
}

/// Query pairs; a repeated parameter keeps its last value. Unknown ones are ignored so that
/// github-readme-stats URLs keep working.
pub(super) fn query_pairs(raw: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect()
}

/// `format=svg|png`; `forced` when the path already says (`/banners/preview.png`).
pub(super) fn image_format(
    params: &HashMap<String, String>,
    forced: Option<ImageFormat>,
) -> Result<ImageFormat, AppError> {
    if let Some(format) = forced {
        return Ok(format);
    }
    match params.get("format").map(|f| f.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("svg") => Ok(ImageFormat::Svg),
        Some("png") => Ok(ImageFormat::Png),
        Some(_) => Err(AppError::InvalidParameter { name: "format", reason: "must be svg or png".to_owned() }),
    }
}

impl PreviewParams {
    fn parse(params: &HashMap<String, String>, format: ImageFormat) -> Result<Self, AppError> {
        let username = params.get("username").ok_or(AppError::MissingParameter { name: "username" })?;
        let login = Login::parse(username.trim())
            .map_err(|e| AppError::InvalidParameter { name: "username", reason: e.to_string() })?;
        let kind = match params.get("type").map(|t| t.trim()).filter(|t| !t.is_empty()) {
            None => BannerType::Wide,
            Some(t) => t.parse().map_err(|reason| AppError::InvalidParameter { name: "type", reason })?,
        };
        let options = BannerOptions::from_params(params)?;
        Ok(Self { login, kind, options, format })
    }
}

async fn preview(
    state: State<AppState>,
    client: Option<Extension<Client>>,
    query: RawQuery,
    headers: HeaderMap,
) -> Response {
    respond(state, client, query, headers, None).await
}

async fn preview_png(
    state: State<AppState>,
    client: Option<Extension<Client>>,
    query: RawQuery,
    headers: HeaderMap,
) -> Response {
    respond(state, client, query, headers, Some(ImageFormat::Png)).await
}

async fn respond(
    State(state): State<AppState>,
    client: Option<Extension<Client>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    forced: Option<ImageFormat>,
) -> Response {
    let params = query_pairs(query.as_deref());
    // The error card follows the banner's theme and format whenever those parts were valid.
    let theme = params.get("theme").map(|t| t.trim().to_ascii_lowercase()).unwrap_or_default();
    let format = image_format(&params, forced).unwrap_or(ImageFormat::Svg);
    let client = client.map_or_else(Client::local, |Extension(client)| client);
    match render_preview(&state, &client, &params, forced, &headers).await {
        Ok(response) => response,
        Err(error) => error_image(&state, &error, &theme, format).await,
    }
}

async fn render_preview(
    state: &AppState,
    client: &Client,
    params: &HashMap<String, String>,
    forced: Option<ImageFormat>,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let format = image_format(params, forced)?;
    let params = PreviewParams::parse(params, format)?;
    let mut options = params.options;
    // resvg does not animate; a PNG wants the final frame, without the CSS it would skip.
    options.disable_animations |= params.format == ImageFormat::Png;
    check_theme(state, &options.theme, params.kind)?;
    check_costly_user(state, client, &params.login)?;
    let (svg, lookup) = render_svg(state, &params.login, params.kind, &options).await?;
    let body = encode(state, svg, params.format, Some(client)).await?;
    let cache_control = cache_control(&lookup, state.stats.policy().soft, state.stats.policy().hard);
    let mut response = image_response(headers, body, params.format, &cache_control);
    let h = response.headers_mut();
    insert(h, STATS_STATUS.clone(), lookup.freshness.as_str());
    insert(h, STATS_FETCHED_AT.clone(), &lookup.snapshot.fetched_at.to_rfc3339());
    Ok(response)
}

/// A user's banner as SVG, with the stats lookup it was made from; shared by the REST preview and
/// the GraphQL `preview` query.
pub async fn render_svg(
    state: &AppState,
    login: &Login,
    kind: BannerType,
    options: &BannerOptions,
) -> Result<(String, StatsLookup), AppError> {
    check_theme(state, &options.theme, kind)?;
    let lookup = state.stats.get(login).await.map_err(|e| AppError::from_stats(e, login.as_str()))?;
    let stats = compute(&lookup.snapshot, StatsOptions { include_forks: options.include_forks });
    let data = BannerData::new(&lookup.snapshot, stats, lookup.freshness != Freshness::Fresh);
    let svg = state.renderer.banner(kind, &data, options)?;
    Ok((svg, lookup))
}

/// Checked before any GitHub call, so a typo in a URL costs no rate-limit budget.
pub(super) fn check_theme(state: &AppState, theme: &str, kind: BannerType) -> Result<(), AppError> {
    let themes = state.renderer.themes();
    let pack = themes.get(theme).ok_or_else(|| AppError::InvalidParameter {
        name: "theme",
        reason: format!("no theme named `{theme}` (see /themes)"),
    })?;
    if !pack.provides(kind) {
        return Err(AppError::InvalidParameter {
            name: "type",
            reason: format!("theme `{theme}` has no `{}` banner", kind.as_str()),
        });
    }
    Ok(())
}

/// A user not in memory may cost GitHub points: it spends from the client's costly budget, and a
/// login this instance does not show is refused before that.
pub(super) fn check_costly_user(state: &AppState, client: &Client, login: &Login) -> Result<(), AppError> {
    if !state.stats.permits(login) {
        return Err(AppError::Forbidden { login: login.as_str().to_owned() });
    }
    if state.stats.is_cached(login) { Ok(()) } else { state.clients.check_costly(client) }
}

/// SVG as is; PNG rasterised in the bounded raster pool.
/// Rasterising costs ~80 SVG renders, so PNGs are cached by the SVG they come from (the same
/// banner asked for again is a hash and a copy), identical concurrent requests share one
/// rasterisation, and a PNG drawn afresh spends from the client's costly budget (`client`; None
/// for error cards, which are small and the same for everyone).
pub(super) async fn encode(
    state: &AppState,
    svg: String,
    format: ImageFormat,
    client: Option<&Client>,
) -> Result<Vec<u8>, AppError> {
    match format {
        ImageFormat::Svg => Ok(svg.into_bytes()),
        ImageFormat::Png => {
            let key = etag(svg.as_bytes());
            if let Some(client) = client
                && !state.png_cache.contains_key(&key)
            {
                state.clients.check_costly(client)?;
            }
            let raster = state.raster.clone();
            let png = state
                .png_cache
                .try_get_with(key, async move { raster.rasterize(svg, PNG_SCALE).await.map(Arc::new) })
                .await
                .map_err(|e| raster_error(&e))?;
            Ok(png.as_ref().clone())
        }
    }
}

pub(super) fn raster_error(error: &RasterError) -> AppError {
    match error {
        RasterError::Busy => AppError::Busy { retry_after_secs: 1 },
        other => AppError::Internal(other.to_string()),
    }
}

/// PNGs are drawn at twice the SVG size so they stay crisp on high-density screens.
const PNG_SCALE: f32 = 2.0;

/// A 200 (or 304) image response with ETag, caching and security headers.
pub(super) fn image_response(headers: &HeaderMap, body: Vec<u8>, format: ImageFormat, cache_control: &str) -> Response {
    let etag = etag(&body);
    let mut response = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, format.content_type())], body).into_response()
    };
    let h = response.headers_mut();
    insert(h, header::ETAG, &etag);
    insert(h, header::CACHE_CONTROL, cache_control);
    insert(h, header::VARY, "Accept-Encoding");
    security_headers(h);
    response
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

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.trim_start_matches("W/") == etag
        },
    )
}

pub(super) fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    // Every value here is ours (digits, hex, RFC 3339), so this cannot fail in practice.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

pub(super) fn security_headers(headers: &mut HeaderMap) {
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
}

/// The error as an image (SVG card, or that card as PNG) with the error's status; 5xx causes are
/// logged here, once.
pub(super) async fn error_image(state: &AppState, error: &AppError, theme: &str, format: ImageFormat) -> Response {
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(code = error.code(), %error, "request failed");
    } else {
        tracing::debug!(code = error.code(), %error, "bad request");
    }
    let (title, message, hint) = error.public_text();
    let svg = state.renderer.error_card(theme, title, &message, hint.as_deref());
    let (body, format) = match encode(state, svg.clone(), format, None).await {
        Ok(body) => (body, format),
        Err(e) => {
            tracing::error!(error = %e, "could not rasterise the error card; sending it as SVG");
            (svg.into_bytes(), ImageFormat::Svg)
        }
    };
    let mut response = (status, [(header::CONTENT_TYPE, format.content_type())], body).into_response();
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
