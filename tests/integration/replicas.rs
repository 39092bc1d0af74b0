//! Two replicas on one database (the in-process bus each; Kafka has its own tests): what they
//! must share, they share through the database.

use std::sync::Arc;
use std::time::Duration;

use github_banners::clock::ManualClock;
use github_banners::events::{Event, EventKind};
use serde_json::json;

use crate::helpers::{API_KEY, TestApp, TestConfig, WEBHOOK_SECRET, spawn_app_with};

async fn two_replicas() -> (TestApp, TestApp) {
    let clock = Arc::new(ManualClock::default());
    let a = spawn_app_with(TestConfig { clock: Some(clock.clone()), ..Default::default() }).await;
    let b = spawn_app_with(TestConfig {
        db: Some(a.db.clone()),
        github: Some(a.github.clone()),
        clock: Some(clock),
        ..Default::default()
    })
    .await;
    (a, b)
}

#[tokio::test]
async fn users_viewed_on_an_api_replica_are_kept_fresh_by_the_worker() {
    let (api, worker) = two_replicas().await;
    for login in ["octocat", "forkful"] {
        assert_eq!(api.preview(&format!("username={login}")).await.status, 200);
    }

    // The API replica writes what it served into the shared schedule; the worker refreshes it.
    assert_eq!(api.scheduler.flush_views().await.unwrap(), 2);
    worker.clock.advance(Duration::from_secs(8 * 60 + 1));
    let round = worker.scheduler.run_once().await.unwrap();

    assert_eq!(round.refreshed, 2, "{round:?}");
    assert_eq!(worker.github.request_count_for("octocat", "UserStats"), 2);
}

#[tokio::test]
async fn a_replayed_webhook_is_ignored_by_the_other_replica_and_refreshes_are_throttled_across() {
    let (a, b) = two_replicas().await;
    a.preview("username=octocat").await;
    let body = json!({ "repository": { "owner": { "login": "octocat", "type": "User" } } }).to_string();
    let signature = crate::webhooks::github_signature(WEBHOOK_SECRET, body.as_bytes());
    let deliver = |app: &TestApp, id: &'static str| {
        app.client
            .post(format!("{}/webhooks/github", app.address))
            .header("x-github-event", "push")
            .header("x-github-delivery", id)
            .header("x-hub-signature-256", signature.clone())
            .body(body.clone())
            .send()
    };

    let first: serde_json::Value = deliver(&a, "d-1").await.unwrap().json().await.unwrap();
    let replayed: serde_json::Value = deliver(&b, "d-1").await.unwrap().json().await.unwrap();
    let another: serde_json::Value = deliver(&b, "d-2").await.unwrap().json().await.unwrap();
    let refresh = b.graphql("mutation { refreshUser(login: \"octocat\") { login } }", json!({}), Some(API_KEY)).await;

    assert_eq!(first["refreshed"], "octocat", "{first}");
    assert_eq!(replayed["ignored"], "delivery already handled", "{replayed}");
    assert_eq!(another["ignored"], "refreshed less than a minute ago", "{another}");
    assert_eq!(refresh["errors"][0]["extensions"]["code"], "THROTTLED", "{refresh}");
    assert_eq!(a.github.request_count_for("octocat", "UserStats"), 2, "one refresh in all");
}

#[tokio::test]
async fn a_banner_read_alternately_from_two_replicas_is_rendered_and_stored_once() {
    let (a, b) = two_replicas().await;
    let id = a.create_banner(json!({ "username": "octocat", "type": "compact" })).await;
    a.step().await;
    let mut events = a.bus.subscribe().await.unwrap();

    let mut etags = Vec::new();
    for i in 0..20 {
        let app = if i % 2 == 0 { &a } else { &b };
        let reply = app.get(&format!("/banners/{id}.svg")).await;
        assert_eq!(reply.status, 200);
        assert!(!reply.header("x-stats-fetched-at").is_empty(), "stored banners say how old they are");
        etags.push(reply.header("etag").to_owned());
    }
    a.step().await;

    etags.dedup();
    assert_eq!(etags.len(), 1, "one image, whichever replica answers");
    let mut rendered = 0;
    while let Some(Some(event)) = futures::FutureExt::now_or_never(futures::StreamExt::next(&mut events)) {
        rendered += usize::from(matches!(event.kind, EventKind::BannerRendered { .. }));
    }
    assert_eq!(rendered, 1, "stored once, not once per read");
}

#[tokio::test]
async fn a_redelivered_event_is_applied_once() {
    let app = spawn_app_with(TestConfig::default()).await;
    app.preview("username=octocat").await;
    app.step().await;
    let event = Event::new(
        "dup-1".into(),
        "another-replica".into(),
        EventKind::StatsRefreshed { login: "octocat".into(), stats_version: "v".into(), changed: vec![] },
    );

    app.bus.publish(&event).await.unwrap();
    app.bus.publish(&event).await.unwrap();
    let applied = app.consumers.run_once().await.unwrap();

    // Each of the two consumers (cache follow-up, re-rendering) applies it once.
    assert_eq!(applied, 2);
}

#[cfg(feature = "kafka")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_starts_and_serves_images_while_kafka_is_unreachable() {
    let app = spawn_app_with(TestConfig {
        kafka_brokers: Some("127.0.0.1:1".to_owned()),
        manual_background: false,
        ..Default::default()
    })
    .await;

    let card = app.preview("username=octocat").await;
    let ready = app.get("/readyz").await;

    assert_eq!(card.status, 200);
    assert_eq!(ready.status, 200);
    assert!(ready.body.contains("waiting for Kafka"), "{}", ready.body);
}
