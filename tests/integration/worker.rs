//! The background worker: scheduled refreshes keep banners fresh on their own; two workers on one
//! PostgreSQL database split the work without refreshing anyone twice.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::fake_github::{FakeGitHub, FakeUser};
use crate::helpers::{API_KEY, GOOD_TOKEN, TestApp, TestConfig, TestDatabase, spawn_app, spawn_app_with};

/// A little over the scheduler's refresh interval for the default soft TTL (0.8 x 10 min).
const REFRESH_INTERVAL: Duration = Duration::from_secs(8 * 60 + 1);

async fn create_banner(app: &TestApp, login: &str) -> String {
    let response = app
        .client
        .post(format!("{}/banners", app.address))
        .bearer_auth(API_KEY)
        .json(&json!({ "username": login, "type": "compact" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    body["banner"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_scheduler_refreshes_a_banner_on_its_own_and_the_image_changes() {
    let app = spawn_app().await;
    let id = create_banner(&app, "octocat").await;
    let before = app.get(&format!("/banners/{id}.svg")).await;
    app.github.update_user("octocat", |u| u.repo_mut("hello-world").stars += 1000);
    let first = app.scheduler.run_once().await.unwrap();
    assert_eq!(first.claimed, 0, "just fetched: not due before its refresh interval");
    app.clock.advance(REFRESH_INTERVAL);

    let round = app.scheduler.run_once().await.unwrap();

    assert_eq!((round.claimed, round.refreshed), (1, 1), "{round:?}");
    app.step().await;
    let after = app.get(&format!("/banners/{id}.svg")).await;
    assert_ne!(after.header("etag"), before.header("etag"));
    assert!(after.body.contains("3,300"), "{}", after.body);
    let again = app.scheduler.run_once().await.unwrap();
    assert_eq!(again.claimed, 0, "not due again until shortly before its soft TTL");
}

#[tokio::test]
async fn recently_viewed_users_are_kept_fresh_too() {
    let app = spawn_app().await;
    app.preview("username=forkful").await;
    app.scheduler.run_once().await.unwrap();
    app.clock.advance(REFRESH_INTERVAL);

    let round = app.scheduler.run_once().await.unwrap();

    assert_eq!(round.refreshed, 1);
    assert_eq!(app.github.request_count_for("forkful", "UserStats"), 2);
}

#[tokio::test]
async fn background_work_stops_at_the_budget_reserve() {
    let app = spawn_app().await;
    create_banner(&app, "octocat").await;
    app.github.rate_limit_token(GOOD_TOKEN);
    app.preview("username=forkful").await; // parks the only token

    let round = app.scheduler.run_once().await.unwrap();

    assert!(round.budget_exhausted, "{round:?}");
    assert_eq!(round.claimed, 0);
}

#[tokio::test]
async fn two_workers_on_one_database_refresh_each_of_100_users_exactly_once() {
    let github = FakeGitHub::start().await;
    github.add_token(GOOD_TOKEN);
    let logins: Vec<String> = (0..100).map(|i| format!("user-{i:03}")).collect();
    for login in &logins {
        github.set_user(FakeUser::new(login));
    }
    let github = Arc::new(github);
    let db = Arc::new(TestDatabase::from_env().await);
    let clock = Arc::new(github_banners::clock::ManualClock::default());
    let config = || TestConfig {
        db: Some(db.clone()),
        github: Some(github.clone()),
        clock: Some(clock.clone()),
        ..Default::default()
    };
    let first = spawn_app_with(config()).await;
    let second = spawn_app_with(config()).await;
    for login in &logins {
        create_banner(&first, login).await;
    }
    let before: usize = github.requests().len();
    assert_eq!(before, 100, "one fetch per user to create the banners");
    first.scheduler.run_once().await.unwrap();
    clock.advance(REFRESH_INTERVAL);

    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(drain(&first), drain(&second));
    let elapsed = started.elapsed();

    for login in &logins {
        assert_eq!(github.request_count_for(login, "UserStats"), 2, "{login} refreshed exactly once");
    }
    assert_eq!(a + b, 100);
    println!(
        "two workers refreshed 100 users in {elapsed:?} ({:.0} users/minute; split {a}/{b})",
        100.0 / elapsed.as_secs_f64() * 60.0
    );
}

async fn drain(app: &TestApp) -> usize {
    let mut total = 0;
    loop {
        let round = app.scheduler.run_once().await.unwrap();
        total += round.refreshed;
        if round.claimed == 0 {
            return total;
        }
    }
}

/// Two replicas on one database with Kafka between them: a refresh on one re-renders the
/// banner and updates the other's cache. Runs against librdkafka's mock cluster, or a real broker
/// when KAFKA_TEST_BROKERS is set.
#[cfg(feature = "kafka")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_kafka_a_refresh_on_one_replica_reaches_the_other() {
    let topic = format!("github-banners.test.{}", std::process::id());
    let cluster = rdkafka::mocking::MockCluster::new(1).unwrap();
    let brokers = match std::env::var("KAFKA_TEST_BROKERS") {
        Ok(real) if !real.is_empty() => {
            create_topic(&real, &topic).await;
            real
        }
        _ => {
            cluster.create_topic(&topic, 4, 1).unwrap();
            cluster.bootstrap_servers()
        }
    };
    let config = |brokers: &str| TestConfig {
        kafka_brokers: Some(brokers.to_owned()),
        kafka_topic: topic.clone(),
        manual_background: false,
        ..Default::default()
    };
    let first = spawn_app_with(config(&brokers)).await;
    let second = spawn_app_with(TestConfig {
        kafka_brokers: Some(brokers.clone()),
        kafka_topic: topic.clone(),
        manual_background: false,
        db: Some(first.db.clone()),
        github: Some(first.github.clone()),
        ..Default::default()
    })
    .await;
    // Subscribing happens in the background (a replica starts while Kafka is down too).
    for app in [&first, &second] {
        tokio::time::timeout(Duration::from_secs(60), app.consumers.wait_subscribed()).await.expect("subscribed");
    }
    let id = create_banner(&first, "octocat").await;
    let url = format!("/banners/{id}.svg");
    let before = first.get(&url).await;
    assert!(before.body.contains("2,300"));
    first.github.update_user("octocat", |u| u.repo_mut("hello-world").stars += 1000);
    let mut updates = first.stats.updates();

    let refreshed =
        second.graphql("mutation { refreshUser(login: \"octocat\") { login } }", json!({}), Some(API_KEY)).await;
    assert!(refreshed["errors"].is_null(), "{refreshed}");

    // The first replica hears of it through Kafka: its stats service announces the reloaded
    // snapshot; nothing here polls.
    let fetches = first.github.request_count_for("octocat", "UserStats");
    let reloaded = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match updates.recv().await {
                Ok(snapshot) if snapshot.profile.login == "octocat" => return,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(error) => panic!("{error}"),
            }
        }
    })
    .await;
    assert!(reloaded.is_ok(), "the refresh never reached the first replica within 60s");
    let preview = first.preview("username=octocat&type=compact").await;
    assert!(preview.body.contains("3,300"), "{}", preview.body);
    assert_eq!(first.github.request_count_for("octocat", "UserStats"), fetches, "the first replica did not ask GitHub");
    let after = first.get(&url).await;
    assert!(after.body.contains("3,300"));
    assert_ne!(after.header("etag"), before.header("etag"));
}

#[cfg(feature = "kafka")]
async fn create_topic(brokers: &str, topic: &str) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> =
        rdkafka::ClientConfig::new().set("bootstrap.servers", brokers).create().unwrap();
    let created = tokio::time::timeout(
        Duration::from_secs(20),
        admin.create_topics(&[NewTopic::new(topic, 4, TopicReplication::Fixed(1))], &AdminOptions::new()),
    )
    .await
    .expect("create topic timed out")
    .expect("create topic");
    for result in created {
        result.expect("topic created");
    }
}

#[tokio::test]
async fn only_existing_users_with_banners_or_recent_views_are_kept_fresh() {
    let app = spawn_app().await;
    app.preview("username=octocat").await;
    app.preview("username=nobody-here").await;
    create_banner(&app, "forkful").await;
    let fetches = |login: &str| app.github.request_count_for(login, "UserStats");

    app.scheduler.run_once().await.unwrap();
    app.clock.advance(REFRESH_INTERVAL);
    let round = app.scheduler.run_once().await.unwrap();
    assert_eq!(round.refreshed, 2, "{round:?}");
    assert_eq!((fetches("octocat"), fetches("forkful"), fetches("nobody-here")), (2, 2, 1));

    // A day later nobody viewed octocat again: it leaves the schedule; the banner owner stays.
    app.clock.advance(Duration::from_secs(25 * 3600));
    let round = app.scheduler.run_once().await.unwrap();
    assert_eq!((round.pruned, round.refreshed), (1, 1), "{round:?}");
    for _ in 0..3 {
        app.clock.advance(REFRESH_INTERVAL);
        app.scheduler.run_once().await.unwrap();
    }
    assert_eq!((fetches("octocat"), fetches("forkful"), fetches("nobody-here")), (2, 6, 1));
}
