//! Single-flight, the soft TTL's background refresh and the store behind the cache.

use std::sync::Arc;
use std::time::Duration;

use github_banners::domain::Login;

use crate::helpers::{TestConfig, assert_valid_svg, spawn_app, spawn_app_with};

#[tokio::test]
async fn fifty_concurrent_requests_for_an_uncached_user_share_one_fetch() {
    let app = Arc::new(spawn_app().await);
    app.github.set_delay(Duration::from_millis(200));

    let requests = (0..50).map(|_| {
        let app = app.clone();
        tokio::spawn(async move { app.preview("username=octocat&type=compact").await })
    });
    let replies = futures_join(requests).await;

    assert!(replies.iter().all(|r| r.status == 200));
    assert_eq!(app.github.request_count_for("octocat", "UserStats"), 1);
}

async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    futures::future::join_all(handles).await.into_iter().map(Result::unwrap).collect()
}

#[tokio::test]
async fn past_the_soft_ttl_old_stats_are_served_at_once_and_refreshed_once_in_the_background() {
    let app = Arc::new(spawn_app_with(TestConfig { soft_ttl: Duration::ZERO, ..Default::default() }).await);
    let first = app.preview("username=octocat&type=compact").await;
    assert!(assert_valid_svg(&first.body).contains("2,300"));
    app.github.update_user("octocat", |u| u.repo_mut("hello-world").stars += 1000);
    app.github.set_delay(Duration::from_millis(300));

    let requests = (0..5).map(|_| {
        let app = app.clone();
        tokio::spawn(async move { app.preview("username=octocat&type=compact").await })
    });
    let stale = futures_join(requests).await;

    for reply in &stale {
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("x-stats-status"), "revalidating");
        assert!(assert_valid_svg(&reply.body).contains("2,300"), "served the old numbers at once");
    }
    // The one background refresh is under way; wait for it, then see the new numbers.
    app.stats.settled(&Login::parse("octocat").unwrap()).await;
    assert_eq!(app.github.request_count_for("octocat", "UserStats"), 2);
    let fresh = assert_valid_svg(&app.preview("username=octocat&type=compact").await.body);
    assert!(fresh.contains("3,300"), "{fresh}");
}

#[tokio::test]
async fn a_restarted_service_serves_from_the_store_without_asking_github() {
    let first = spawn_app().await;
    assert_eq!(first.preview("username=octocat").await.status, 200);

    let second = spawn_app_with(TestConfig {
        db: Some(first.db.clone()),
        github: Some(first.github.clone()),
        ..Default::default()
    })
    .await;
    let reply = second.preview("username=octocat&type=compact").await;

    assert_eq!(reply.status, 200);
    assert!(assert_valid_svg(&reply.body).contains("2,300"));
    assert_eq!(first.github.requests().len(), 1, "the second life read the store");
}
