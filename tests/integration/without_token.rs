//! A start without a token: GitHub's REST API (no token, 60 requests an hour) serves what it can,
//! and the card says which numbers need a token.

use crate::fake_github::{FakeRepo, FakeUser};
use crate::helpers::{TestApp, TestConfig, assert_valid_svg, spawn_app_with};

async fn without_tokens() -> TestApp {
    spawn_app_with(TestConfig { tokens: vec![], ..Default::default() }).await
}

/// 150 public repositories (every tenth a fork) and 3 private ones.
fn restful() -> FakeUser {
    let public = (0..150).map(|i| {
        let repo = FakeRepo::new(&format!("tool-{i:03}"), i64::from(i % 9)).language(
            if i % 3 == 0 { "Go" } else { "Rust" },
            "#000000",
            4096,
        );
        if i % 10 == 0 { repo.fork() } else { repo }
    });
    let private = (0..3).map(|i| FakeRepo::new(&format!("secret-{i}"), 1000).private());
    FakeUser::new("restful").repos(public.chain(private))
}

fn rest_requests(app: &TestApp) -> usize {
    app.github.requests().iter().filter(|r| r.operation.starts_with("REST")).count()
}

#[tokio::test]
async fn without_a_token_cards_show_the_rest_numbers_and_say_which_need_a_token() {
    let app = without_tokens().await;
    app.github.set_user(restful());
    // Stars of the public repositories that are not forks, as the card counts them.
    let stars: i64 = (0..150).filter(|i| i % 10 != 0).map(|i| i64::from(i % 9)).sum();

    let card = app.preview("username=restful&type=compact").await;
    let stats = app.get("/api?username=restful").await;
    let languages = app.get("/api/top-langs?username=restful").await;

    assert_eq!((card.status, stats.status, languages.status), (200, 200, 200), "{}", card.body);
    let card = assert_valid_svg(&card.body);
    assert!(card.contains(&format!("Total stars: {stars}, Total forks: 0")), "only what REST gives: {card}");
    assert!(card.contains("Commits, Pull requests, Issues, Contributed to: needs a GitHub token"), "{card}");
    assert!(!card.contains("Commits (last year): 0"), "no rows of zeros: {card}");
    let stats = assert_valid_svg(&stats.body);
    // The rank ring (a dashed circle) needs contribution counters.
    assert!(stats.contains("needs a GitHub token") && !stats.contains("stroke-dasharray"), "no rank: {stats}");
    // Primary languages by repository size: 100 Rust, 50 Go repositories of the same size.
    let languages = assert_valid_svg(&languages.body);
    assert!(languages.contains("Rust") && languages.contains("66.7"), "{languages}");
    // One profile, two pages by `Link`, once for all three cards; never a GraphQL request.
    assert_eq!(rest_requests(&app), 3);
    assert_eq!(app.github.requests().len(), 3);
}

#[tokio::test]
async fn the_hours_budget_without_a_token_is_never_overdrawn_and_the_card_says_until_when() {
    let app = without_tokens().await;
    app.github.set_user(restful());
    app.github.set_user(FakeUser::new("second").repos((0..150).map(|i| FakeRepo::new(&format!("r{i}"), 1))));
    app.github.set_anonymous_limit(4);

    let first = app.preview("username=restful").await;
    let second = app.preview("username=second").await;
    let third = app.preview("username=octocat").await;

    assert_eq!(first.status, 200, "{}", first.body);
    // `second` needs 3 requests and 1 is left: refused before a request is spent.
    for reply in [&second, &third] {
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert_eq!(reply.header("x-error-code"), "NOT_CONFIGURED");
        let text = assert_valid_svg(&reply.body);
        assert!(text.contains("60 requests an hour") && text.contains("GITHUB_TOKENS"), "{text}");
    }
    let retry_after: u64 = second.header("retry-after").parse().unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert!(rest_requests(&app) <= 4, "{} requests for a budget of 4", rest_requests(&app));
}

/// GitHub's REST API has no contribution calendar: the streak and calendar cards say a token is
/// needed, and spend none of the anonymous hour.
#[tokio::test]
async fn contribution_cards_say_they_need_a_token() {
    let app = without_tokens().await;
    app.github.set_user(FakeUser::new("restful").contribution("2024-02-29T12:00:00Z", 2));
    for kind in ["streak", "calendar"] {
        let card = app.preview(&format!("username=restful&type={kind}")).await;
        assert_eq!(card.status, 503, "{kind}: {}", card.body);
        assert!(assert_valid_svg(&card.body).to_lowercase().contains("token"), "{kind}: {}", card.body);
    }
    assert_eq!(app.github.requests().len(), 0);
}

#[tokio::test]
async fn a_redirect_away_from_the_rest_api_is_not_followed() {
    let app = without_tokens().await;
    let elsewhere = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = elsewhere.clone();
    let other = axum::Router::new().fallback(move || {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { "{}" }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, other).await.unwrap() });
    app.github.set_user(FakeUser::new("moved"));
    app.github.redirect_rest_to(&format!("http://{address}"));

    let reply = app.preview("username=moved").await;

    assert_eq!(reply.status, 502, "{}", reply.body);
    assert_eq!(elsewhere.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing was asked of the other host");
}
