//! The fake GitHub itself, driven with plain reqwest and the real query documents.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fake_github::{FakeGitHub, RecordedRequest, fixtures};

const USER_STATS: &str = include_str!("../../github_queries/user_stats.graphql");
const USER_REPOSITORIES: &str = include_str!("../../github_queries/user_repositories.graphql");

async fn fake_with(token: &str) -> FakeGitHub {
    let fake = FakeGitHub::start().await;
    fake.add_token(token);
    fake
}

async fn post(fake: &FakeGitHub, token: &str, operation: &str, variables: Value) -> reqwest::Response {
    let query = if operation == "UserRepositories" { USER_REPOSITORIES } else { USER_STATS };
    reqwest::Client::new()
        .post(fake.url())
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables, "operationName": operation }))
        .send()
        .await
        .unwrap()
}

async fn stats(fake: &FakeGitHub, token: &str, login: &str) -> (StatusCode, Value) {
    let response = post(fake, token, "UserStats", json!({ "login": login })).await;
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn unknown_token_gets_401_bad_credentials() {
    let fake = fake_with("good").await;
    fake.set_user(fixtures::octocat());

    let (status, body) = stats(&fake, "bad", "octocat").await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Bad credentials");
    assert_eq!(body["documentation_url"], "https://docs.github.com/graphql");
}

#[tokio::test]
async fn user_stats_answers_in_githubs_shape_with_rate_limit_headers() {
    let fake = fake_with("t").await;
    fake.set_user(fixtures::octocat());

    let first = post(&fake, "t", "UserStats", json!({ "login": "OctoCat" })).await;
    let second = post(&fake, "t", "UserStats", json!({ "login": "octocat" })).await;

    let remaining = |r: &reqwest::Response| r.headers()["x-ratelimit-remaining"].to_str().unwrap().to_owned();
    assert_eq!((remaining(&first).as_str(), remaining(&second).as_str()), ("4999", "4998"));
    assert!(first.headers().contains_key("x-ratelimit-reset"));
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["data"]["rateLimit"]["remaining"], 4998);
    assert!(body["data"]["rateLimit"]["resetAt"].as_str().unwrap().ends_with('Z'));
    let user = &body["data"]["user"];
    assert_eq!(user["login"], "octocat");
    assert_eq!(user["followers"]["totalCount"], 4000);
    assert_eq!(user["contributionsCollection"]["totalCommitContributions"], 1234);
    assert_eq!(user["repositories"]["totalCount"], 5);
    let names: Vec<_> =
        user["repositories"]["nodes"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["forked-go", "hello-world", "spoon-knife", "secret-notes", "empty-repo"]);
    let hello = &user["repositories"]["nodes"][1];
    assert_eq!(hello["owner"]["login"], "octocat");
    assert_eq!(hello["primaryLanguage"], json!({ "name": "Rust", "color": "#dea584" }));
    assert_eq!(
        hello["languages"]["edges"][1],
        json!({ "size": 1000, "node": { "name": "Shell", "color": "#89e051" } })
    );
    assert_eq!(user["repositories"]["nodes"][4]["primaryLanguage"], Value::Null);
}

#[tokio::test]
async fn unknown_login_answers_not_found_in_githubs_shape() {
    let fake = fake_with("t").await;

    let (status, body) = stats(&fake, "t", "nobody-here").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["user"], Value::Null);
    assert_eq!(body["data"]["rateLimit"]["limit"], 5000);
    let error = &body["errors"][0];
    assert_eq!(error["type"], "NOT_FOUND");
    assert_eq!(error["path"], json!(["user"]));
    assert_eq!(error["message"], "Could not resolve to a User with the login of 'nobody-here'.");
    assert!(error["locations"][0]["line"].as_u64().unwrap() > 1);
}

#[tokio::test]
async fn paginating_250_repositories_yields_250_distinct_ids() {
    let fake = fake_with("t").await;
    fake.set_user(fixtures::many_repos("busy", 250));

    let (_, body) = stats(&fake, "t", "busy").await;
    let mut repos = body["data"]["user"]["repositories"].clone();
    assert_eq!(repos["totalCount"], 250);
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        for node in repos["nodes"].as_array().unwrap() {
            ids.push(node["id"].as_str().unwrap().to_owned());
        }
        if repos["pageInfo"]["hasNextPage"] == false {
            break;
        }
        let after = repos["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        let response =
            post(&fake, "t", "UserRepositories", json!({ "login": "busy", "after": after, "direction": "DESC" })).await;
        let body: Value = response.json().await.unwrap();
        repos = body["data"]["user"]["repositories"].clone();
    }

    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 250);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250);
    assert_eq!(fake.request_count_for("busy", "UserRepositories"), 2);
}

