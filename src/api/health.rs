//! Liveness and readiness probes.
//!
//! Readiness asks the database at most once a second, whoever probes and however often: the
//! answer is shared by every probe within that second (probes are also rate limited like any
//! request, see `clients.rs`).

use std::future::Future;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, Utc};

use super::AppState;

/// How long one answer of the database serves every probe.
const READINESS_TTL: chrono::Duration = chrono::Duration::seconds(1);

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
    let database = state.readiness.check(state.stats.now(), || crate::store::ping(&state.db)).await;
    match database {
        true if state.bus_name == "kafka" && !state.consumers.subscribed() => {
            (StatusCode::OK, "ok (events: waiting for Kafka; they wait in the outbox)")
        }
        true => (StatusCode::OK, "ok"),
        false => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

/// The database's last answer to a readiness probe, and when it was asked.
#[derive(Default)]
pub struct Readiness {
    last: tokio::sync::Mutex<Option<(DateTime<Utc>, bool)>>,
}

impl Readiness {
    /// Whether the database answered `ping` within the last second (as of `now`); probes that
    /// arrive while it is being asked wait for that answer rather than asking again.
    async fn check<F, Fut, E>(&self, now: DateTime<Utc>, ping: F) -> bool
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut last = self.last.lock().await;
        if let Some((at, ok)) = *last
            && now - at < READINESS_TTL
            && now >= at
        {
            return ok;
        }
        let ok = match ping().await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, "readiness check failed");
                false
            }
        };
        *last = Some((now, ok));
        ok
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn the_database_is_asked_at_most_once_a_second() {
        let readiness = Readiness::default();
        let asked = AtomicUsize::new(0);
        let ping = || async {
            asked.fetch_add(1, Ordering::SeqCst);
            Ok::<(), String>(())
        };
        let start = Utc::now();
        for _ in 0..100 {
            assert!(readiness.check(start, ping).await);
        }
        assert!(readiness.check(start + chrono::Duration::milliseconds(999), ping).await);
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        assert!(readiness.check(start + chrono::Duration::seconds(1), ping).await);
        assert_eq!(asked.load(Ordering::SeqCst), 2);
        let failing = || async { Err::<(), String>("down".to_owned()) };
        assert!(!readiness.check(start + chrono::Duration::seconds(3), failing).await, "a failure is reported");
    }
}
