//! The GraphQL API through POST /graphql, against the fake GitHub.

use serde_json::{Value, json};

use crate::helpers::{API_KEY, spawn_app};

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {response}"))
}

#[tokio::test]
async fn user_query_returns_profile_stats_languages_and_rank() {
    let app = spawn_app().await;

    let response = app
        .graphql(
            r#"query($login: String!) { user(login: $login) {
                login name followers fetchedAt stale
                stats { repositories stars forks followers commits pullRequests issues reviews contributedTo }
                withForks: stats(includeForks: true) { repositories }
                languages(limit: 2) { name bytes percent color }
                noHello: languages(excludeRepositories: ["hello-world"]) { name percent }
                rank { level percentile }
            } }"#,
            json!({ "login": "octocat" }),
            None,
        )
        .await;

    assert!(response["errors"].is_null(), "{response}");
    let user = &response["data"]["user"];
    assert_eq!(user["login"], "octocat");
    assert_eq!(user["stale"], false);
    assert_eq!(
        user["stats"],
        json!({ "repositories": 3, "stars": 2300, "forks": 420, "followers": 4000, "commits": 1234,
                "pullRequests": 56, "issues": 78, "reviews": 90, "contributedTo": 12 })
    );
    assert_eq!(user["withForks"]["repositories"], 4);
    assert_eq!(
        user["languages"],
        json!([
            { "name": "Rust", "bytes": 6000, "percent": 60.0, "color": "#dea584" },
            { "name": "TypeScript", "bytes": 3000, "percent": 30.0, "color": "#3178c6" },
        ])
    );
    assert_eq!(user["noHello"], json!([{ "name": "TypeScript", "percent": 100.0 }]));
    assert!(["S", "A+", "A", "A-", "B+", "B", "B-", "C+", "C"].contains(&user["rank"]["level"].as_str().unwrap()));
}

