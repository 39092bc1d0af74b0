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
mod health;
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
    /// Preview query strings already parsed (the hot path asks with the same URL again and again).
    pub parsed_requests: ParsedRequests,
}

/// Parsed card requests by a digest of (route, raw query string).
pub type ParsedRequests = moka::sync::Cache<ParsedKey, Arc<crate::images::UrlRequest>>;

/// 128 bits of SHA-256 over (route, query): a long query is not kept, only its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParsedKey([u8; 16]);

impl ParsedKey {
    fn new(route: crate::images::UrlRoute, query: &str) -> Self {
        use sha2::{Digest, Sha256};
        let route = format!("{route:?}");
        let digest = Sha256::new().chain_update(route.as_bytes()).chain_update([0]).chain_update(query.as_bytes());
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest.finalize()[..16]);
        Self(key)
    }
}

/// Memory parsed requests may take: a request keeps at most about as many bytes as its query
/// had (the options it holds are parts of it), plus its fixed size.
const PARSED_REQUESTS_BYTES: u64 = 8 * 1024 * 1024;

/// A parsed-request cache bounded by bytes, so that long URLs cannot grow it.
pub fn parsed_requests() -> ParsedRequests {
    moka::sync::Cache::builder()
        .max_capacity(PARSED_REQUESTS_BYTES)
        .weigher(|_key: &ParsedKey, request: &Arc<crate::images::UrlRequest>| request.weight())
        .build()
}

impl AppState {
    pub fn new(inner: AppInner) -> Self {
        Self(Arc::new(inner))
    }

    /// How long caches may keep images of live data.
    pub(crate) fn cache_policy(&self) -> image_http::CachePolicy {
        let ttl = self.stats.policy();
        image_http::CachePolicy { soft: ttl.soft, hard: ttl.hard, requested_max_age: None }
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