#[tokio::test]
async fn rate_limited_token_answers_like_githubs_exhausted_budget() {
    let fake = fake_with("t").await;
    fake.set_user(fixtures::octocat());
    fake.rate_limit_token("spent");
    fake.rate_limit_token_with_status("secondary", 403);

    let graphql = post(&fake, "spent", "UserStats", json!({ "login": "octocat" })).await;
    let status = post(&fake, "secondary", "UserStats", json!({ "login": "octocat" })).await;

    assert_eq!(graphql.status(), StatusCode::OK);
    assert_eq!(graphql.headers()["x-ratelimit-remaining"], "0");
    let reset: i64 = graphql.headers()["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
    assert!(reset > chrono::Utc::now().timestamp() + 3000);
    let body: Value = graphql.json().await.unwrap();
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["errors"][0]["type"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["message"], "API rate limit exceeded for user ID 1.");
    assert_eq!(status.status(), StatusCode::FORBIDDEN);
    assert_eq!(status.headers()["retry-after"], "60");
    assert_eq!(status.headers()["x-ratelimit-remaining"], "0");
}

#[tokio::test]
async fn fail_next_fails_that_many_requests_then_recovers() {
    let fake = fake_with("t").await;
    fake.set_user(fixtures::octocat());
    fake.fail_next(2, 502);

    let first = post(&fake, "t", "UserStats", json!({ "login": "octocat" })).await;
    let second = post(&fake, "t", "UserStats", json!({ "login": "octocat" })).await;
    let (third, body) = stats(&fake, "t", "octocat").await;

    assert_eq!(first.status(), StatusCode::BAD_GATEWAY);
    assert!(first.text().await.unwrap().contains("502 Bad Gateway"));
    assert_eq!(second.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(third, StatusCode::OK);
    assert_eq!(body["data"]["user"]["login"], "octocat");
}

#[tokio::test]
async fn malformed_mode_answers_200_with_invalid_json_and_changes_are_seen_next_time() {
    let fake = fake_with("t").await;
    fake.set_user(fixtures::octocat());
    fake.set_malformed(true);

    let malformed = post(&fake, "t", "UserStats", json!({ "login": "octocat" })).await;
    assert_eq!(malformed.status(), StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&malformed.text().await.unwrap()).is_err());

    fake.set_malformed(false);
    fake.update_user("octocat", |u| u.repo_mut("hello-world").stars = 9999);
    let (_, body) = stats(&fake, "t", "octocat").await;
    assert_eq!(body["data"]["user"]["repositories"]["nodes"][0]["stargazerCount"], 9999);
}

#[tokio::test]
async fn every_request_is_recorded_even_when_it_fails() {
    let fake = fake_with("t").await;
    fake.set_user(fixtures::many_repos("busy", 150));
    fake.fail_next(1, 500);

    post(&fake, "t", "UserStats", json!({ "login": "busy" })).await;
    post(&fake, "wrong", "UserStats", json!({ "login": "busy" })).await;
    let (_, body) = stats(&fake, "t", "busy").await;
    let cursor = body["data"]["user"]["repositories"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    post(&fake, "t", "UserRepositories", json!({ "login": "busy", "after": cursor, "direction": "DESC" })).await;
    let unknown = post(&fake, "t", "Viewer", json!({})).await;

    let body: Value = unknown.json().await.unwrap();
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("Viewer"));
    let requests = fake.requests();
    assert_eq!(requests.len(), 5);
    assert_eq!(
        requests[3],
        RecordedRequest {
            token: Some("t".into()),
            operation: "UserRepositories".into(),
            login: Some("busy".into()),
            after: Some(cursor),
            from: None,
        }
    );
    assert_eq!(requests[1].token.as_deref(), Some("wrong"));
    assert_eq!(fake.request_count_for("BUSY", "UserStats"), 3);
    assert_eq!((fake.requests_by_token("t"), fake.requests_by_token("wrong")), (4, 1));
}

#[tokio::test]
async fn delayed_requests_are_recorded_on_arrival_and_answered_after_the_delay() {
    let fake = fake_with("t").await;
    fake.set_user(fixtures::octocat());
    fake.set_delay(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();

    let url = fake.url();
    let in_flight = tokio::spawn(async move {
        let body = json!({ "query": USER_STATS, "variables": { "login": "octocat" }, "operationName": "UserStats" });
        reqwest::Client::new().post(url).bearer_auth("t").json(&body).send().await.unwrap().status()
    });
    fake.until_requests(1).await;
    let answered_yet = in_flight.is_finished();
    let status = in_flight.await.unwrap();

    assert!(!answered_yet, "recorded on arrival, answered after the delay");
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn hostile_strings_survive_the_json_round_trip_unchanged() {
    let fake = fake_with("t").await;
    let hostile = fixtures::hostile();
    fake.set_user(hostile.clone());

    let (_, body) = stats(&fake, "t", "hostile-user").await;

    let user = &body["data"]["user"];
    assert_eq!(user["name"].as_str(), hostile.name.as_deref());
    assert_eq!(user["bio"].as_str(), hostile.bio.as_deref());
    let names: Vec<_> =
        user["repositories"]["nodes"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(names.contains(&fixtures::long_hostile_text().as_str()));
    assert_eq!(fixtures::long_hostile_text().chars().count(), 500);
    assert_eq!(user["repositories"]["nodes"][0]["primaryLanguage"]["name"], "C<>&\"");
}
