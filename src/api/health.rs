//! Liveness and readiness probes.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

/// The process is up and serving.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers; a load balancer should not send traffic before this says ok. Kafka being
/// away does not make a replica unready (images are served, events wait in the outbox), but it
/// is reported.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match crate::store::ping(&state.db).await {
        Ok(()) if state.bus_name == "kafka" && !state.consumers.subscribed() => {
            (StatusCode::OK, "ok (events: waiting for Kafka; they wait in the outbox)")
        }
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
