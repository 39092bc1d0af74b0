//! View counts: counted in memory per replica, written in batches, added up across replicas,
//! and written at a graceful shutdown.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestConfig, spawn_app, spawn_app_with};

async fn replica_of(app: &TestApp) -> TestApp {
    spawn_app_with(TestConfig { db: Some(app.db.clone()), github: Some(app.github.clone()), ..Default::default() })
        .await
}

async fn views(app: &TestApp, banner: &str) -> (Value, Value) {
    let query = "query($id: ID!) { user(login: \"octocat\") { views } banner(id: $id) { views } }";
    let response = app.graphql(query, json!({ "id": banner }), None).await;
    assert!(response["errors"].is_null(), "{response}");
    (response["data"]["user"]["views"].clone(), response["data"]["banner"]["views"].clone())
}

async fn get_ok(app: &TestApp, path: &str) {
    let reply = app.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
}

#[tokio::test]
async fn views_add_up_across_two_replicas_and_are_written_at_a_graceful_shutdown() {
    let a = spawn_app().await;
    let b = replica_of(&a).await;
    let banner = a.create_banner(json!({ "username": "octocat", "type": "compact" })).await;

    for path in ["/banners/preview?username=octocat", "/banners/preview.png?username=octocat", "/api?username=octocat"]
    {
        get_ok(&a, path).await;
    }
    get_ok(&a, &format!("/banners/{banner}.svg")).await;
    get_ok(&a, &format!("/banners/{banner}.png")).await;
    get_ok(&b, "/api/top-langs?username=octocat").await;
    get_ok(&b, &format!("/banners/{banner}.svg")).await;
    // Neither a failed card nor a theme sample is a view of anyone.
    assert_eq!(a.preview("username=octocat&theme=no-such-theme").await.status, 400);
    get_ok(&a, "/themes/default/compact.svg").await;

    // Each replica shows what is stored plus its own unwritten views; nothing was written per
    // request, so a third replica sees none yet.
    assert_eq!(views(&a, &banner).await, (json!(5), json!(2)));
    assert_eq!(views(&b, &banner).await, (json!(2), json!(1)));
    let c = replica_of(&a).await;
    assert_eq!(views(&c, &banner).await, (json!(0), json!(0)));

    a.shut_down().await;
    b.shut_down().await;

    assert_eq!(views(&c, &banner).await, (json!(7), json!(3)));
}
