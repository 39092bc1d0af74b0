//! The HTTP edge: routes, request/response shaping and error mapping. Handlers call services;
//! they never touch the database or GitHub directly.

mod auth;
mod banners;
mod builder;
mod cards;
pub mod clients;
mod edge;
mod error;
pub mod graphql;
pub mod health;
mod image_http;
mod prometheus;
pub mod server;
pub mod signing;
mod themes;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sea_orm::DatabaseConnection;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use auth::{ApiKeys, Caller};
pub use error::AppError;

use crate::banners::BannerService;
use crate::images::ImageService;
use crate::render::Renderer;
use crate::stats::StatsService;

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

pub struct AppInner {
    /// Cached, stored and live GitHub statistics.
    pub stats: StatsService,
    /// Repositories and gists for their cards.
    pub code: crate::stats::CodeService,
    /// Contribution calendars (GraphQL `User.contributions`; cards get them through `images`).
    pub contributions: crate::stats::ContributionsService,
    /// The theme packs.
    pub renderer: Arc<Renderer>,
    /// Every card image, cached.
    pub images: ImageService,
    /// Persistent banners and their stored renders.
    pub banners: BannerService,
    /// Keys that may mutate (API_KEYS).
    pub api_keys: ApiKeys,
    /// What `GET /metrics` asks for (METRICS_TOKEN); None: public.
    pub metrics_token: Option<ApiKeys>,
    /// HMAC-signed service-to-service requests (SERVICES_SECRET_KEY).
    pub signing: signing::RequestSigning,
    /// GitHub webhook signatures (GITHUB_WEBHOOK_SECRET) and seen deliveries.
    pub webhooks: webhooks::WebhookVerifier,
    /// Only for the readiness probe.
    pub db: DatabaseConnection,
    /// The readiness probe's last database answer (asked at most once a second).
    pub readiness: health::Readiness,
    /// Only for the readiness probe: whether events flow.
    pub consumers: crate::worker::Consumers,
    /// `in-process` or `kafka`.
    pub bus_name: &'static str,
    /// Per-client budgets (requests, and what costs GitHub points or CPU).
    pub clients: Arc<clients::ClientLimits>,
    /// Views per user and per stored banner, counted here and written in batches.
    pub views: crate::views::ViewCounter,
    /// GraphQL bounds: distinct subjects per request, WebSocket operations and idle time.
    pub graphql_limits: graphql::GraphQlLimits,
    /// PUBLIC_URL: where readers reach this service, for the gallery's snippets.
    pub public_url: Option<String>,
    /// Preview query strings already parsed (the hot path asks with the same URL again and again).
    pub parsed_requests: ParsedRequests,
}

/// Parsed card requests by (route, raw query string).
pub type ParsedRequests = moka::sync::Cache<ParsedKey, Arc<crate::images::UrlRequest>>;

/// A route and the query string it was asked with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParsedKey(crate::images::UrlRoute, Box<str>);

/// Queries longer than this are parsed every time rather than kept: README URLs are far shorter.
const MAX_KEPT_QUERY: usize = 4096;

impl ParsedKey {
    /// The key for `query` on `route`, unless the query is too long to be worth keeping.
    fn new(route: crate::images::UrlRoute, query: &str) -> Option<Self> {
        (query.len() <= MAX_KEPT_QUERY).then(|| Self(route, query.into()))
    }
}

/// Memory parsed requests may take, counting each query and what its request holds.
const PARSED_REQUESTS_BYTES: u64 = 8 * 1024 * 1024;

/// A parsed-request cache bounded by bytes, so that long URLs cannot grow it.
pub fn parsed_requests() -> ParsedRequests {
    moka::sync::Cache::builder()
        .max_capacity(PARSED_REQUESTS_BYTES)
        .weigher(|key: &ParsedKey, request: &Arc<crate::images::UrlRequest>| {
            request.weight().saturating_add(u32::try_from(key.1.len()).unwrap_or(u32::MAX))
        })
        .build()
}

impl AppState {
    pub fn new(inner: AppInner) -> Self {
        Self(Arc::new(inner))
    }

    /// How long caches may keep images of live data.
    pub(crate) fn cache_policy(&self) -> image_http::CachePolicy {
        let ttl = self.stats.policy();
        image_http::CachePolicy { soft: ttl.soft, hard: ttl.hard, requested_max_age: None, now: self.stats.now() }
    }
}

impl std::ops::Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &AppInner {
        &self.0
    }
}

/// Nothing we accept has a large body; this keeps a client from streaming one at us.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

/// The whole application; `request_timeout` bounds each request end to end.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    let schema = graphql::schema(state.clone());
    let router = Router::new()
        .merge(cards::routes())
        .merge(builder::routes())
        .merge(banners::routes())
        .merge(graphql::routes(schema, &state))
        .merge(health::routes())
        .merge(prometheus::routes())
        .merge(themes::routes())
        .merge(webhooks::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge::edge))
        .with_state(state);
    router
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::GATEWAY_TIMEOUT, request_timeout))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // One line per request; server errors add one with their cause (edge.rs).
                .on_failure(()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::{UrlRequest, UrlRoute, query_pairs};

    #[test]
    fn parsed_requests_are_bounded_by_bytes_not_by_count() {
        let cache = parsed_requests();
        let title = "t".repeat(100);
        let hidden: Vec<String> = (0..50).map(|i| format!("{i:060}")).collect();
        for i in 0..20_000 {
            let query = format!("username=u{i}&custom_title={title}&hide_languages={}", hidden.join(","));
            let request = UrlRequest::parse(UrlRoute::Ours(None), &query_pairs(Some(&query)), |_| true).unwrap();
            cache.insert(ParsedKey::new(UrlRoute::Ours(None), &query).unwrap(), Arc::new(request));
        }
        cache.run_pending_tasks();
        assert!(cache.weighted_size() <= PARSED_REQUESTS_BYTES, "{}", cache.weighted_size());
        assert!(cache.entry_count() < 20_000, "the biggest requests were evicted");
        assert!(ParsedKey::new(UrlRoute::Ours(None), &"x".repeat(60_000)).is_none(), "a 60 KB URL is not kept");
    }
}
