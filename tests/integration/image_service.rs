//! The image service seen through the router: compressed answers, cache keys that follow the data
//! and ignore spelling, ETags that stay put while nothing changes.

use serde_json::json;

use crate::helpers::{API_KEY, TestApp, assert_valid_svg, spawn_app};

async fn raw(app: &TestApp, path: &str, accept_encoding: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .header("accept-encoding", accept_encoding)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    (headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn svg_cards_are_compressed_for_clients_that_accept_it_and_never_pngs() {
    use std::io::Read;
    let app = spawn_app().await;
    let path = "/banners/preview?username=octocat&type=compact";

    let (plain_headers, plain) = raw(&app, path, "identity").await;
    let (gzip_headers, gzipped) = raw(&app, path, "gzip, deflate").await;
    let (br_headers, brotli) = raw(&app, path, "gzip, deflate, br").await;
    let (png_headers, _) = raw(&app, "/banners/preview.png?username=octocat", "gzip, br").await;

    assert!(plain_headers.get("content-encoding").is_none());
    assert_eq!(gzip_headers["content-encoding"], "gzip");
    assert_eq!(br_headers["content-encoding"], "br");
    for headers in [&plain_headers, &gzip_headers, &br_headers] {
        assert_eq!(headers["vary"], "Accept-Encoding");
        assert_eq!(headers["etag"], plain_headers["etag"], "one representation's tag per image");
    }
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..]).read_to_end(&mut unzipped).unwrap();
    let mut unbrotlied = Vec::new();
    brotli::BrotliDecompress(&mut &brotli[..], &mut unbrotlied).unwrap();
    assert_eq!(unzipped, plain);
    assert_eq!(unbrotlied, plain);
    assert!(gzipped.len() < plain.len() / 2 && brotli.len() < plain.len() / 2);
    assert!(png_headers.get("content-encoding").is_none(), "PNG is compressed already");
}

#[tokio::test]
async fn a_cached_card_changes_when_its_data_does_and_only_then() {
    let app = spawn_app().await;
    let path = "/banners/preview?username=octocat&type=compact";
    let first = app.get(path).await;
    let again = app.get(path).await;
    app.github.update_user("octocat", |u| u.repo_mut("hello-world").stars += 1000);

    let refreshed =
        app.graphql("mutation { refreshUser(login: \"octocat\") { login } }", json!({}), Some(API_KEY)).await;
    let after = app.get(path).await;

    assert!(refreshed["errors"].is_null(), "{refreshed}");
    assert_eq!(first.header("etag"), again.header("etag"));
    assert_ne!(after.header("etag"), first.header("etag"));
    assert!(assert_valid_svg(&after.body).contains("3,300"));
    let revalidated = app.get_with(path, &[("if-none-match", after.header("etag"))]).await;
    assert_eq!(revalidated.status, 304);
    assert_eq!(app.github.request_count_for("octocat", "UserStats"), 2);
}

#[tokio::test]
async fn equal_requests_spelled_differently_share_one_image() {
    let app = spawn_app().await;

    let a = app.preview("username=octocat&type=compact&title_color=FF0000&hide=prs,issues&unknown=1").await;
    let b = app.preview("type=compact&hide=issues%2Cpull_requests&title_color=%23ff0000&username=OctoCat").await;
    let c = app.preview("username=octocat&type=compact&title_color=00ff00").await;

    assert_eq!((a.status, b.status, c.status), (200, 200, 200));
    assert_eq!(a.header("etag"), b.header("etag"));
    assert_ne!(a.header("etag"), c.header("etag"));
}
