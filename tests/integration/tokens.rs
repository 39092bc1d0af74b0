//! The token pool seen from outside: bad and rate-limited tokens are skipped, never shown.

use crate::helpers::{GOOD_TOKEN, TestConfig, assert_valid_svg, spawn_app_with};

#[tokio::test]
async fn a_bad_token_first_in_the_list_is_skipped_and_disabled() {
    let app = spawn_app_with(TestConfig {
        tokens: vec!["ghp_revoked".to_owned(), GOOD_TOKEN.to_owned()],
        ..Default::default()
    })
    .await;

    let first = app.preview("username=octocat").await;
    let second = app.preview("username=many").await;

    assert_eq!((first.status, second.status), (200, 200));
    // Tried once, found bad, never used again.
    assert_eq!(app.github.requests_by_token("ghp_revoked"), 1);
    assert!(app.github.requests_by_token(GOOD_TOKEN) >= 4);
}

#[tokio::test]
async fn a_rate_limited_token_is_parked_and_the_next_one_used() {
    let app = spawn_app_with(TestConfig {
        tokens: vec!["ghp_exhausted".to_owned(), GOOD_TOKEN.to_owned()],
        ..Default::default()
    })
    .await;
    app.github.rate_limit_token("ghp_exhausted");

    let first = app.preview("username=octocat").await;
    let second = app.preview("username=forkful").await;

    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(app.github.requests_by_token("ghp_exhausted"), 1, "parked after its first RATE_LIMITED");
}

#[tokio::test]
async fn a_403_with_retry_after_parks_the_token_too() {
    let app = spawn_app_with(TestConfig {
        tokens: vec!["ghp_secondary".to_owned(), GOOD_TOKEN.to_owned()],
        ..Default::default()
    })
    .await;
    app.github.rate_limit_token_with_status("ghp_secondary", 403);

    let first = app.preview("username=octocat").await;
    let second = app.preview("username=forkful").await;

    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(app.github.requests_by_token("ghp_secondary"), 1);
}

#[tokio::test]
async fn requests_spread_over_tokens_by_remaining_budget() {
    let app =
        spawn_app_with(TestConfig { tokens: vec!["ghp_a".to_owned(), "ghp_b".to_owned()], ..Default::default() }).await;
    app.github.add_token("ghp_a");
    app.github.add_token("ghp_b");

    for login in ["octocat", "forkful", "hostile-user", "many"] {
        assert_eq!(app.preview(&format!("username={login}")).await.status, 200);
    }

    let (a, b) = (app.github.requests_by_token("ghp_a"), app.github.requests_by_token("ghp_b"));
    assert!(a >= 2 && b >= 2, "a={a} b={b}");
}

#[tokio::test]
async fn only_bad_tokens_without_rest_fallback_is_a_503_saying_the_server_is_misconfigured() {
    let app = spawn_app_with(TestConfig {
        tokens: vec!["ghp_revoked_secret".to_owned()],
        rest_fallback: false,
        ..Default::default()
    })
    .await;

    let reply = app.preview("username=octocat").await;

    assert_eq!(reply.status, 503);
    let retry_after: u64 = reply.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let text = assert_valid_svg(&reply.body);
    assert!(text.contains("misconfigured") && text.contains("not your fault"), "{text}");
    assert!(!reply.body.contains("ghp_revoked_secret"));
    assert!(!format!("{:?}", reply.headers).contains("ghp_revoked_secret"));
}

#[tokio::test]
async fn a_rejected_token_is_rechecked_and_serves_again_once_github_accepts_it() {
    let mut config = TestConfig { tokens: vec!["ghp_restored".to_owned()], rest_fallback: false, ..Default::default() };
    config.limits.github_token_recheck = std::time::Duration::ZERO;
    let app = spawn_app_with(config).await;
    assert_eq!(app.preview("username=octocat").await.status, 503);

    app.github.add_token("ghp_restored");
    let reply = app.preview("username=octocat").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let checks = app.github.requests().iter().filter(|r| r.operation == "RateLimitCheck").count();
    assert!(checks >= 1, "the token was rechecked with the cheap rateLimit query");
}
