//! One way in: every front door (our preview route, github-readme-stats' and streak-stats'
//! routes, GraphQL over HTTP and over WebSocket, stored banners, the CLI) admits every card kind
//! the same way: a login the instance does not show is refused before GitHub is asked, and what
//! a request must fetch or draw is charged to the client's costly budget before it is done.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::fake_github::{FakeGist, FakeRepo, FakeUser};
use crate::fake_wakatime::FakeWakaTime;
use crate::helpers::{API_KEY, TestApp, TestConfig, spawn_app_with};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    Preview,
    Grs,
    StreakStats,
    GraphQl,
    WebSocket,
    StoredBanner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Wide,
    Compact,
    Languages,
    Pin,
    Gist,
    WakaTime,
    Streak,
    Calendar,
}

const KINDS: [Kind; 8] =
    [Kind::Wide, Kind::Compact, Kind::Languages, Kind::Pin, Kind::Gist, Kind::WakaTime, Kind::Streak, Kind::Calendar];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Wide => "wide",
            Kind::Compact => "compact",
            Kind::Languages => "languages",
            Kind::Pin => "pin",
            Kind::Gist => "gist",
            Kind::WakaTime => "wakatime",
            Kind::Streak => "streak",
            Kind::Calendar => "calendar",
        }
    }

    /// The doors that serve this kind: ours for every kind, the other services' for theirs.
    fn doors(self) -> Vec<Door> {
        let mut doors = vec![Door::Preview, Door::GraphQl, Door::WebSocket, Door::StoredBanner];
        match self {
            Kind::Compact | Kind::Languages | Kind::Pin | Kind::Gist | Kind::WakaTime => doors.push(Door::Grs),
            Kind::Streak => doors.push(Door::StreakStats),
            _ => {}
        }
        doors
    }
}

/// What a card is about.
#[derive(Debug, Clone)]
enum What {
    /// A GitHub login (user cards and contribution cards).
    User(String),
    /// A repository, and the `username` the URL names beside it.
    Repo {
        username: String,
        repo: String,
    },
    Gist(String),
    WakaTime(String),
}

impl What {
    /// The subject in our parameter names.
    fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            What::User(login) | What::WakaTime(login) => vec![("username", login.clone())],
            What::Repo { username, repo } => vec![("username", username.clone()), ("repo", repo.clone())],
            What::Gist(id) => vec![("id", id.clone())],
        }
    }

    /// The login GraphQL's `preview(login:)` takes (a gist card's is not used).
    fn login(&self) -> String {
        match self {
            What::User(login) | What::WakaTime(login) => login.clone(),
            What::Repo { username, .. } => username.clone(),
            What::Gist(_) => "anyone".to_owned(),
        }
    }
}

/// What a front door answered.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Shown,
    Forbidden,
    OverBudget,
    Other(String),
}

fn from_status(status: u16, body: &str) -> Answer {
    match status {
        200 => Answer::Shown,
        403 => Answer::Forbidden,
        429 => Answer::OverBudget,
        other => Answer::Other(format!("{other}: {}", &body[..body.len().min(300)])),
    }
}

fn from_graphql(response: &Value) -> Answer {
    if response["data"]["preview"].is_string() {
        return Answer::Shown;
    }
    match response["errors"][0]["extensions"]["code"].as_str() {
        Some("FORBIDDEN") => Answer::Forbidden,
        Some("TOO_MANY_REQUESTS") => Answer::OverBudget,
        _ => Answer::Other(response.to_string()),
    }
}

