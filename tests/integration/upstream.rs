//! A slow, hanging, failing or bursting GitHub: known users are answered from the store at once,
//! new users within the first-view deadline, and bursts never trip GitHub's secondary limits.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use github_banners::domain::Login;

use crate::fake_github::{FakeRepo, FakeUser};
use crate::helpers::{API_KEY, TestApp, TestConfig, assert_valid_svg, spawn_app, spawn_app_with};

/// A client that gives up long before a hung GitHub would answer: a request that waited for
/// GitHub fails the test instead of passing slowly.
fn impatient() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

async fn preview_within(app: &TestApp, query: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = impatient()
        .get(format!("{}/banners/preview?{query}", app.address))
        .send()
        .await
        .expect("answered without waiting for GitHub");
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.text().await.unwrap())
}

/// Past the hard TTL (24 h by default), by the app's clock.
const A_DAY_AND_MORE: Duration = Duration::from_secs(25 * 3600);

#[tokio::test]
async fn during_a_github_hang_a_known_user_is_served_from_the_store_and_github_is_asked_once() {
    let app = spawn_app().await;
    assert_eq!(app.preview("username=octocat&type=compact").await.status, 200);
    app.clock.advance(A_DAY_AND_MORE);
    app.github.set_delay(Duration::from_secs(60));

    let (status, headers, body) = preview_within(&app, "username=octocat&type=compact").await;
    let (again, _, _) = preview_within(&app, "username=octocat&type=compact").await;
    app.clock.advance(Duration::from_secs(61));
    let (after_retry, _, _) = preview_within(&app, "username=octocat&type=compact").await;

    assert_eq!((status, again, after_retry), (200, 200, 200));
    assert_eq!(headers["x-stats-status"], "stale-if-error");
    assert!(assert_valid_svg(&body).contains("2,300"));
    assert_eq!(app.github.request_count_for("octocat", "UserStats"), 2, "one fetch, still under way, is joined");
}

#[tokio::test]
async fn when_github_fails_every_request_a_known_user_is_served_from_the_store() {
    let app = spawn_app().await;
    assert_eq!(app.preview("username=octocat").await.status, 200);
    app.clock.advance(A_DAY_AND_MORE);
    app.github.fail_next(1000, 502);

    let (status, headers, _) = preview_within(&app, "username=octocat").await;
    let (again, _, _) = preview_within(&app, "username=octocat").await;

    assert_eq!((status, again), (200, 200));
    assert_eq!(headers["x-stats-status"], "stale-if-error");
    // One fetch (up to three attempts, possibly still retrying), not one per request.
    let asked = app.github.requests().len() - 1;
    assert!((1..=3).contains(&asked), "{asked} requests");
}

#[tokio::test]
async fn a_new_user_during_a_hang_gets_a_card_saying_to_reload_and_the_fetch_goes_on() {
    let app =
        spawn_app_with(TestConfig { first_view_deadline: Duration::from_millis(200), ..Default::default() }).await;
    app.github.set_delay(Duration::from_secs(1));

    let (status, headers, body) = preview_within(&app, "username=octocat&type=compact").await;

    assert_eq!(status, 503);
    assert_eq!(headers["x-error-code"], "UPSTREAM_SLOW");
    assert_eq!(headers["retry-after"], "5");
    assert!(assert_valid_svg(&body).contains("ready in a few seconds"), "{body}");
    // Joining the fetch under way (an API-key refresh waits for it) shows it was never dropped.
    let refreshed =
        app.graphql("mutation { refreshUser(login: \"octocat\") { login } }", json!({}), Some(API_KEY)).await;
    assert!(refreshed["errors"].is_null(), "{refreshed}");
    let (status, headers, _) = preview_within(&app, "username=octocat&type=compact").await;
    assert_eq!((status, &headers["x-stats-status"]), (200, &"fresh".parse::<reqwest::header::HeaderValue>().unwrap()));
    assert_eq!(app.github.request_count_for("octocat", "UserStats"), 1);
}

#[tokio::test]
async fn fifty_new_users_at_once_stay_under_githubs_secondary_limit() {
    let app = Arc::new(spawn_app().await);
    for i in 0..50 {
        app.github.set_user(FakeUser::new(&format!("burst-{i}")));
    }
    app.github.set_delay(Duration::from_millis(200));
    app.github.set_secondary_limit(8);

    let requests = (0..50).map(|i| {
        let app = app.clone();
        tokio::spawn(async move { app.preview(&format!("username=burst-{i}&type=compact")).await.status })
    });
    let statuses: Vec<u16> = futures::future::join_all(requests).await.into_iter().map(Result::unwrap).collect();

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert!(app.github.max_in_flight() <= 8, "{} at once", app.github.max_in_flight());
    let pool = app.graphql("{ tokenPool { state } }", json!({}), Some(API_KEY)).await;
    assert_eq!(pool["data"]["tokenPool"][0]["state"], "ACTIVE", "{pool}");
}

#[tokio::test]
async fn a_secondary_limit_backs_off_one_token_while_the_others_serve() {
    let app = spawn_app_with(TestConfig {
        tokens: vec!["ghp_busy".to_owned(), crate::helpers::GOOD_TOKEN.to_owned()],
        ..Default::default()
    })
    .await;
    app.github.rate_limit_token_with_status("ghp_busy", 403);

    let statuses = [app.preview("username=octocat").await.status, app.preview("username=forkful").await.status];
    let pool = app.graphql("{ tokenPool { position state } }", json!({}), Some(API_KEY)).await;

    assert_eq!(statuses, [200, 200]);
    assert_eq!(pool["data"]["tokenPool"][0]["state"], "PARKED", "{pool}");
    assert_eq!(pool["data"]["tokenPool"][1]["state"], "ACTIVE", "{pool}");
}

