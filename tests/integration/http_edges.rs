//! The HTTP edge under abuse: per-client rate limits, slow and idle connections, GraphiQL's
//! protections.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, TestConfig, assert_valid_svg, spawn_app, spawn_app_with};

fn limited(requests_per_minute: u32, costly_per_minute: u32, trusted: Option<&str>) -> TestConfig {
    let mut config = TestConfig::default();
    config.limits.client_requests_per_minute = requests_per_minute;
    config.limits.client_costly_per_minute = costly_per_minute;
    config.limits.trusted_proxies = trusted.map(|t| github_banners::config::Networks(vec![t.parse().unwrap()]));
    config
}

#[tokio::test]
async fn a_client_over_its_budget_gets_429_cards_while_other_clients_are_served() {
    // 8 a minute: a burst of 2, then one every 7.5 s.
    let app = spawn_app_with(limited(8, 1000, Some("127.0.0.1/32"))).await;
    let from = |ip: &'static str| [("x-forwarded-for", ip)];

    let first = app.get_with("/banners/preview?username=octocat", &from("203.0.113.1")).await;
    let second = app.get_with("/banners/preview?username=octocat", &from("203.0.113.1")).await;
    let third = app.get_with("/banners/preview?username=octocat", &from("203.0.113.1")).await;
    let graphql = app.get_with("/graphql", &from("203.0.113.1")).await;
    let other = app.get_with("/banners/preview?username=octocat", &from("198.51.100.2")).await;

    assert_eq!((first.status, second.status, third.status, graphql.status, other.status), (200, 200, 429, 429, 200));
    let retry: u64 = third.header("retry-after").parse().unwrap();
    assert!((1..=8).contains(&retry), "{retry}");
    assert!(assert_valid_svg(&third.body).contains("Too many requests"));
    assert!(graphql.body.contains("TOO_MANY_REQUESTS"), "{}", graphql.body);
    assert_eq!(app.get("/healthz").await.status, 200, "probes are never limited");
}

#[tokio::test]
async fn the_readiness_probe_is_limited_like_any_request() {
    let app = spawn_app_with(limited(8, 1000, None)).await;
    let statuses: Vec<u16> =
        futures::future::join_all((0..4).map(|_| app.get("/readyz"))).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 2, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2, "{statuses:?}");
    assert_eq!(app.get("/healthz").await.status, 200, "liveness stays free");
}

#[tokio::test]
async fn a_client_cannot_make_itself_new_budgets_behind_a_trusted_proxy() {
    // The proxy (127.0.0.1) appends the address it saw to X-Forwarded-For.
    let app = spawn_app_with(limited(8, 1000, Some("127.0.0.1/32"))).await;
    let mut statuses = Vec::new();
    for n in 1..=6 {
        let forwarded = format!("for=198.51.100.{n}");
        let prepended = format!("203.0.113.{n}, 192.0.2.50");
        let headers = [("forwarded", forwarded.as_str()), ("x-forwarded-for", prepended.as_str())];
        statuses.push(app.get_with("/banners/preview?username=octocat", &headers).await.status);
    }
    assert_eq!(statuses, [200, 200, 429, 429, 429, 429], "one client: 192.0.2.50");
    let mut unknown = Vec::new();
    for _ in 0..4 {
        let headers = [("x-forwarded-for", "unknown")];
        unknown.push(app.get_with("/banners/preview?username=octocat", &headers).await.status);
    }
    assert_eq!(unknown, [200, 200, 429, 429], "unreadable addresses share one budget, never the proxy's");
}

#[tokio::test]
async fn forwarded_headers_from_untrusted_peers_do_not_make_new_clients() {
    let app = spawn_app_with(limited(8, 1000, None)).await;

    let mut statuses = Vec::new();
    for i in 0..3 {
        let spoofed = format!("203.0.113.{i}");
        statuses.push(app.get_with("/healthz-not-a-route", &[("x-forwarded-for", spoofed.as_str())]).await.status);
    }

    assert_eq!(statuses, [404, 404, 429]);
}

#[tokio::test]
async fn new_users_spend_from_a_smaller_budget_than_cached_answers() {
    // 4 costly a minute: a burst of 1.
    let app = spawn_app_with(limited(1000, 4, None)).await;

    let cold = app.preview("username=octocat").await;
    let second_cold = app.preview("username=forkful").await;
    let cached = app.preview("username=octocat").await;
    // A card of a user in memory that is not drawn yet is a render: costly too.
    let new_render = app.preview("username=octocat&theme=dark").await;

    assert_eq!((cold.status, second_cold.status, cached.status), (200, 429, 200));
    assert_eq!(new_render.status, 429);
    assert_eq!(app.github.requests().len(), 1, "the refused user never reached GitHub");
}

async fn read_until_closed(app: &TestApp, send: &[u8]) -> Result<String, &'static str> {
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    stream.write_all(send).await.unwrap();
    let mut reply = Vec::new();
    match tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await {
        Ok(_) => Ok(String::from_utf8_lossy(&reply).into_owned()),
        Err(_) => Err("the server kept the connection open"),
    }
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    let mut config = TestConfig::default();
    config.limits.header_read_timeout = Duration::from_millis(300);
    let app = spawn_app_with(config).await;

    let slowloris = read_until_closed(&app, b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: ").await;
    let idle = read_until_closed(&app, b"").await;
    let kept_alive = read_until_closed(&app, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;

    assert!(slowloris.is_ok() && idle.is_ok(), "{slowloris:?} {idle:?}");
    let kept_alive = kept_alive.expect("an idle keep-alive connection is closed too");
    assert!(kept_alive.starts_with("HTTP/1.1 200"), "{kept_alive}");
}

#[tokio::test]
async fn graphiql_is_pinned_with_integrity_and_cannot_be_framed() {
    let app = spawn_app().await;

    let page = app.get("/graphql").await;
    let script = app.get("/graphql/graphiql.js").await;

    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-eval"), "{csp}");
    assert!(!csp.contains("script-src 'self' https://unpkg.com;"), "exact files, not a whole CDN: {csp}");
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    assert_eq!(page.header("x-frame-options"), "DENY");
    for tag in page.body.split("<script").skip(1).chain(page.body.split("<link rel=\"stylesheet\"").skip(1)) {
        let tag = &tag[..tag.find('>').unwrap()];
        if tag.contains("https://") {
            assert!(tag.contains("integrity=\"sha384-") && tag.contains("@"), "unpinned or unchecked: {tag}");
        }
    }
    assert_eq!(script.status, 200);
    assert!(script.body.contains("GraphiQL.createFetcher"));
}