fn query_string(pairs: &[(&str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.finish()
}

/// Asks for a card of `kind` about `what` through `door`, as the client at `client_ip` (the
/// trusted proxy on 127.0.0.1 forwards it), in `theme`.
async fn ask(app: &TestApp, door: Door, kind: Kind, what: &What, theme: &str, client_ip: &str) -> Answer {
    let from = [("x-forwarded-for", client_ip)];
    let mut ours = vec![("type", kind.name().to_owned()), ("theme", theme.to_owned())];
    ours.extend(what.params());
    match door {
        Door::Preview => {
            let reply = app.get_with(&format!("/banners/preview?{}", query_string(&ours)), &from).await;
            from_status(reply.status, &reply.body)
        }
        Door::Grs => {
            let route = match kind {
                Kind::Compact => "/api",
                Kind::Languages => "/api/top-langs",
                Kind::Pin => "/api/pin",
                Kind::Gist => "/api/gist",
                Kind::WakaTime => "/api/wakatime",
                other => panic!("github-readme-stats has no {other:?} card"),
            };
            let mut theirs = what.params();
            theirs.push(("theme", theme.to_owned()));
            let reply = app.get_with(&format!("{route}?{}", query_string(&theirs)), &from).await;
            from_status(reply.status, &reply.body)
        }
        Door::StreakStats => {
            let reply = app.get_with(&format!("/?user={}&theme={theme}", what.login()), &from).await;
            from_status(reply.status, &reply.body)
        }
        Door::GraphQl | Door::WebSocket => {
            let options: Vec<Value> = what
                .params()
                .into_iter()
                .filter(|(name, _)| *name != "username")
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect();
            let query = "query($login: String!, $type: String!, $theme: String, $options: [BannerOptionInput!]) { \
                         preview(login: $login, type: $type, theme: $theme, options: $options) }";
            let variables = json!({ "login": what.login(), "type": kind.name(), "theme": theme, "options": options });
            let response = if door == Door::GraphQl {
                let request = app.client.post(format!("{}/graphql", app.address)).header(from[0].0, from[0].1);
                let response = request.json(&json!({ "query": query, "variables": variables })).send().await.unwrap();
                response.json::<Value>().await.unwrap()
            } else {
                over_websocket(app, client_ip, query, variables).await
            };
            from_graphql(&response)
        }
        Door::StoredBanner => panic!("stored banners are created first; see `view_banner`"),
    }
}

/// One GraphQL operation over a fresh WebSocket connection from `client_ip`.
async fn over_websocket(app: &TestApp, client_ip: &str, query: &str, variables: Value) -> Value {
    let mut request = format!("{}/graphql/ws", app.address.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    request.headers_mut().insert("x-forwarded-for", client_ip.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket.send(Message::text(json!({ "type": "connection_init" }).to_string())).await.unwrap();
    let payload = json!({ "query": query, "variables": variables });
    socket
        .send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": payload }).to_string()))
        .await
        .unwrap();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
        let Message::Text(text) = message else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        match message["type"].as_str() {
            Some("next") => return message["payload"].clone(),
            Some("error") => return json!({ "errors": message["payload"] }),
            _ => {}
        }
    }
}

/// Creates a stored banner (with the API key); the id, or the creation's status.
async fn create_banner(app: &TestApp, kind: Kind, what: &What, theme: &str) -> Result<String, u16> {
    let options: serde_json::Map<String, Value> =
        what.params().into_iter().filter(|(n, _)| *n != "username").map(|(n, v)| (n.to_owned(), json!(v))).collect();
    let body = json!({ "username": what.login(), "type": kind.name(), "theme": theme, "options": options });
    let response =
        app.client.post(format!("{}/banners", app.address)).bearer_auth(API_KEY).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let created: Value = response.json().await.unwrap();
    created["banner"]["id"].as_str().map(str::to_owned).ok_or(status)
}

async fn view_banner(app: &TestApp, id: &str, extension: &str, client_ip: &str) -> Answer {
    let reply = app.get_with(&format!("/banners/{id}.{extension}"), &[("x-forwarded-for", client_ip)]).await;
    from_status(reply.status, &reply.body)
}

fn proxied(mut config: TestConfig) -> TestConfig {
    config.limits.trusted_proxies = Some(github_banners::config::Networks(vec!["127.0.0.1/32".parse().unwrap()]));
    config
}

/// A user with a repository, a gist and contributions: everything a card can be about.
fn everything(login: &str, gist_id: &str) -> (FakeUser, FakeGist) {
    let user = FakeUser::new(login)
        .repo(FakeRepo::new("tool", 5).language("Rust", "#dea584", 1000))
        .contribution("2024-03-01T12:00:00Z", 2);
    let gist = FakeGist {
        id: gist_id.to_owned(),
        owner: login.to_owned(),
        description: Some("snippets".to_owned()),
        is_public: true,
        stars: 1,
        forks: 0,
        files: vec![("a.rs".to_owned(), Some(("Rust".to_owned(), "#dea584".to_owned())), 100)],
    };
    (user, gist)
}

const BLOCKED_GIST: &str = "b10c4ed0b10c4ed0b10c4ed0b10c4ed0";

/// How a card of `kind` may name the blocked login: as its subject, and for repositories also as
/// the owner beside another `username`.
fn blocked_subjects(kind: Kind) -> Vec<What> {
    let user = || What::User("blocked".to_owned());
    match kind {
        Kind::Pin => vec![
            What::Repo { username: "blocked".to_owned(), repo: "tool".to_owned() },
            What::Repo { username: "someone".to_owned(), repo: "blocked/tool".to_owned() },
        ],
        Kind::Gist => vec![What::Gist(BLOCKED_GIST.to_owned())],
        // A WakaTime name is not a GitHub login: the block list does not apply to it.
        Kind::WakaTime => vec![],
        _ => vec![user()],
    }
}

#[tokio::test]
async fn a_blocked_login_is_refused_at_every_front_door_for_every_kind_before_github_is_asked() {
    let config = proxied(TestConfig { blocked_users: vec!["Blocked".to_owned()], ..TestConfig::default() });
    let app = spawn_app_with(config).await;
    let (user, gist) = everything("blocked", BLOCKED_GIST);
    app.github.set_user(user);
    app.github.set_gist(gist);
    app.github.set_user(FakeUser::new("someone"));

    let mut checked = 0;
    for kind in KINDS {
        for what in blocked_subjects(kind) {
            for door in kind.doors() {
                let before = app.github.requests().len();
                let answer = if door == Door::StoredBanner {
                    match create_banner(&app, kind, &what, "default").await {
                        Ok(id) => Answer::Other(format!("created {id}")),
                        Err(status) => from_status(status, ""),
                    }
                } else {
                    ask(&app, door, kind, &what, "default", "192.0.2.1").await
                };
                assert_eq!(answer, Answer::Forbidden, "{door:?} x {kind:?} about {what:?}");
                let asked = app.github.requests().len() - before;
                // A gist's owner is only known from the gist: it is fetched (once, see below).
                let allowed = usize::from(kind == Kind::Gist);
                assert!(asked <= allowed, "{door:?} x {kind:?}: {asked} GitHub requests");
                checked += 1;
            }
        }
    }
    assert!(checked >= 25, "{checked} cases");
    // The same refusals for GraphQL's data fields.
    let data = app
        .graphql(
            &format!(
                r#"{{ repository(owner: "blocked", name: "tool") {{ name }} gist(id: "{BLOCKED_GIST}") {{ name }}
                     user(login: "blocked") {{ login }} }}"#
            ),
            json!({}),
            None,
        )
        .await;
    let codes: Vec<&str> =
        data["errors"].as_array().unwrap().iter().filter_map(|e| e["extensions"]["code"].as_str()).collect();
    assert_eq!(codes, ["FORBIDDEN"; 3], "{data}");
    let operations: Vec<String> = app.github.requests().into_iter().map(|r| r.operation).collect();
    assert_eq!(operations, ["GistCard"], "only the gist, once, to learn its owner");
}

#[tokio::test]
async fn the_cli_refuses_a_blocked_login_without_asking_github() {
    let github = crate::fake_github::FakeGitHub::start().await;
    github.add_token(crate::helpers::GOOD_TOKEN);
    github.set_user(everything("blocked", BLOCKED_GIST).0);
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let (url, cwd) = (github.url(), dir.path().to_owned());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_github-banners"))
            .args(["render", "blocked", "--type", "streak", "--github-api-url", &url])
            .args(["--github-tokens", crate::helpers::GOOD_TOKEN, "--database-url", &database])
            .env("BLOCKED_USERS", "blocked")
            .env("LOG_LEVEL", "error")
            .env_remove("THEMES_DIR")
            .current_dir(cwd)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not show `blocked`"), "{output:?}");
    assert!(github.requests().is_empty());
}

/// A card whose subject nobody asked for yet, per kind: a cold request.
fn cold(kind: Kind, case: usize, which: char) -> What {
    let login = format!("c{case}{which}");
    match kind {
        Kind::Pin => What::Repo { username: login, repo: "tool".to_owned() },
        Kind::Gist => What::Gist(gist_id(case, which)),
        Kind::WakaTime => What::WakaTime(format!("w{case}{which}")),
        _ => What::User(login),
    }
}

fn gist_id(case: usize, which: char) -> String {
    format!("{:030x}{:02x}", case, which as u32)
}

#[tokio::test]
async fn what_must_be_fetched_or_drawn_is_charged_to_the_client_at_every_front_door() {
    // 4 costly units a minute: a burst of one.
    let wakatime = FakeWakaTime::start().await;
    let mut config = proxied(TestConfig { wakatime_url: Some(wakatime.url()), ..TestConfig::default() });
    config.limits.client_costly_per_minute = 4;
    let app = spawn_app_with(config).await;

    let mut case = 0;
    for kind in KINDS {
        for door in kind.doors() {
            case += 1;
            let client = format!("198.51.100.{case}");
            let (a, b) = (cold(kind, case, 'a'), cold(kind, case, 'b'));
            for which in ['a', 'b'] {
                let (user, gist) = everything(&format!("c{case}{which}"), &gist_id(case, which));
                app.github.set_user(user);
                app.github.set_gist(gist);
                wakatime.set_user(&format!("w{case}{which}"), &[("Rust", 3600.0)]);
            }
            let label = format!("{door:?} x {kind:?}");
            if door == Door::StoredBanner {
                // Creating checks the subject (with the API key); a visitor's view that draws
                // (a PNG, the JSON) is what is charged.
                let (a, b) = (
                    create_banner(&app, kind, &a, "default").await.unwrap(),
                    create_banner(&app, kind, &b, "default").await.unwrap(),
                );
                assert_eq!(view_banner(&app, &a, "png", &client).await, Answer::Shown, "{label}");
                assert_eq!(view_banner(&app, &b, "png", &client).await, Answer::OverBudget, "{label}");
                assert_eq!(view_banner(&app, &a, "json", &client).await, Answer::OverBudget, "{label}: a new render");
                assert_eq!(view_banner(&app, &a, "png", &client).await, Answer::Shown, "{label}: cached, free");
                continue;
            }
            assert_eq!(ask(&app, door, kind, &a, "default", &client).await, Answer::Shown, "{label}");
            let before = (app.github.requests().len(), wakatime.requests_for(&format!("w{case}b")));
            assert_eq!(ask(&app, door, kind, &b, "default", &client).await, Answer::OverBudget, "{label}");
            let after = (app.github.requests().len(), wakatime.requests_for(&format!("w{case}b")));
            assert_eq!(before, after, "{label}: refused before anything was asked");
            assert_eq!(ask(&app, door, kind, &a, "dark", &client).await, Answer::OverBudget, "{label}: a new render");
            assert_eq!(ask(&app, door, kind, &a, "default", &client).await, Answer::Shown, "{label}: cached, free");
        }
    }
    assert!(case >= 38, "{case} cases");
}

#[tokio::test]
async fn commits_years_are_charged_and_bounded_to_years_github_has() {
    // 60 a minute: a burst of 15.
    let mut config = proxied(TestConfig::default());
    config.limits.client_costly_per_minute = 60;
    let app = spawn_app_with(config).await;
    let from = [("x-forwarded-for", "203.0.113.7")];
    assert_eq!(app.get_with("/banners/preview?username=octocat&type=compact", &from).await.status, 200);

    let this_year = chrono::Datelike::year(&github_banners::clock::Clock::now(app.clock.as_ref()));
    let before = app.github.requests().len();
    let mut statuses = Vec::new();
    for year in 2008..=this_year {
        let url = format!("/banners/preview?username=octocat&type=compact&commits_year={year}");
        statuses.push(app.get_with(&url, &from).await.status);
    }
    let answered = statuses.iter().filter(|s| **s == 200).count();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(answered < statuses.len(), "about the burst's worth of years: {statuses:?}");
    assert_eq!(app.github.requests().len() - before, answered, "one query per year answered, none for refused");

    // Years GitHub cannot have: a 400 naming the parameter, before any cost.
    for year in [2007, this_year + 1, 9999] {
        let url = format!("/banners/preview?username=octocat&type=compact&commits_year={year}");
        let reply = app.get_with(&url, &[("x-forwarded-for", "203.0.113.8")]).await;
        assert_eq!(reply.status, 400, "{year}");
        assert!(crate::helpers::assert_valid_svg(&reply.body).contains("commits_year"));
    }
    // All time: one query per year since the account was made, charged together (at most a burst).
    let all = app.get_with("/banners/preview?username=octocat&type=compact&include_all_commits=true", &from).await;
    assert_eq!(all.status, 429, "the client's burst is spent");
}

#[tokio::test]
async fn graphql_previews_are_charged_like_cards() {
    let mut config = TestConfig::default();
    config.limits.client_costly_per_minute = 4;
    config.limits.graphql_max_users = 10;
    let app = spawn_app_with(config).await;
    assert_eq!(app.preview("username=octocat").await.status, 200, "octocat is in memory");

    let themes = [
        "dark",
        "radical",
        "merko",
        "gruvbox",
        "tokyonight",
        "onedark",
        "cobalt",
        "synthwave",
        "highcontrast",
        "dracula",
    ];
    let query: String = themes
        .iter()
        .enumerate()
        .map(|(i, theme)| format!(r#"p{i}: preview(login: "octocat", type: "calendar", theme: "{theme}") "#))
        .collect();
    for round in 0..2 {
        let response = app.graphql(&format!("{{ {query} }}"), json!({}), None).await;
        let drawn = themes.iter().enumerate().filter(|(i, _)| response["data"][format!("p{i}")].is_string()).count();
        let refused = response["errors"]
            .as_array()
            .map_or(0, |e| e.iter().filter(|e| e["extensions"]["code"] == "TOO_MANY_REQUESTS").count());
        assert!(drawn <= 1, "round {round}: {drawn} drawn");
        assert_eq!(drawn + refused, themes.len(), "round {round}: {response}");
    }
}

#[tokio::test]
async fn each_websocket_operation_is_a_request_and_connections_are_bounded() {
    // 8 requests a minute: a burst of 2 (the upgrade is one).
    let mut config = TestConfig::default();
    config.limits.client_requests_per_minute = 8;
    let app = spawn_app_with(config).await;
    let mut socket = connect(&app).await;
    let answers = run_operations(&mut socket, 5).await;
    assert_eq!(answers[0], "data", "{answers:?}");
    assert!(answers[1..].iter().all(|a| a == "TOO_MANY_REQUESTS"), "{answers:?}");

    let mut config = TestConfig::default();
    config.limits.websocket_max_operations = 3;
    config.limits.websocket_idle_timeout = Duration::from_millis(300);
    let app = spawn_app_with(config).await;
    let mut socket = connect(&app).await;
    let answers = run_operations(&mut socket, 5).await;
    assert_eq!(answers, ["data", "data", "data", "TOO_MANY_REQUESTS", "TOO_MANY_REQUESTS"]);
    // Idle, with nothing running: the server closes the connection.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "an idle connection stays open");
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp) -> Socket {
    let mut request = format!("{}/graphql/ws", app.address.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket.send(Message::text(json!({ "type": "connection_init" }).to_string())).await.unwrap();
    socket
}

/// Runs `n` themes queries one after another; "data" or the error code of each.
async fn run_operations(socket: &mut Socket, n: usize) -> Vec<String> {
    let mut answers = Vec::new();
    for id in 0..n {
        let payload = json!({ "query": "{ themes { name } }" });
        let subscribe = json!({ "id": id.to_string(), "type": "subscribe", "payload": payload });
        socket.send(Message::text(subscribe.to_string())).await.unwrap();
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
            let Message::Text(text) = message else { continue };
            let message: Value = serde_json::from_str(&text).unwrap();
            if message["id"] != json!(id.to_string()) {
                continue;
            }
            match message["type"].as_str() {
                Some("next") if message["payload"]["data"].is_object() => answers.push("data".to_owned()),
                Some("next") => {
                    answers.push(message["payload"]["errors"][0]["extensions"]["code"].to_string().replace('"', ""))
                }
                Some("error") => answers.push(message["payload"][0]["extensions"]["code"].to_string().replace('"', "")),
                _ => continue,
            }
            break;
        }
    }
    answers
}

#[tokio::test]
async fn without_a_token_one_client_cannot_spend_everyones_hour() {
    let mut config = proxied(TestConfig { tokens: vec![], ..TestConfig::default() });
    config.limits.client_anonymous_per_hour = 5;
    let app = spawn_app_with(config).await;
    app.github.set_user(FakeUser::new("visitor"));

    let mut statuses = Vec::new();
    for i in 0..20 {
        let url = format!("/banners/preview?username=nobody-{i}");
        statuses.push(app.get_with(&url, &[("x-forwarded-for", "203.0.113.66")]).await.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 404).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15, "{statuses:?}");
    let rest = app.github.requests().iter().filter(|r| r.operation.starts_with("REST")).count();
    assert_eq!(rest, 5, "the rest of the hour is left for others");
    let refused = app.get_with("/banners/preview?username=nobody-99", &[("x-forwarded-for", "203.0.113.66")]).await;
    assert!(crate::helpers::assert_valid_svg(&refused.body).contains("share"), "{}", refused.body);

    let other = app.get_with("/banners/preview?username=visitor", &[("x-forwarded-for", "198.51.100.9")]).await;
    assert_eq!(other.status, 200, "another visitor is still served");
}

#[tokio::test]
async fn error_cards_asked_as_png_never_carry_the_visitors_text() {
    let app = spawn_app_with(TestConfig::default()).await;
    let mut bodies = std::collections::HashSet::new();
    for i in 0..8 {
        let url = format!("{}/banners/preview.png?username=octocat&hide=x{i}zzz", app.address);
        let reply = app.client.get(url).send().await.unwrap();
        assert_eq!(reply.status(), 400);
        assert_eq!(reply.headers()["content-type"], "image/png");
        bodies.insert(reply.bytes().await.unwrap());
    }
    assert_eq!(bodies.len(), 1, "one fixed PNG for the error, whatever the value");
    let svg = app.preview("username=octocat&hide=x0zzz").await;
    assert!(crate::helpers::assert_valid_svg(&svg.body).contains("x0zzz"), "the SVG says what is wrong");
}

#[tokio::test]
async fn error_cards_are_drawn_in_the_theme_and_pair_asked_for() {
    let app = spawn_app_with(TestConfig::default()).await;
    let plain = app.preview("username=octocat&hide=nope").await;
    let paired = app.preview("username=octocat&hide=nope&theme=github-light,dracula").await;
    let auto = app.preview("username=octocat&hide=nope&theme=nord,auto").await;
    for reply in [&plain, &paired, &auto] {
        assert_eq!(reply.status, 400);
        crate::helpers::assert_valid_svg(&reply.body);
    }
    assert!(!plain.body.contains("prefers-color-scheme"));
    assert!(paired.body.contains("prefers-color-scheme"), "both schemes: {}", paired.body);
    assert!(paired.body.to_ascii_lowercase().contains("#282a36"), "dracula's background for dark readers");
    assert_ne!(auto.body, plain.body, "nord, not the default theme");
    // github-readme-stats' routes too.
    let grs = app.get("/api?theme=dracula").await;
    assert_eq!(grs.status, 400);
    assert!(grs.body.to_ascii_lowercase().contains("#282a36"), "{}", grs.body);
}

#[tokio::test]
async fn graphql_counts_repositories_and_gists_as_subjects() {
    let app = spawn_app_with(TestConfig::default()).await;
    for i in 0..25 {
        app.github.set_gist(everything("octocat", &format!("{:032x}", i + 1)).1);
    }
    let gists: String = (0..25).map(|i| format!(r#"g{i}: gist(id: "{:032x}") {{ name }} "#, i + 1)).collect();
    let response = app.graphql(&format!("{{ {gists} }}"), json!({}), None).await;
    let refused = response["errors"].as_array().unwrap().iter().filter(|e| e["extensions"]["code"] == "BAD_USER_INPUT");
    assert_eq!(refused.count(), 20, "{response}");
    assert_eq!(app.github.requests().len(), 5);

    let repos: String =
        (0..25).map(|i| format!(r#"r{i}: repository(owner: "octocat", name: "repo{i}") {{ name }} "#)).collect();
    let response = app.graphql(&format!("{{ {repos} }}"), json!({}), None).await;
    let refused = response["errors"].as_array().unwrap().iter().filter(|e| e["extensions"]["code"] == "BAD_USER_INPUT");
    assert_eq!(refused.count(), 20, "{response}");
    assert_eq!(app.github.requests().len(), 10, "five repositories asked for, the rest refused first");
}
