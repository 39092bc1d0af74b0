//! `spawn_app`: the real application on 127.0.0.1:0 with a fresh database and a fake GitHub.
//!
//! The database is a SQLite file in a temp dir, or, when TEST_DATABASE_URL is set, a fresh
//! PostgreSQL schema that is dropped when the test ends.

use std::sync::{Arc, Once};
use std::time::Duration;

use github_banners::app::{Application, Overrides};
use github_banners::clock::ManualClock;
use github_banners::config::{
    DatabaseSettings, EventSettings, LimitSettings, LoginList, Settings, ThemeSettings, WorkerSettings,
};
use secrecy::SecretString;

use crate::fake_github::{FakeGitHub, fixtures};

pub const GOOD_TOKEN: &str = "ghp_good_token";
/// The API key every test app accepts (API_KEYS).
pub const API_KEY: &str = "test-api-key";
pub const WEBHOOK_SECRET: &str = "test-webhook-secret";
pub const SERVICES_SECRET: &str = "test-services-secret";

pub use github_banners::store::testing::TestDatabase;

async fn new_db() -> Arc<TestDatabase> {
    Arc::new(TestDatabase::from_env().await)
}

pub struct TestConfig {
    pub tokens: Vec<String>,
    pub soft_ttl: Duration,
    pub hard_ttl: Duration,
    pub db: Option<Arc<TestDatabase>>,
    pub github: Option<Arc<FakeGitHub>>,
    /// THEMES_DIR; None uses the built-in packs only.
    pub themes_dir: Option<std::path::PathBuf>,
    pub watch_themes: bool,
    /// KAFKA_BROKERS; None uses the in-process bus.
    pub kafka_brokers: Option<String>,
    pub kafka_topic: String,
    /// Rate limits and concurrency bounds; the default lets tests send as much as they like.
    pub limits: LimitSettings,
    pub known_user_wait: Duration,
    pub first_view_deadline: Duration,
    /// Ask the fake's REST API without a token when no token is usable (NO_REST_FALLBACK unset).
    pub rest_fallback: bool,
    pub allowed_users: Vec<String>,
    pub blocked_users: Vec<String>,
    /// A clock shared with other apps of the test (replicas); None gives the app its own.
    pub clock: Option<Arc<ManualClock>>,
    /// The test steps the relay and consumers (`TestApp::step`) instead of background loops.
    pub manual_background: bool,
    /// WAKATIME_API_URL; None points at a closed port on 127.0.0.1.
    pub wakatime_url: Option<String>,
    /// METRICS_TOKEN.
    pub metrics_token: Option<String>,
    /// PUBLIC_URL.
    pub public_url: Option<String>,
}