#[tokio::test]
async fn a_flood_of_new_pngs_is_shed_with_503_not_queued_without_bound() {
    let mut config = TestConfig::default();
    config.limits.png_max_concurrency = Some(1);
    config.limits.png_max_queue = 0;
    let app = Arc::new(spawn_app_with(config).await);
    assert_eq!(app.preview("username=octocat").await.status, 200);

    let requests = (0..24).map(|i| {
        let app = app.clone();
        tokio::spawn(async move {
            let reply = app.get(&format!("/banners/preview.png?username=octocat&title_color={:06x}", i * 4099)).await;
            (reply.status, reply.header("retry-after").to_owned(), reply.header("x-error-code").to_owned())
        })
    });
    let replies: Vec<_> = futures::future::join_all(requests).await.into_iter().map(Result::unwrap).collect();

    assert!(replies.iter().all(|(s, _, _)| *s == 200 || *s == 503), "{replies:?}");
    let shed: Vec<_> = replies.iter().filter(|(s, _, _)| *s == 503).collect();
    assert!(!shed.is_empty(), "24 PNGs at once with room for one: some are shed");
    assert!(shed.iter().all(|(_, retry, code)| retry == "1" && code == "BUSY"), "{shed:?}");
    assert_eq!(app.get("/banners/preview.png?username=octocat&title_color=123456").await.status, 200);
}

#[tokio::test]
async fn a_refused_login_gets_a_403_card_without_asking_github() {
    let app = spawn_app_with(TestConfig {
        allowed_users: vec!["OctoCat".to_owned(), "hostile-user".to_owned()],
        blocked_users: vec!["HOSTILE-user".to_owned()],
        ..Default::default()
    })
    .await;

    let allowed = app.preview("username=octocat").await;
    let not_allowed = app.preview("username=forkful").await;
    let blocked = app.preview("username=hostile-user").await;
    let graphql = app.graphql("{ user(login: \"forkful\") { login } }", json!({}), None).await;

    assert_eq!((allowed.status, not_allowed.status, blocked.status), (200, 403, 403));
    assert!(assert_valid_svg(&not_allowed.body).contains("does not show"));
    assert_eq!(graphql["errors"][0]["extensions"]["code"], "FORBIDDEN", "{graphql}");
    assert_eq!(app.github.requests().len(), 1, "only the allowed user reached GitHub");
}

#[tokio::test]
async fn while_github_fails_a_new_user_is_not_fetched_again_on_every_view() {
    let app = spawn_app().await;
    app.github.fail_next(1000, 502);

    let first = app.preview("username=octocat").await;
    let second = app.preview("username=octocat").await;

    assert_eq!((first.status, second.status), (502, 502));
    assert_eq!(app.github.requests().len(), 3, "one fetch of three attempts, then the remembered failure");
}

/// `1234567` as `1,234,567`, as the card's description writes numbers in English.
fn grouped(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[tokio::test]
async fn a_new_user_with_1500_repositories_gets_a_partial_card_at_the_deadline_and_the_full_one_next() {
    // The first page is back after 300 ms, all 15 (8 rounds of two at once) not before 2.4 s:
    // the deadline falls between, however loaded the machine.
    let app = spawn_app_with(TestConfig { first_view_deadline: Duration::from_secs(2), ..Default::default() }).await;
    // Ties on purpose: most of a big account's repositories share a star count.
    let repos = (0..1500).map(|i| FakeRepo::new(&format!("repo-{i:04}"), i % 7).language("Rust", "#dea584", 100));
    app.github.set_user(FakeUser::new("prolific").repos(repos));
    let stars: i64 = (0..1500).map(|i| i % 7).sum();
    app.github.set_delay(Duration::from_millis(300));

    let (status, headers, body) = preview_within(&app, "username=prolific&type=compact").await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["x-stats-status"], "partial");
    assert_eq!(headers["cache-control"], "public, max-age=10");
    let (counted, total) = headers["x-stats-partial"].to_str().unwrap().split_once('/').unwrap();
    let counted: usize = counted.parse().unwrap();
    assert_eq!(total, "1500");
    // Whole pages only, the first (with the profile) and some after it.
    assert!((100..1500).contains(&counted) && counted.is_multiple_of(100), "{counted}");
    let body = assert_valid_svg(&body);
    assert!(body.contains(&format!("Repositories counted so far: {}/1,500", grouped(counted as i64))), "{body}");
    assert!(!body.contains(&format!("Total stars: {},", grouped(stars))), "{body}");

    app.stats.settled(&Login::parse("prolific").unwrap()).await;
    let (status, headers, body) = preview_within(&app, "username=prolific&type=compact").await;

    assert_eq!((status, &headers["x-stats-status"]), (200, &"fresh".parse::<reqwest::header::HeaderValue>().unwrap()));
    assert!(headers.get("x-stats-partial").is_none());
    let body = assert_valid_svg(&body);
    assert!(body.contains(&format!("Total stars: {},", grouped(stars))), "{body}");
    assert!(!body.contains("counted so far"), "{body}");
    // Both ends of the list at once (half the wait), and every repository once, in the pages one
    // after another would have cost: 1 + 14.
    assert_eq!(app.github.max_in_flight(), 2);
    assert_eq!(app.github.request_count_for("prolific", "UserStats"), 1);
    assert_eq!(app.github.request_count_for("prolific", "UserRepositories"), 14);
    let stored =
        app.graphql("{ user(login: \"prolific\") { repositories(first: 1) { totalCount } } }", json!({}), None).await;
    assert_eq!(stored["data"]["user"]["repositories"]["totalCount"], 1500, "{stored}");
}
