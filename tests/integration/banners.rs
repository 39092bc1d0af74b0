//! Persistent banners through REST and GraphQL: create, read, update, delete, images, auth.

use serde_json::{Value, json};

use crate::helpers::{API_KEY, TestApp, assert_valid_svg, spawn_app};

async fn post_banner(app: &TestApp, body: Value, key: Option<&str>) -> (u16, Value) {
    let mut request = app.client.post(format!("{}/banners", app.address)).json(&body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn banner_count(app: &TestApp) -> usize {
    let response = app.graphql("{ banners(first: 100) { edges { node { id } } } }", json!({}), None).await;
    response["data"]["banners"]["edges"].as_array().unwrap().len()
}

#[tokio::test]
async fn rest_create_then_serve_svg_and_png_with_etags_then_delete() {
    let app = spawn_app().await;

    let (status, created) = post_banner(
        &app,
        json!({ "username": "octocat", "type": "compact", "theme": "dracula", "options": { "show_icons": "true" } }),
        Some(API_KEY),
    )
    .await;

    assert_eq!(status, 201, "{created}");
    let id = created["banner"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["urls"]["svg"], format!("/banners/{id}.svg"));
    let svg = app.get(&format!("/banners/{id}.svg")).await;
    assert_eq!(svg.status, 200);
    assert!(assert_valid_svg(&svg.body).contains("2,300"));
    assert!(svg.body.contains("class=\"icon\""));
    let etag = svg.header("etag").to_owned();
    let again = app.get_with(&format!("/banners/{id}.svg"), &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    let png = app.client.get(format!("{}/banners/{id}.png", app.address)).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    crate::themes::assert_png_not_blank(&png.bytes().await.unwrap());

    let deleted = app.client.delete(format!("{}/banners/{id}", app.address)).bearer_auth(API_KEY).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = app.get(&format!("/banners/{id}.svg")).await;
    assert_eq!(gone.status, 404);
    assert_valid_svg(&gone.body);
}

#[tokio::test]
async fn rest_bad_input_gets_a_json_error_and_writes_nothing() {
    let app = spawn_app().await;
    let cases = [
        (json!({ "username": "bad_name" }), 400, "BAD_USER_INPUT"),
        (json!({ "username": "octocat", "type": "huge" }), 400, "BAD_USER_INPUT"),
        (json!({ "username": "octocat", "theme": "nope" }), 400, "BAD_USER_INPUT"),
        (json!({ "username": "octocat", "options": { "layout": "spiral" } }), 400, "BAD_USER_INPUT"),
        (json!({ "username": "octocat", "colour": "red" }), 400, "BAD_USER_INPUT"),
        (json!({ "username": "nobody-here" }), 400, "BAD_USER_INPUT"),
        (json!({ "type": "wide" }), 400, "BAD_USER_INPUT"),
    ];

    for (body, status, code) in cases {
        let (got, error) = post_banner(&app, body.clone(), Some(API_KEY)).await;
        assert_eq!((got, error["error"]["code"].as_str()), (status, Some(code)), "{body}: {error}");
    }
    let (unauthenticated, error) = post_banner(&app, json!({ "username": "octocat" }), None).await;
    assert_eq!((unauthenticated, error["error"]["code"].as_str()), (401, Some("UNAUTHENTICATED")));
    let (wrong_key, _) = post_banner(&app, json!({ "username": "octocat" }), Some("nope")).await;
    assert_eq!(wrong_key, 401);
    assert_eq!(banner_count(&app).await, 0);
    let unknown = app.get("/banners/doesnotexist.svg").await;
    assert_eq!(unknown.status, 404);
    let unauthorized_delete = app.client.delete(format!("{}/banners/x", app.address)).send().await.unwrap();
    assert_eq!(unauthorized_delete.status(), 401);
}

#[tokio::test]
async fn graphql_mutations_need_a_key_and_change_nothing_without_one() {
    let app = spawn_app().await;
    let create = r#"mutation { createBanner(input: { username: "octocat", type: "languages", options: [{ name: "layout", value: "donut" }] }) { id type theme options { name value } svgUrl owner { login } } }"#;

    for key in [None, Some("wrong")] {
        let response = app.graphql(create, json!({}), key).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    assert_eq!(banner_count(&app).await, 0);

    let created = app.graphql(create, json!({}), Some(API_KEY)).await;
    assert!(created["errors"].is_null(), "{created}");
    let banner = &created["data"]["createBanner"];
    let id = banner["id"].as_str().unwrap().to_owned();
    assert_eq!(banner["options"], json!([{ "name": "layout", "value": "donut" }]));
    assert_eq!(banner["owner"]["login"], "octocat");

    let update = r#"mutation($id: ID!) { updateBanner(id: $id, input: { theme: "nord" }) { theme type } }"#;
    let delete = r#"mutation($id: ID!) { deleteBanner(id: $id) }"#;
    for mutation in [update, delete] {
        let response = app.graphql(mutation, json!({ "id": id }), None).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    let read = app.graphql("query($id: ID!) { banner(id: $id) { theme } }", json!({ "id": id }), None).await;
    assert_eq!(read["data"]["banner"]["theme"], "default", "unauthenticated update changed nothing");

    let updated = app.graphql(update, json!({ "id": id }), Some(API_KEY)).await;
    assert_eq!(updated["data"]["updateBanner"], json!({ "theme": "nord", "type": "languages" }));
    let bad_update = app
        .graphql(
            r#"mutation($id: ID!) { updateBanner(id: $id, input: { theme: "nope" }) { theme } }"#,
            json!({ "id": id }),
            Some(API_KEY),
        )
        .await;
    assert_eq!(bad_update["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let deleted = app.graphql(delete, json!({ "id": id }), Some(API_KEY)).await;
    assert_eq!(deleted["data"]["deleteBanner"], id.as_str());
    let again = app.graphql(delete, json!({ "id": id }), Some(API_KEY)).await;
    assert_eq!(again["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn banners_paginate_by_cursor_and_filter_by_owner() {
    let app = spawn_app().await;
    for i in 0..260 {
        let owner = if i % 2 == 0 { "octocat" } else { "forkful" };
        let (status, _) = post_banner(&app, json!({ "username": owner, "type": "compact" }), Some(API_KEY)).await;
        assert_eq!(status, 201);
    }
    let query = r#"query($after: String, $owner: String) { banners(first: 50, after: $after, owner: $owner) {
        pageInfo { hasNextPage endCursor } edges { node { id username owner { login } } } } }"#;

    let mut all = Vec::new();
    let mut after = Value::Null;
    loop {
        let response = app.graphql(query, json!({ "after": after }), None).await;
        assert!(response["errors"].is_null(), "{response}");
        let connection = &response["data"]["banners"];
        for edge in connection["edges"].as_array().unwrap() {
            all.push(edge["node"]["id"].as_str().unwrap().to_owned());
            assert!(edge["node"]["owner"]["login"].is_string(), "owner resolved through the loader");
        }
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((all.len(), unique.len()), (260, 260));

    let octocats = app.graphql(query, json!({ "owner": "OCTOCAT" }), None).await;
    let edges = octocats["data"]["banners"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 50);
    assert!(edges.iter().all(|e| e["node"]["username"] == "octocat"));
}

#[tokio::test]
async fn a_stats_refresh_re_renders_that_users_stored_banners_only() {
    let app = spawn_app().await;
    let (_, mine) = post_banner(&app, json!({ "username": "octocat", "type": "compact" }), Some(API_KEY)).await;
    let (_, other) = post_banner(&app, json!({ "username": "forkful", "type": "compact" }), Some(API_KEY)).await;
    let (mine, other) =
        (mine["banner"]["id"].as_str().unwrap().to_owned(), other["banner"]["id"].as_str().unwrap().to_owned());
    let before_mine = app.get(&format!("/banners/{mine}.svg")).await;
    let before_other = app.get(&format!("/banners/{other}.svg")).await;
    // Everything so far is published and handled before we start listening.
    app.step().await;
    let mut events = app.bus.subscribe().await.unwrap();
    app.github.update_user("octocat", |u| u.repo_mut("hello-world").stars += 1000);

    let refreshed =
        app.graphql("mutation { refreshUser(login: \"octocat\") { login } }", json!({}), Some(API_KEY)).await;
    assert!(refreshed["errors"].is_null(), "{refreshed}");

    // The StatsRefreshed event makes the consumer re-render the stored banner before anyone asks.
    app.step().await;
    let mut rendered = Vec::new();
    while let Some(Some(event)) = futures::FutureExt::now_or_never(futures::StreamExt::next(&mut events)) {
        if let github_banners::events::EventKind::BannerRendered { banner_id, .. } = event.kind {
            rendered.push(banner_id);
        }
    }
    assert_eq!(rendered, std::slice::from_ref(&mine), "only the refreshed user's banner is re-rendered");

    let after_mine = app.get(&format!("/banners/{mine}.svg")).await;
    let after_other = app.get(&format!("/banners/{other}.svg")).await;
    assert_ne!(before_mine.header("etag"), after_mine.header("etag"));
    assert!(assert_valid_svg(&after_mine.body).contains("3,300"));
    assert_eq!(before_other.header("etag"), after_other.header("etag"));
}

#[tokio::test]
async fn a_username_with_surrounding_spaces_is_stored_trimmed_over_rest_and_graphql() {
    let app = spawn_app().await;

    let (status, rest) = post_banner(&app, json!({ "username": "  octocat ", "type": "compact" }), Some(API_KEY)).await;
    let graphql = app
        .graphql(
            "mutation { createBanner(input: { username: \" octocat\\t\" }) { id username } }",
            json!({}),
            Some(API_KEY),
        )
        .await;

    assert_eq!(status, 201, "{rest}");
    assert_eq!(rest["banner"]["username"], "octocat");
    assert_eq!(graphql["data"]["createBanner"]["username"], "octocat", "{graphql}");
    for id in [rest["banner"]["id"].as_str().unwrap(), graphql["data"]["createBanner"]["id"].as_str().unwrap()] {
        let image = app.get(&format!("/banners/{id}.svg")).await;
        assert_eq!(image.status, 200, "{}", image.body);
    }
}