#[tokio::test]
async fn errors_carry_a_stable_code() {
    let app = spawn_app().await;

    let unknown = app.graphql("{ user(login: \"nobody-here\") { login } }", json!({}), None).await;
    let invalid = app.graphql("{ user(login: \"bad_login\") { login } }", json!({}), None).await;
    let missing_banner = app.graphql("{ banner(id: \"nope\") { id } }", json!({}), None).await;
    app.github.rate_limit_token(crate::helpers::GOOD_TOKEN);
    let limited = app.graphql("{ user(login: \"forkful\") { login } }", json!({}), None).await;

    assert_eq!(code(&unknown), "NOT_FOUND");
    assert_eq!(code(&invalid), "BAD_USER_INPUT");
    assert_eq!(code(&missing_banner), "NOT_FOUND");
    assert_eq!(code(&limited), "RATE_LIMITED");
    assert!(limited["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn repositories_paginate_by_cursor_over_250_items() {
    let app = spawn_app().await;
    let query = r#"query($after: String) { user(login: "many") { repositories(first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { name stars } } } } }"#;

    let mut seen = Vec::new();
    let mut after = Value::Null;
    for _ in 0..10 {
        let response = app.graphql(query, json!({ "after": after }), None).await;
        assert!(response["errors"].is_null(), "{response}");
        let connection = &response["data"]["user"]["repositories"];
        assert_eq!(connection["totalCount"], 250);
        for edge in connection["edges"].as_array().unwrap() {
            seen.push(edge["node"]["stars"].as_i64().unwrap());
        }
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }

    let expected: Vec<i64> = (1..=250).rev().collect();
    assert_eq!(seen, expected, "every repository once, most starred first");
}

#[tokio::test]
async fn themes_and_preview_queries_work() {
    let app = spawn_app().await;

    let response = app
        .graphql(
            r#"{ themes { name types palette { key color } }
                 theme(name: "dracula") { displayName types sizes { type width height } }
                 light: theme(name: "github-light") { dark }
                 missing: theme(name: "nope") { name }
                 preview(login: "octocat", type: "compact", theme: "dracula", options: [{ name: "show_icons", value: "true" }]) }"#,
            json!({}),
            None,
        )
        .await;

    assert!(response["errors"].is_null(), "{response}");
    assert!(response["data"]["themes"].as_array().unwrap().len() >= 14);
    assert_eq!(
        response["data"]["theme"]["types"],
        json!(["wide", "compact", "languages", "pin", "gist", "wakatime", "streak", "calendar"])
    );
    assert!(response["data"]["missing"].is_null());
    assert_eq!(response["data"]["light"]["dark"], "github-dark");
    let svg = response["data"]["preview"].as_str().unwrap();
    crate::helpers::assert_valid_svg(svg);
    assert!(svg.contains("class=\"icon\""));
}

#[tokio::test]
async fn token_pool_is_admin_only_and_never_shows_tokens() {
    let app = spawn_app().await;
    app.preview("username=octocat").await;
    let query = "{ tokenPool { position state remaining limit resetAt parkedUntil } }";

    let anonymous = app.graphql(query, json!({}), None).await;
    let wrong = app.graphql(query, json!({}), Some("wrong-key")).await;
    let admin = app.graphql(query, json!({}), Some(API_KEY)).await;

    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    assert_eq!(code(&wrong), "UNAUTHENTICATED");
    assert!(admin["errors"].is_null(), "{admin}");
    assert_eq!(admin["data"]["tokenPool"][0]["position"], 1);
    assert_eq!(admin["data"]["tokenPool"][0]["state"], "ACTIVE");
    assert!(admin["data"]["tokenPool"][0]["remaining"].as_i64().unwrap() < 5000);
    assert!(!admin.to_string().contains(crate::helpers::GOOD_TOKEN));
}

#[tokio::test]
async fn abusive_queries_are_rejected_before_they_run() {
    let app = spawn_app().await;
    // Deeper than any real client goes (the standard introspection query reaches 15).
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
        "ofType { ".repeat(14),
        " }".repeat(14)
    );
    let wide: String = (0..600).map(|i| format!("a{i}: user(login: \"octocat\") {{ login }} ")).collect();

    let too_deep = app.graphql(&deep, json!({}), None).await;
    let too_complex = app.graphql(&format!("{{ {wide} }}"), json!({}), None).await;

    assert!(too_deep["errors"][0]["message"].as_str().unwrap().contains("nested too deep"), "{too_deep}");
    assert!(too_complex["errors"][0]["message"].as_str().unwrap().contains("too complex"), "{too_complex}");
    assert!(app.github.requests().is_empty());
}

#[tokio::test]
async fn refresh_user_fetches_now_and_is_throttled_per_minute() {
    let app = spawn_app().await;
    app.preview("username=octocat").await;
    app.github.update_user("octocat", |u| u.followers = 5000);
    let mutation = "mutation { refreshUser(login: \"octocat\") { followers } }";

    let anonymous = app.graphql(mutation, json!({}), None).await;
    let first = app.graphql(mutation, json!({}), Some(API_KEY)).await;
    let second = app.graphql(mutation, json!({}), Some(API_KEY)).await;

    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    assert_eq!(first["data"]["refreshUser"]["followers"], 5000, "{first}");
    assert_eq!(code(&second), "THROTTLED");
    assert_eq!(app.github.request_count_for("octocat", "UserStats"), 2);
}

#[tokio::test]
async fn the_checked_in_schema_matches_the_code() {
    let checked_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();

    assert_eq!(
        checked_in,
        github_banners::api::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

#[tokio::test]
async fn an_oversized_request_body_is_refused() {
    let app = spawn_app().await;
    let huge = format!("{{ user(login: \"octocat\") {{ login }} }} # {}", "x".repeat(100_000));

    let response =
        app.client.post(format!("{}/graphql", app.address)).json(&json!({ "query": huge })).send().await.unwrap();

    assert_eq!(response.status(), 413);
}
