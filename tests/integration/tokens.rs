//! The token pool seen from outside: bad and rate-limited tokens are skipped, never shown.

use crate::helpers::{GOOD_TOKEN, TestConfig, spawn_app_with};

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
async fn only_bad_tokens_is_a_server_error_that_never_shows_a_token() {
    let app = spawn_app_with(TestConfig { tokens: vec!["ghp_revoked_secret".to_owned()], ..Default::default() }).await;

    let reply = app.preview("username=octocat").await;

    assert_eq!(reply.status, 500);
    assert!(!reply.body.contains("ghp_revoked_secret"));
    assert!(!format!("{:?}", reply.headers).contains("ghp_revoked_secret"));
}
