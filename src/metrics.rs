//! Prometheus metrics (`GET /metrics`): one recorder per process, installed on first use. The
//! metric names are listed in README ("Metrics"); labels are bounded (routes are classified, tokens
//! are named by position, never by value).

use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

use metrics::{Counter, Histogram};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::domain::ViewSubject;

/// Latency buckets in seconds: from a warm cache hit to GitHub's slowest answers.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// The process's recorder, installed globally on first use (every app of a test process shares
/// it, so tests compare counters before and after).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new().set_buckets(&BUCKETS).unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics stays empty");
        }
        // Histogram samples pile up until drained into buckets: without this, an instance nobody
        // scrapes would grow without bound.
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new().name("metrics-upkeep".to_owned()).spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        });
        if let Err(error) = spawned {
            tracing::warn!(%error, "could not start the metrics upkeep thread");
        }
        handle
    })
}

/// Route families, the `route` label: a crawler's random paths all count as `other`.
const ROUTES: [&str; 13] = [
    "preview",
    "grs_stats",
    "graphql",
    "health",
    "metrics",
    "webhook",
    "grs_top_langs",
    "grs_pin",
    "grs_gist",
    "grs_wakatime",
    "banners",
    "themes",
    "other",
];
const STATUS_CLASSES: [&str; 4] = ["2xx", "3xx", "4xx", "5xx"];

/// Handles registered once: the hot path increments them without building keys or looking them
/// up in the registry (which cost a measurable share of a warm request).
struct HttpSeries {
    requests: Vec<[Counter; 4]>,
    durations: Vec<Histogram>,
}

static HTTP: LazyLock<HttpSeries> = LazyLock::new(|| HttpSeries {
    requests: ROUTES
        .iter()
        .map(|route| {
            STATUS_CLASSES
                .map(|status| metrics::counter!("banners_http_requests_total", "route" => *route, "status" => status))
        })
        .collect(),
    durations: ROUTES
        .iter()
        .map(|route| metrics::histogram!("banners_http_request_duration_seconds", "route" => *route))
        .collect(),
});

/// A request's route as a label: the known route families, else `other`.
pub fn route(path: &str) -> &'static str {
    match path {
        "/banners/preview" | "/banners/preview.png" => "preview",
        "/api" | "/api/" => "grs_stats",
        "/graphql" | "/graphql/ws" => "graphql",
        "/healthz" | "/readyz" => "health",
        "/metrics" => "metrics",
        "/webhooks/github" => "webhook",
        p if p.starts_with("/api/top-langs") => "grs_top_langs",
        p if p.starts_with("/api/pin") => "grs_pin",
        p if p.starts_with("/api/gist") => "grs_gist",
        p if p.starts_with("/api/wakatime") => "grs_wakatime",
        p if p.starts_with("/banners") => "banners",
        p if p.starts_with("/themes") => "themes",
        _ => "other",
    }
}

pub fn request(route: &'static str, status: u16, elapsed: Duration) {
    let index = ROUTES.iter().position(|r| *r == route).unwrap_or(ROUTES.len() - 1);
    HTTP.requests[index][status_class(status)].increment(1);
    HTTP.durations[index].record(elapsed.as_secs_f64());
}

/// `2xx`, `3xx`, ... (an index into `STATUS_CLASSES`): per-code series would multiply for no
/// alerting value.
fn status_class(status: u16) -> usize {
    match status {
        200..=299 => 0,
        300..=399 => 1,
        400..=499 => 2,
        _ => 3,
    }
}

pub fn image_cache(hit: bool) {
    metrics::counter!("banners_image_cache_total", "result" => if hit { "hit" } else { "miss" }).increment(1);
}

/// One request to GitHub with token `position` (1-based, as in GITHUB_TOKENS).
pub fn github_request(position: usize, outcome: &'static str, elapsed: Duration) {
    let token = position.to_string();
    metrics::counter!("banners_github_requests_total", "token" => token.clone(), "outcome" => outcome).increment(1);
    metrics::histogram!("banners_github_request_duration_seconds", "token" => token).record(elapsed.as_secs_f64());
}

pub fn github_points_remaining(position: usize, remaining: i64) {
    metrics::gauge!("banners_github_points_remaining", "token" => position.to_string()).set(remaining as f64);
}

pub fn single_flight_join() {
    metrics::counter!("banners_single_flight_joins_total").increment(1);
}

static VIEWS: LazyLock<[Counter; 2]> = LazyLock::new(|| {
    [ViewSubject::User, ViewSubject::Banner].map(|s| metrics::counter!("banners_views_total", "subject" => s.as_str()))
});

/// A card served: counted per user, and per banner for stored banners.
pub fn view(subject: ViewSubject) {
    let index = match subject {
        ViewSubject::User => 0,
        ViewSubject::Banner => 1,
    };
    VIEWS[index].increment(1);
}

/// A view not counted: too many distinct subjects since the last write to the database.
pub fn view_dropped() {
    metrics::counter!("banners_views_dropped_total").increment(1);
}

pub fn client_refused(kind: &'static str) {
    metrics::counter!("banners_clients_refused_total", "limit" => kind).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_a_bounded_set() {
        assert_eq!(route("/api/top-langs/"), "grs_top_langs");
        assert_eq!(route("/banners/abc.svg"), "banners");
        assert_eq!(route("/wp-login.php"), "other");
        assert_eq!(route("/banners/preview.png"), "preview");
    }
}
