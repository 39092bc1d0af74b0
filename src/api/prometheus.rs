//! `GET /metrics`: Prometheus text. Counters and histograms are recorded where things happen; the
//! gauges below are read at scrape time (token states, outbox, PNG queue), so a scrape costs two
//! small database queries.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::auth::Caller;
use super::{AppError, AppState};
use crate::github::TokenStatus;
use crate::store::{OutboxStore, RefreshSchedule};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token
        && token.caller(&headers) != Caller::Trusted
    {
        return AppError::Unauthenticated.into_response();
    }
    let tokens = state.stats.token_pool();
    for (name, matches) in [
        ("active", (|s: &TokenStatus| matches!(s, TokenStatus::Active)) as fn(&TokenStatus) -> bool),
        ("parked", |s| matches!(s, TokenStatus::Parked { .. })),
        ("disabled", |s| matches!(s, TokenStatus::Disabled { .. })),
    ] {
        let count = tokens.iter().filter(|t| matches(&t.status)).count();
        metrics::gauge!("banners_github_tokens", "state" => name).set(count as f64);
    }
    for token in &tokens {
        metrics::gauge!("banners_github_token_in_flight", "token" => token.position.to_string())
            .set(token.in_flight as f64);
    }
    let outbox = OutboxStore::new(state.db.clone());
    match (outbox.count_pending().await, outbox.oldest_pending().await) {
        (Ok(pending), Ok(oldest)) => {
            metrics::gauge!("banners_outbox_pending").set(pending as f64);
            let age = oldest.map_or(0.0, |at| (chrono::Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0);
            metrics::gauge!("banners_outbox_oldest_seconds").set(age);
        }
        (Err(error), _) | (_, Err(error)) => tracing::warn!(%error, "metrics: could not read the outbox"),
    }
    let now = state.stats.now();
    match RefreshSchedule::new(state.db.clone()).backlog(now).await {
        Ok((due, oldest)) => {
            metrics::gauge!("banners_refresh_due").set(due as f64);
            let wait = oldest.map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1000.0);
            metrics::gauge!("banners_refresh_oldest_due_seconds").set(wait);
        }
        Err(error) => tracing::warn!(%error, "metrics: could not read the refresh schedule"),
    }
    if let Some(remaining) = state.stats.anonymous_remaining() {
        metrics::gauge!("banners_github_anonymous_remaining").set(remaining as f64);
    }
    metrics::gauge!("banners_png_queue").set(state.images.png_queue() as f64);
    metrics::gauge!("banners_views_pending").set(state.views.pending() as f64);
    let body = crate::metrics::handle().render();
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}
