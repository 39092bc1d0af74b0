//! The HTTP edge: routes, request/response shaping and error mapping. Handlers call services;
//! they never touch the database or GitHub directly.

mod auth;
mod banners;
mod builder;
pub mod clients;
mod edge;
mod error;
pub mod graphql;
mod grs;
mod health;
mod image_http;
mod preview;
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
    pub clients: clients::ClientLimits,
    /// Views per user and per stored banner, counted here and written in batches.
    pub views: crate::views::ViewCounter,
    /// Distinct GitHub users one GraphQL request may ask for.
    pub graphql_max_users: usize,
    /// Preview query strings already parsed (the hot path asks with the same URL again and again).
    pub parsed_requests: ParsedRequests,
}

/// Parsed image requests by (route, raw query string).
pub type ParsedRequests = moka::sync::Cache<(ImageRoute, String), Arc<crate::images::UrlRequest>>;

/// An image route that takes its request from the query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageRoute {
    /// `/banners/preview`, with the format the path forces.
    Preview(Option<crate::domain::ImageFormat>),
    /// A github-readme-stats route.
    Grs(crate::images::grs::GrsCard),
    /// github-readme-streak-stats' `/?user=`.
    StreakStats,
}

/// A parsed-request cache of a size that covers the URLs of a busy instance.
pub fn parsed_requests() -> ParsedRequests {
    moka::sync::Cache::new(10_000)
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
        .merge(preview::routes())
        .merge(builder::routes())
        .merge(grs::routes())
        .merge(banners::routes())
        .merge(graphql::routes(schema, state.graphql_max_users))
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
