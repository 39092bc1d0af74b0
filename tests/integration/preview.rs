//! The happy path of GET /banners/preview: the numbers, the types, the headers.

use crate::helpers::{assert_valid_svg, spawn_app};

#[tokio::test]
async fn compact_banner_shows_the_fixtures_numbers() {
    let app = spawn_app().await;

    let reply = app.preview("username=octocat&type=compact").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let text = assert_valid_svg(&reply.body);
    // 1500 + 800 + 0 stars and 300 + 120 forks of the three counted repositories.
    assert!(text.contains("2,300"), "{text}");
    assert!(text.contains("420"), "{text}");
    assert!(text.contains("1,234"), "commits: {text}");
    assert!(text.contains("The Octocat's GitHub Stats") || text.contains("GitHub Stats"), "{text}");
}

#[tokio::test]
async fn languages_banner_shows_percentages_by_bytes() {
    let app = spawn_app().await;

    let reply = app.preview("username=octocat&type=languages").await;

    assert_eq!(reply.status, 200);
    let text = assert_valid_svg(&reply.body);
    for expected in ["Rust", "60.0%", "TypeScript", "30.0%", "Shell", "10.0%"] {
        assert!(text.contains(expected), "missing {expected}: {text}");
    }
    // The fork's Go and the private repository's Python never count.
    assert!(!text.contains("Go ") && !text.contains("Python"), "{text}");
}

#[tokio::test]
async fn wide_is_the_default_type_and_shows_name_stats_and_languages() {
    let app = spawn_app().await;

    let reply = app.preview("username=octocat").await;

    assert_eq!(reply.status, 200);
    let text = assert_valid_svg(&reply.body);
    assert!(text.contains("@octocat"), "{text}");
    assert!(text.contains("2.3k"), "stars: {text}");
    assert!(text.contains("Rust") && text.contains("60.0%"), "{text}");
}

#[tokio::test]
async fn a_user_with_250_repositories_is_read_across_all_pages() {
    let app = spawn_app().await;

    let reply = app.preview("username=many&type=compact").await;

    assert_eq!(reply.status, 200);
    let text = assert_valid_svg(&reply.body);
    // Stars are 250, 249, ..., 1: their sum is 250 * 251 / 2.
    assert!(text.contains("31,375"), "{text}");
    assert_eq!(app.github.request_count_for("many", "UserStats"), 1);
    assert_eq!(app.github.request_count_for("many", "UserRepositories"), 2);
}

#[tokio::test]
async fn forks_and_private_repositories_are_excluded_unless_forks_are_asked_for() {
    let app = spawn_app().await;

    let without = assert_valid_svg(&app.preview("username=forkful&type=compact").await.body);
    let with = assert_valid_svg(&app.preview("username=forkful&type=compact&include_forks=true").await.body);
    let languages = assert_valid_svg(&app.preview("username=forkful&type=languages").await.body);

    assert!(without.contains("Total stars: 5,"), "{without}");
    assert!(with.contains("Total stars: 2,905,"), "{with}");
    assert!(languages.contains("90.0%") && !languages.contains("Go"), "{languages}");
    // One snapshot serves both: include_forks is applied to the cached data, not fetched again.
    assert_eq!(app.github.request_count_for("forkful", "UserStats"), 1);
}

#[tokio::test]
async fn svg_responses_carry_caching_and_security_headers() {
    let app = spawn_app().await;

    let reply = app.preview("username=octocat").await;

    assert_eq!(reply.header("content-type"), "image/svg+xml; charset=utf-8");
    assert_eq!(reply.header("x-content-type-options"), "nosniff");
    assert!(reply.header("content-security-policy").contains("default-src 'none'"));
    assert!(!reply.header("content-security-policy").contains("script"));
    let cache = reply.header("cache-control");
    assert!(cache.contains("max-age=") && cache.contains("stale-while-revalidate=86400"), "{cache}");
    assert_eq!(reply.header("x-stats-status"), "fresh");
    assert!(reply.header("etag").starts_with('"'));
}

#[tokio::test]
async fn a_matching_if_none_match_gets_304_without_a_body() {
    let app = spawn_app().await;
    let first = app.preview("username=octocat").await;
    let etag = first.header("etag").to_owned();

    let again = app.get_with("/banners/preview?username=octocat", &[("if-none-match", &etag)]).await;

    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
}

#[tokio::test]
async fn usernames_are_case_insensitive_and_share_one_fetch() {
    let app = spawn_app().await;

    let lower = app.preview("username=octocat&type=compact").await;
    let upper = app.preview("username=OctoCat&type=compact").await;

    assert_eq!((lower.status, upper.status), (200, 200));
    assert_eq!(lower.body, upper.body);
    assert_eq!(app.github.requests().len(), 1);
}

#[tokio::test]
async fn health_and_readiness_probes_answer() {
    let app = spawn_app().await;

    assert_eq!(app.get("/healthz").await.status, 200);
    let ready = app.get("/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (200, "ok"));
}
