//! `GET /metrics`: Prometheus text whose counters move with traffic, optionally behind a token.

use crate::helpers::{TestConfig, spawn_app, spawn_app_with};

/// The value of the first series whose line starts with `prefix` (name and labels), or 0.
fn value(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_move_with_traffic() {
    let app = spawn_app().await;
    let before = app.get("/metrics").await.body;

    for _ in 0..3 {
        assert_eq!(app.preview("username=octocat&type=compact").await.status, 200);
    }
    let reply = app.get("/metrics").await;

    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").starts_with("text/plain"), "{}", reply.header("content-type"));
    // Every line is a comment or `name{labels} value`.
    for line in reply.body.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, number) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        assert!(number.parse::<f64>().is_ok(), "not a number: {line}");
        let name = series.split('{').next().unwrap();
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "bad name: {line}");
    }
    let requests = r#"banners_http_requests_total{route="preview",status="2xx"}"#;
    assert!(value(&reply.body, requests) >= value(&before, requests) + 3.0, "{}", reply.body);
    let hits = r#"banners_image_cache_total{result="hit"}"#;
    assert!(value(&reply.body, hits) >= value(&before, hits) + 2.0, "the second and third were cache hits");
    assert!(reply.body.contains(r#"banners_github_requests_total{token="1",outcome="ok"}"#), "{}", reply.body);
    assert!(reply.body.contains("banners_http_request_duration_seconds_bucket"), "latency histogram");
    let views = r#"banners_views_total{subject="user"}"#;
    assert!(value(&reply.body, views) >= value(&before, views) + 3.0, "{}", reply.body);
    for gauge in [
        "banners_github_tokens{state=\"active\"} 1",
        "banners_outbox_pending",
        "banners_png_queue 0",
        "banners_views_pending",
        "banners_refresh_due",
        "banners_refresh_oldest_due_seconds",
    ] {
        assert!(reply.body.contains(gauge), "missing {gauge}");
    }
    assert!(!reply.body.contains(crate::helpers::GOOD_TOKEN), "tokens are named by position only");
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let app = spawn_app_with(TestConfig { metrics_token: Some("scrape-me".to_owned()), ..Default::default() }).await;

    assert_eq!(app.get("/metrics").await.status, 401);
    let reply = app.get_with("/metrics", &[("authorization", "Bearer scrape-me")]).await;
    assert_eq!(reply.status, 200);
}
