//! The HTTP edge: routes, request/response shaping and error mapping. Handlers call services;
//! they never touch the database or GitHub directly.

mod auth;
mod banners;
pub mod clients;
mod error;
pub mod graphql;
mod health;
mod preview;
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
pub use preview::render_svg;

use crate::banners::BannerService;
use crate::render::{RasterPool, Renderer};
use crate::stats::StatsService;

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

pub struct AppInner {
    /// Cached, stored and live GitHub statistics.
    pub stats: StatsService,
    /// The theme packs.
    pub renderer: Arc<Renderer>,
    /// Persistent banners and their stored renders.
    pub banners: BannerService,
    /// Keys that may mutate (API_KEYS).
    pub api_keys: ApiKeys,
    /// HMAC-signed service-to-service requests (SERVICES_SECRET_KEY).
    pub signing: signing::RequestSigning,
    /// GitHub webhook signatures (GITHUB_WEBHOOK_SECRET) and seen deliveries.
    pub webhooks: webhooks::WebhookVerifier,
    /// Only for the readiness probe.
    pub db: DatabaseConnection,
    /// Rasterised PNGs by the hash of their SVG (bounded by bytes).
    pub png_cache: moka::future::Cache<String, Arc<Vec<u8>>>,
    /// Draws PNGs, a bounded number at once.
    pub raster: Arc<RasterPool>,
    /// Per-client budgets (requests, and what costs GitHub points or CPU).
    pub clients: clients::ClientLimits,
    /// Distinct GitHub users one GraphQL request may ask for.
    pub graphql_max_users: usize,
}

/// Memory the PNG cache may use.
pub const PNG_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// A PNG cache bounded by the bytes it holds.
pub fn png_cache() -> moka::future::Cache<String, Arc<Vec<u8>>> {
    moka::future::Cache::builder()
        .max_capacity(PNG_CACHE_BYTES)
        .weigher(|_key, png: &Arc<Vec<u8>>| u32::try_from(png.len()).unwrap_or(u32::MAX))
        .build()
}

impl AppState {
    pub fn new(inner: AppInner) -> Self {
        Self(Arc::new(inner))
    }

    /// Trusted when a valid signature was verified by the middleware, or an API key is presented.
    pub(crate) fn caller(&self, headers: &axum::http::HeaderMap, signed: Option<axum::Extension<Caller>>) -> Caller {
        match signed {
            Some(axum::Extension(Caller::Trusted)) => Caller::Trusted,
            _ => self.api_keys.caller(headers),
        }
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
    Router::new()
        .merge(preview::routes())
        .merge(banners::routes())
        .merge(graphql::routes(schema, state.graphql_max_users))
        .merge(health::routes())
        .merge(themes::routes())
        .merge(webhooks::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), signing::verify_signed_requests))
        .layer(axum::middleware::from_fn_with_state(state.clone(), clients::limit_clients))
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::GATEWAY_TIMEOUT, request_timeout))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // One line per request: server errors are logged with their cause where they happen.
                .on_failure(()),
        )
}
