//! The HTTP edge: routes, request/response shaping and error mapping. Handlers call services;
//! they never touch the database or GitHub directly.

mod auth;
mod banners;
mod error;
pub mod graphql;
mod health;
mod preview;
mod themes;

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
use crate::render::Renderer;
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
    /// Only for the readiness probe.
    pub db: DatabaseConnection,
}

impl AppState {
    pub fn new(inner: AppInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &AppInner {
        &self.0
    }
}

/// Nothing we accept has a large body; this keeps a client from streaming one at us.
const BODY_LIMIT: usize = 64 * 1024;

/// The whole application; `request_timeout` bounds each request end to end.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    let schema = graphql::schema(state.clone());
    Router::new()
        .merge(preview::routes())
        .merge(banners::routes())
        .merge(graphql::routes(schema))
        .merge(health::routes())
        .merge(themes::routes())
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::GATEWAY_TIMEOUT, request_timeout))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}
