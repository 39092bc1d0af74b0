//! `format=json`: what a card shows, as data, for every kind and route.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn json_of(app: &TestApp, path: &str) -> Value {
    let reply = app.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    assert_eq!(reply.header("content-type"), "application/json; charset=utf-8", "{path}");
    serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {}", reply.body))
}

fn item(card: &Value, key: &str) -> Value {
    card["items"].as_array().unwrap().iter().find(|i| i["key"] == key).cloned().unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_stats_card_as_json_has_the_numbers_it_shows_and_nothing_of_its_look() {
    let app = spawn_app().await;

    let card = json_of(&app, "/banners/preview?username=octocat&type=compact&format=json&hide=issues").await;

    assert_eq!((card["format_version"].clone(), card["kind"].clone()), (json!(1), json!("compact")));
    assert_eq!(card["user"]["login"], "octocat");
    assert_eq!(card["title"], "The Octocat's GitHub Stats");
    assert_eq!(item(&card, "stars")["value"], 2300);
    assert_eq!(item(&card, "pull_requests")["value"], 5120, "all-time, as the card labels it");
    assert_eq!(item(&card, "issues"), Value::Null, "hidden on the card, absent here");
    assert_eq!(card["stats"], json!({ "repositories": 3 }), "numbers the card does not show stay out");
    let level = card["rank"]["level"].as_str().unwrap_or_default();
    assert!(["S", "A+", "A", "A-", "B+", "B", "B-", "C+", "C"].contains(&level), "{card}");
    assert!(card.get("theme").is_none(), "{card}");
    // The same data whatever the look: a theme pair, colours.
    let styled = json_of(&app, "/api?username=octocat&format=json&theme=auto&title_color=ff0000&hide=issues").await;
    assert_eq!(styled["items"], json_of(&app, "/api?username=octocat&format=json&hide=issues").await["items"]);
}

#[tokio::test]
async fn languages_repositories_and_stored_banners_come_as_json_too() {
    let app = spawn_app().await;

    let languages = json_of(&app, "/api/top-langs?username=octocat&format=json").await;
    let pin = json_of(&app, "/banners/preview?type=pin&repo=octocat/hello-world&format=json").await;
    let id = app.create_banner(json!({ "username": "octocat", "type": "languages" })).await;
    let stored = json_of(&app, &format!("/banners/{id}.json")).await;

    let shares: Vec<(String, String, f64)> = languages["languages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_owned(),
                l["color"].as_str().unwrap().to_owned(),
                l["percent"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shares,
        [
            ("Rust".to_owned(), "#dea584".to_owned(), 60.0),
            ("TypeScript".to_owned(), "#3178c6".to_owned(), 30.0),
            ("Shell".to_owned(), "#89e051".to_owned(), 10.0)
        ]
    );
    assert_eq!(pin["kind"], "pin");
    assert!(pin.to_string().contains("hello-world"), "{pin}");
    assert_eq!(stored["languages"], languages["languages"]);
}

#[tokio::test]
async fn errors_asked_for_as_json_are_json() {
    let app = spawn_app().await;

    let reply = app.get("/banners/preview?username=nobody-here&format=json").await;
    let bad = app.get("/banners/preview?username=octocat&format=yaml").await;

    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("content-type"), "application/json");
    let body: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND", "{body}");
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("must be svg, png or json"), "{}", bad.body);
}
