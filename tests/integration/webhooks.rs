//! GitHub webhooks and HMAC-signed service requests.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

use github_banners::api::signing::RequestSigning;

use crate::helpers::{SERVICES_SECRET, TestApp, WEBHOOK_SECRET, spawn_app};

pub fn github_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn deliver(app: &TestApp, event: &str, delivery: &str, body: &[u8], signature: Option<String>) -> u16 {
    let mut request = app
        .client
        .post(format!("{}/webhooks/github", app.address))
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().await.unwrap().status().as_u16()
}

fn push_for(login: &str) -> Vec<u8> {
    json!({ "ref": "refs/heads/main", "repository": { "name": "hello-world", "owner": { "login": login } } })
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn a_signed_push_refreshes_the_owner_at_once() {
    let app = spawn_app().await;
    app.preview("username=octocat&type=compact").await;
    app.github.update_user("octocat", |u| u.repo_mut("hello-world").stars += 1000);
    let body = push_for("octocat");

    let status = deliver(&app, "push", "d-1", &body, Some(github_signature(WEBHOOK_SECRET, &body))).await;

    assert_eq!(status, 200);
    assert_eq!(app.github.request_count_for("octocat", "UserStats"), 2);
    assert!(app.preview("username=octocat&type=compact").await.body.contains("3,300"));
}

#[tokio::test]
async fn bad_missing_or_replayed_signatures_change_nothing() {
    let app = spawn_app().await;
    let body = push_for("octocat");
    let good = github_signature(WEBHOOK_SECRET, &body);

    assert_eq!(deliver(&app, "push", "d-1", &body, None).await, 401);
    assert_eq!(deliver(&app, "push", "d-2", &body, Some(github_signature("wrong", &body))).await, 401);
    assert_eq!(deliver(&app, "push", "d-3", &push_for("forkful"), Some(good.clone())).await, 401, "tampered body");
    assert!(app.github.requests().is_empty(), "nothing happened");

    assert_eq!(deliver(&app, "push", "d-4", &body, Some(good.clone())).await, 200);
    assert_eq!(deliver(&app, "push", "d-4", &body, Some(good)).await, 200, "a replay is acknowledged");
    assert_eq!(app.github.requests().len(), 1, "but acted on once");
}

#[tokio::test]
async fn ping_and_unrelated_events_are_acknowledged_without_work() {
    let app = spawn_app().await;
    let ping = br#"{"zen":"Keep it logically awesome."}"#;
    let issue = push_for("octocat");

    assert_eq!(deliver(&app, "ping", "p-1", ping, Some(github_signature(WEBHOOK_SECRET, ping))).await, 200);
    assert_eq!(deliver(&app, "issues", "p-2", &issue, Some(github_signature(WEBHOOK_SECRET, &issue))).await, 200);
    assert!(app.github.requests().is_empty());
}

async fn signed_post(
    app: &TestApp,
    path: &str,
    body: &str,
    timestamp: i64,
    sign_body: &str,
) -> (u16, serde_json::Value) {
    let signature = RequestSigning::sign(SERVICES_SECRET, "POST", path, timestamp, sign_body.as_bytes());
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .header("x-signature", signature)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn hmac_signed_service_requests_are_trusted_and_checked() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let body = json!({ "username": "octocat" }).to_string();

    let (created, banner) = signed_post(&app, "/banners", &body, now, &body).await;
    let (replayed, _) = signed_post(&app, "/banners", &body, now, &body).await;
    let (expired, _) = signed_post(&app, "/banners", &body, now - 600, &body).await;
    let (tampered, _) = signed_post(&app, "/banners", &json!({ "username": "forkful" }).to_string(), now, &body).await;

    assert_eq!(created, 201, "{banner}");
    assert_eq!(replayed, 401);
    assert_eq!(expired, 401);
    assert_eq!(tampered, 401);
    let mutation = json!({ "query": "mutation { deleteBanner(id: \"nope\") }" }).to_string();
    let (status, response) = signed_post(&app, "/graphql", &mutation, now + 1, &mutation).await;
    assert_eq!(status, 200);
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "signed GraphQL mutations pass auth: {response}"
    );
}

#[tokio::test]
async fn a_signature_respelled_is_still_the_one_signature_and_is_used_once() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let body = json!({ "username": "octocat" }).to_string();
    let signature = RequestSigning::sign(SERVICES_SECRET, "POST", "/banners", now, body.as_bytes());
    let mac = signature.split_once(",v1=").unwrap().1.to_owned();
    let spellings = [
        signature.clone(),
        format!("t={now},v1={}", mac.to_ascii_uppercase()),
        format!("v1={mac},t={now}"),
        format!("t=0{now},v1={mac}"),
        format!("t=+{now},v1={mac}"),
        format!(" t={now},v1={mac},x=1"),
    ];
    let mut statuses = Vec::new();
    for spelling in spellings {
        let response = app
            .client
            .post(format!("{}/banners", app.address))
            .header("x-signature", spelling)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [201, 401, 401, 401, 401, 401], "one signature, one banner");
    let listed = app.graphql("{ banners(first: 10) { edges { node { id } } } }", json!({}), None).await;
    assert_eq!(listed["data"]["banners"]["edges"].as_array().unwrap().len(), 1, "{listed}");
}

#[tokio::test]
async fn a_delivery_whose_refresh_failed_is_acted_on_when_github_redelivers_it() {
    let app = spawn_app().await;
    app.preview("username=octocat&type=compact").await;
    app.github.update_user("octocat", |u| u.repo_mut("hello-world").stars += 1000);
    app.github.fail_next(3, 502);
    let body = push_for("octocat");
    let signature = github_signature(WEBHOOK_SECRET, &body);

    let failed = deliver(&app, "push", "d-9", &body, Some(signature.clone())).await;
    let redelivered = deliver(&app, "push", "d-9", &body, Some(signature)).await;

    assert_eq!((failed, redelivered), (502, 200));
    assert!(app.preview("username=octocat&type=compact").await.body.contains("3,300"));
}

#[tokio::test]
async fn pushes_to_organization_repositories_are_acknowledged_and_refresh_a_known_pusher() {
    let app = spawn_app().await;
    app.preview("username=octocat").await;
    let org_push = |sender: &str| {
        json!({
            "ref": "refs/heads/main",
            "repository": { "name": "tools", "owner": { "login": "some-org", "type": "Organization" } },
            "sender": { "login": sender, "type": "User" },
        })
        .to_string()
        .into_bytes()
    };
    let (known, stranger) = (org_push("octocat"), org_push("forkful"));

    let by_known = deliver(&app, "push", "o-1", &known, Some(github_signature(WEBHOOK_SECRET, &known))).await;
    let by_stranger = deliver(&app, "push", "o-2", &stranger, Some(github_signature(WEBHOOK_SECRET, &stranger))).await;

    assert_eq!((by_known, by_stranger), (200, 200));
    assert_eq!(app.github.request_count_for("octocat", "UserStats"), 2, "the known pusher was refreshed");
    assert_eq!(app.github.request_count_for("forkful", "UserStats"), 0, "strangers cost nothing");
    assert_eq!(app.github.request_count_for("some-org", "UserStats"), 0);
}
