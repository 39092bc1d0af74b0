//! Bad input and upstream failures: always an SVG error card with the right status.

use std::time::Duration;

use crate::helpers::{GOOD_TOKEN, TestConfig, assert_valid_svg, spawn_app, spawn_app_with};

#[tokio::test]
async fn unknown_user_gets_a_404_card() {
    let app = spawn_app().await;

    let reply = app.preview("username=nobody-here").await;

    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("content-type"), "image/svg+xml; charset=utf-8");
    let text = assert_valid_svg(&reply.body);
    assert!(text.contains("nobody-here") && text.contains("not found"), "{text}");
}

#[tokio::test]
async fn an_unknown_user_is_remembered_and_not_asked_for_again() {
    let app = spawn_app().await;

    app.preview("username=nobody-here").await;
    let again = app.preview("username=nobody-here").await;

    assert_eq!(again.status, 404);
    assert_eq!(app.github.requests().len(), 1);
}

#[tokio::test]
async fn invalid_parameters_get_a_400_card_naming_the_parameter() {
    let app = spawn_app().await;
    let cases = [
        ("type=wide", "username"),
        ("username=", "username"),
        ("username=bad_name", "username"),
        ("username=-leading", "username"),
        ("username=a--b", "username"),
        ("username=%3Cscript%3E", "username"),
        (&format!("username={}", "x".repeat(40)) as &str, "username"),
        ("username=octocat&type=huge", "type"),
        ("username=octocat&include_forks=maybe", "include_forks"),
    ];

    for (query, parameter) in cases {
        let reply = app.preview(query).await;

        assert_eq!(reply.status, 400, "{query}");
        let text = assert_valid_svg(&reply.body);
        assert!(text.contains(&format!("`{parameter}`")), "{query}: {text}");
    }
    assert!(app.github.requests().is_empty(), "bad input must never reach GitHub");
}

#[tokio::test]
async fn no_configured_token_and_no_rest_fallback_gets_a_503_card_saying_how_to_configure_one() {
    let app = spawn_app_with(TestConfig { tokens: vec![], rest_fallback: false, ..Default::default() }).await;

    let reply = app.preview("username=octocat").await;

    assert_eq!(reply.status, 503);
    let text = assert_valid_svg(&reply.body);
    assert!(text.contains("GITHUB_TOKENS"), "{text}");
}

#[tokio::test]
async fn github_failing_with_no_snapshot_gets_a_502_card() {
    let app = spawn_app().await;
    app.github.fail_next(100, 502);

    let reply = app.preview("username=octocat").await;

    assert_eq!(reply.status, 502);
    assert!(assert_valid_svg(&reply.body).contains("GitHub"));
    // Retried a bounded number of times, not forever.
    assert_eq!(app.github.requests().len(), 3);
}

#[tokio::test]
async fn a_single_github_502_is_retried_transparently() {
    let app = spawn_app().await;
    app.github.fail_next(1, 502);

    let reply = app.preview("username=octocat").await;

    assert_eq!(reply.status, 200);
    assert_eq!(app.github.requests().len(), 2);
}

#[tokio::test]
async fn a_malformed_github_answer_is_a_502_not_a_crash() {
    let app = spawn_app().await;
    app.github.set_malformed(true);

    let reply = app.preview("username=octocat").await;

    assert_eq!(reply.status, 502);
    assert_valid_svg(&reply.body);
}

#[tokio::test]
async fn all_tokens_rate_limited_with_no_snapshot_gets_503_with_retry_after() {
    let app = spawn_app().await;
    app.github.rate_limit_token(GOOD_TOKEN);

    let reply = app.preview("username=octocat").await;

    assert_eq!(reply.status, 503);
    let retry_after: u64 = reply.header("retry-after").parse().unwrap();
    assert!(retry_after > 60 && retry_after <= 3600, "{retry_after}");
    assert!(assert_valid_svg(&reply.body).contains("rate limit"));
}

#[tokio::test]
async fn all_tokens_rate_limited_serves_the_stored_snapshot_marked_stale() {
    // First life: fetch and store octocat.
    let first = spawn_app().await;
    assert_eq!(first.preview("username=octocat&type=compact").await.status, 200);
    // Second life on the same database, two days later; GitHub refuses every token.
    first.github.rate_limit_token(GOOD_TOKEN);
    let clock = first.clock.clone();
    clock.advance(Duration::from_secs(2 * 24 * 3600));
    let second = spawn_app_with(TestConfig {
        db: Some(first.db.clone()),
        github: Some(first.github.clone()),
        clock: Some(clock),
        ..Default::default()
    })
    .await;

    let reply = second.preview("username=octocat&type=compact").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("x-stats-status"), "stale-if-error");
    assert!(assert_valid_svg(&reply.body).contains("2,300"));
    assert!(!reply.header("x-stats-fetched-at").is_empty());
}