impl Default for TestConfig {
    fn default() -> Self {
        Self {
            tokens: vec![GOOD_TOKEN.to_owned()],
            soft_ttl: Duration::from_secs(600),
            hard_ttl: Duration::from_secs(86_400),
            db: None,
            github: None,
            themes_dir: None,
            watch_themes: false,
            kafka_brokers: None,
            kafka_topic: "github-banners.test".to_owned(),
            limits: LimitSettings {
                client_requests_per_minute: 1_000_000,
                client_costly_per_minute: 1_000_000,
                client_anonymous_per_hour: 1_000_000,
                ..LimitSettings::default()
            },
            known_user_wait: Duration::from_millis(300),
            first_view_deadline: Duration::from_secs(3),
            rest_fallback: true,
            allowed_users: Vec::new(),
            blocked_users: Vec::new(),
            clock: None,
            manual_background: true,
            wakatime_url: None,
            metrics_token: None,
            public_url: None,
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub github: Arc<FakeGitHub>,
    pub db: Arc<TestDatabase>,
    pub client: reqwest::Client,
    /// The app's background refresh scheduler (not looping in tests: call `run_once`).
    pub scheduler: github_banners::worker::RefreshScheduler,
    pub relay: github_banners::worker::OutboxRelay,
    /// The app's event consumers (stepped by `step` unless the background runs).
    pub consumers: github_banners::worker::Consumers,
    /// The app's stats service, to wait for a background refresh (`settled`).
    pub stats: github_banners::stats::StatsService,
    /// The app's theme packs, to wait for a reload.
    pub renderer: Arc<github_banners::render::Renderer>,
    /// The app's event bus, to observe what it publishes.
    pub bus: Arc<dyn github_banners::events::EventBus>,
    /// The clock the app goes by: it stands still until a test moves it.
    pub clock: Arc<ManualClock>,
    /// Stops the app gracefully (as SIGTERM does) when fired; see `shut_down`.
    stop: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    running: std::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
}

impl TestApp {
    /// A graceful shutdown, as on SIGTERM: requests in flight finish, then what the app keeps
    /// in memory is written; returns when the app has stopped.
    pub async fn shut_down(&self) {
        if let Some(stop) = self.stop.lock().unwrap().take() {
            let _ = stop.send(());
        }
        let running = self.running.lock().unwrap().take();
        if let Some(running) = running {
            running.await.expect("the app task").expect("the app stopped cleanly");
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestConfig::default()).await
}

/// The fake GitHub knows GOOD_TOKEN and the fixture users, unless `config.github` brings its own.
pub async fn spawn_app_with(config: TestConfig) -> TestApp {
    init_logging();
    let github = match config.github {
        Some(github) => github,
        None => {
            let github = FakeGitHub::start().await;
            github.add_token(GOOD_TOKEN);
            github.set_user(fixtures::octocat());
            github.set_user(fixtures::many_repos("many", 250));
            github.set_user(fixtures::with_forks_and_private());
            github.set_user(fixtures::hostile());
            Arc::new(github)
        }
    };
    let db = match config.db {
        Some(db) => db,
        None => new_db().await,
    };
    let settings = Settings {
        host: "127.0.0.1".parse().unwrap(),
        port: 0,
        public_url: config.public_url.clone(),
        database: DatabaseSettings { database_url: Some(db.url.clone()) },
        github_tokens: config.tokens.into_iter().map(SecretString::from).collect(),
        github_api_url: github.url(),
        github_rest_url: github.rest_url(),
        no_rest_fallback: !config.rest_fallback,
        wakatime_api_url: config.wakatime_url.clone().unwrap_or_else(|| "http://127.0.0.1:9".to_owned()),
        wakatime_domains: vec!["wakapi.dev".to_owned()],
        metrics_token: config.metrics_token.clone().map(secrecy::SecretString::from),
        cache_soft_ttl: config.soft_ttl,
        cache_hard_ttl: config.hard_ttl,
        cache_max_users: 1000,
        response_cache_bytes: github_banners::images::DEFAULT_CACHE_BYTES,
        request_timeout: Duration::from_secs(5),
        known_user_wait: config.known_user_wait,
        first_view_deadline: config.first_view_deadline,
        allowed_users: (!config.allowed_users.is_empty()).then(|| LoginList(config.allowed_users.clone())),
        blocked_users: (!config.blocked_users.is_empty()).then(|| LoginList(config.blocked_users.clone())),
        api_keys: vec![SecretString::from(API_KEY)],
        github_webhook_secret: Some(SecretString::from(WEBHOOK_SECRET)),
        services_secret_key: Some(SecretString::from(SERVICES_SECRET)),
        services_replay_window: Duration::from_secs(300),
        themes: ThemeSettings { themes_dir: config.themes_dir.clone() },
        events: EventSettings {
            kafka_brokers: config.kafka_brokers.clone(),
            kafka_topic: config.kafka_topic.clone(),
            kafka_group: "github-banners-test".to_owned(),
            kafka_topic_partitions: 4,
        },
        // Tests drive the scheduler with `run_once`, and the relay and consumers with `step`
        // unless `manual_background` is off.
        worker: WorkerSettings {
            worker_interval: Duration::from_secs(3600),
            worker_concurrency: 4,
            worker_lease: Duration::from_secs(120),
            no_worker: true,
        },
        watch_themes: config.watch_themes,
        limits: config.limits,
    };
    let clock = config.clock.unwrap_or_default();
    let overrides = Overrides { clock: clock.clone(), manual_background: config.manual_background };
    let app = Application::build_with(&settings, overrides).await.unwrap();
    let address = format!("http://{}", app.address());
    let services = app.services();
    let (scheduler, relay, consumers, bus) =
        (services.scheduler.clone(), services.relay.clone(), services.consumers.clone(), services.bus.clone());
    let (stats, renderer) = (services.state.stats.clone(), services.state.renderer.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async move {
        // Dropping the sender (the test ended) must not stop the app mid-test.
        if stopped.await.is_err() {
            std::future::pending::<()>().await;
        }
    }));
    TestApp {
        address,
        github,
        db,
        client: reqwest::Client::new(),
        scheduler,
        relay,
        consumers,
        stats,
        renderer,
        bus,
        clock,
        stop: std::sync::Mutex::new(Some(stop)),
        running: std::sync::Mutex::new(Some(running)),
    }
}

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let filter = tracing_subscriber::EnvFilter::new("info,github_banners=debug");
            github_banners::telemetry::init(filter, github_banners::config::LogFormat::Text);
        }
    });
}

/// A response read whole, so tests can assert on status, headers and body together.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
    }
}

impl TestApp {
    /// Publishes committed events and lets this app's consumers handle everything that arrived.
    pub async fn step(&self) -> usize {
        github_banners::worker::step(&self.relay, &self.consumers).await.unwrap()
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.get_with(path_and_query, &[]).await
    }

    pub async fn get_with(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.client.get(format!("{}{}", self.address, path_and_query));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Reply { status, headers, body }
    }

    /// POST /graphql; `key` is sent as a Bearer API key. Returns the JSON response.
    pub async fn graphql(&self, query: &str, variables: serde_json::Value, key: Option<&str>) -> serde_json::Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn preview(&self, query: &str) -> Reply {
        self.get(&format!("/banners/preview?{query}")).await
    }

    /// Creates a stored banner with the API key (`POST /banners`); returns its id.
    pub async fn create_banner(&self, body: serde_json::Value) -> String {
        let response = self.client.post(format!("{}/banners", self.address)).bearer_auth(API_KEY).json(&body).send();
        let created: serde_json::Value = response.await.unwrap().json().await.unwrap();
        created["banner"]["id"].as_str().unwrap_or_else(|| panic!("no banner created: {created}")).to_owned()
    }
}

/// Asserts the SVG is well-formed XML and that usvg (what resvg renders with) accepts it; returns
/// all text content, for asserting on what a viewer would read.
pub fn assert_valid_svg(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(!["script", "foreignObject", "iframe"].contains(&name), "unexpected <{name}> in\n{svg}");
        for attribute in node.attributes() {
            assert!(!attribute.name().starts_with("on"), "event handler attribute {} in\n{svg}", attribute.name());
        }
    }
    resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default())
        .unwrap_or_else(|e| panic!("usvg rejects it: {e}\n{svg}"));
    doc.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect::<Vec<_>>().join(" ")
}

/// Sends raw bytes on a new connection and reads until the server closes it (or 10s pass).
pub async fn raw_http(app: &TestApp, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    // The server may answer (and close) before reading everything we send.
    let _ = stream.write_all(request).await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await;
    String::from_utf8_lossy(&reply).into_owned()
}
