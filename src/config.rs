//! Settings: one struct, read from environment variables with CLI flags over them (clap `env`).
//!
//! Every setting has a default that runs with nothing set; `validate` checks what clap cannot
//! (relations between values) so that a bad value stops start-up with one line naming the variable.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

/// Where the SQLite database lives when DATABASE_URL is not set.
pub const DEFAULT_SQLITE_URL: &str = "sqlite://data/github-banners.db?mode=rwc";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct LogSettings {
    /// Log filter: a level (error, warn, info, debug, trace) or tracing directives like
    /// `info,github_banners=debug`.
    #[arg(long, env = "LOG_LEVEL", default_value = "info", global = true)]
    pub log_level: String,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user:pass@host/db`.
    /// Unset: a SQLite file under ./data/.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl DatabaseSettings {
    pub fn url(&self) -> &str {
        self.database_url.as_deref().unwrap_or(DEFAULT_SQLITE_URL)
    }
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,

    /// The address readers reach this service at (`https://banners.example.com`), for the
    /// snippets the gallery writes. Unset: the gallery writes relative URLs (a Host header is the
    /// client's to choose, so it is never written into a page others may be served).
    #[arg(long, env = "PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    #[command(flatten)]
    pub database: DatabaseSettings,

    /// GitHub tokens, comma-separated. Requests use the one with the most budget left; more tokens,
    /// more users per hour. A token needs no scopes for public data.
    #[arg(long, env = "GITHUB_TOKENS", value_delimiter = ',', value_parser = parse_token, hide_env_values = true)]
    pub github_tokens: Vec<SecretString>,

    /// GitHub GraphQL endpoint (GitHub Enterprise: https://HOST/api/graphql).
    #[arg(long, env = "GITHUB_API_URL", default_value = "https://api.github.com/graphql", value_parser = parse_http_url)]
    pub github_api_url: String,

    /// GitHub's REST API, asked without a token when no token is configured or GitHub rejects
    /// every one (GitHub Enterprise: https://HOST/api/v3).
    #[arg(long, env = "GITHUB_REST_URL", default_value = "https://api.github.com", value_parser = parse_http_url)]
    pub github_rest_url: String,

    /// Never ask the REST API without a token: with no usable token, cards say a token is needed.
    #[arg(long, env = "NO_REST_FALLBACK")]
    pub no_rest_fallback: bool,

    /// WakaTime instance for WakaTime cards without `api_domain` (the public API by default).
    #[arg(long, env = "WAKATIME_API_URL", default_value = "https://wakatime.com", value_parser = parse_http_url)]
    pub wakatime_api_url: String,

    /// Hosts a WakaTime card's `api_domain` may name (Wakapi, Hakatime instances), asked over
    /// HTTPS; others get a 400 card, so visitors cannot make this server call arbitrary hosts.
    #[arg(long, env = "WAKATIME_DOMAINS", default_value = "wakapi.dev,wakatime.com", value_delimiter = ',')]
    pub wakatime_domains: Vec<String>,

    /// Age after which stats are refreshed in the background while the old ones are served.
    #[arg(long, env = "CACHE_SOFT_TTL", default_value = "10m", value_parser = humantime::parse_duration)]
    pub cache_soft_ttl: Duration,

    /// Age after which stats are not served without trying GitHub first (older ones are still
    /// served when GitHub fails).
    #[arg(long, env = "CACHE_HARD_TTL", default_value = "24h", value_parser = humantime::parse_duration)]
    pub cache_hard_ttl: Duration,

    /// Users kept in the in-memory cache.
    #[arg(long, env = "CACHE_MAX_USERS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub cache_max_users: u64,

    /// Memory for finished images (SVG with its gzip and brotli forms, PNG), in bytes.
    #[arg(long, env = "RESPONSE_CACHE_BYTES", default_value_t = crate::images::DEFAULT_CACHE_BYTES, value_parser = clap::value_parser!(u64).range(1_000_000..))]
    pub response_cache_bytes: u64,

    /// Timeout of one request to GitHub (a fetch retries up to three times; visitors never wait
    /// that long: see KNOWN_USER_WAIT and FIRST_VIEW_DEADLINE).
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,

    /// How long a request for a user with stored stats waits for GitHub before the stored stats
    /// are served (the fetch goes on in the background).
    #[arg(long, env = "KNOWN_USER_WAIT", default_value = "300ms", value_parser = humantime::parse_duration)]
    pub known_user_wait: Duration,

    /// How long a request for a user seen for the first time waits for GitHub before an error card
    /// says to reload shortly (the fetch goes on). Keep it under GitHub's image proxy timeout (~4s).
    #[arg(long, env = "FIRST_VIEW_DEADLINE", default_value = "3s", value_parser = humantime::parse_duration)]
    pub first_view_deadline: Duration,

    /// Only these GitHub logins are shown (comma-separated, any case). Unset: everyone not blocked.
    #[arg(long, env = "ALLOWED_USERS", value_parser = parse_login_list)]
    pub allowed_users: Option<LoginList>,

    /// GitHub logins never shown (comma-separated, any case).
    #[arg(long, env = "BLOCKED_USERS", value_parser = parse_login_list)]
    pub blocked_users: Option<LoginList>,

    /// API keys (comma-separated) for GraphQL mutations, admin fields and POST/DELETE /banners,
    /// sent as `Authorization: Bearer <key>`. Unset: nothing can be changed through the API.
    #[arg(long, env = "API_KEYS", value_delimiter = ',', value_parser = parse_token, hide_env_values = true)]
    pub api_keys: Vec<SecretString>,

    /// Bearer token `GET /metrics` asks for. Unset: the metrics are public (put them behind your
    /// proxy, or set this).
    #[arg(long, env = "METRICS_TOKEN", value_parser = parse_token, hide_env_values = true)]
    pub metrics_token: Option<SecretString>,

    /// Secret GitHub signs webhook deliveries with (X-Hub-Signature-256). Unset: webhooks are
    /// refused.
    #[arg(long, env = "GITHUB_WEBHOOK_SECRET", value_parser = parse_token, hide_env_values = true)]
    pub github_webhook_secret: Option<SecretString>,

    /// Shared secret for HMAC-signed service-to-service requests (X-Signature). Unset: only API
    /// keys are accepted.
    #[arg(long, env = "SERVICES_SECRET_KEY", value_parser = parse_token, hide_env_values = true)]
    pub services_secret_key: Option<SecretString>,

    /// How old (or how far in the future) a signed request's timestamp may be.
    #[arg(long, env = "SERVICES_REPLAY_WINDOW", default_value = "5m", value_parser = humantime::parse_duration)]
    pub services_replay_window: Duration,

    #[command(flatten)]
    pub themes: ThemeSettings,

    #[command(flatten)]
    pub events: EventSettings,

    #[command(flatten)]
    pub worker: WorkerSettings,

    #[command(flatten)]
    pub limits: LimitSettings,

    /// Reload theme packs when files in the themes directory change.
    #[arg(long, env = "WATCH_THEMES")]
    pub watch_themes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct EventSettings {
    /// Kafka bootstrap servers (host:port,...). Unset: events stay inside this process.
    #[arg(long, env = "KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,

    /// Kafka topic for events.
    #[arg(long, env = "KAFKA_TOPIC", default_value = "github-banners.events")]
    pub kafka_topic: String,

    /// Kafka consumer group prefix.
    #[arg(long, env = "KAFKA_GROUP", default_value = "github-banners")]
    pub kafka_group: String,

    /// Partitions of the event topic when this service creates it (when it is missing at start
    /// or after a broker lost its data); 0 leaves creating it to the operator.
    #[arg(long, env = "KAFKA_TOPIC_PARTITIONS", default_value_t = 6, value_parser = clap::value_parser!(i32).range(0..=1000))]
    pub kafka_topic_partitions: i32,
}

#[derive(Debug, Clone, Args)]
pub struct WorkerSettings {
    /// Time between refresh rounds of the background worker.
    #[arg(long, env = "WORKER_INTERVAL", default_value = "1m", value_parser = humantime::parse_duration)]
    pub worker_interval: Duration,

    /// Users the background worker refreshes at once.
    #[arg(long, env = "WORKER_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub worker_concurrency: u16,

    /// How long a worker holds the users it claimed; a worker that dies loses them to another
    /// worker after this.
    #[arg(long, env = "WORKER_LEASE", default_value = "2m", value_parser = humantime::parse_duration)]
    pub worker_lease: Duration,

    /// Serve the API only; another process runs the background worker.
    #[arg(long, env = "NO_WORKER")]
    pub no_worker: bool,
}

/// What a public instance needs so that no client, and no burst, can take it over.
#[derive(Debug, Clone, Args)]
pub struct LimitSettings {
    /// Requests in flight to GitHub at once, across all tokens (GitHub allows 100 per account and
    /// punishes bursts); the rest queue in arrival order.
    #[arg(long, env = "GITHUB_MAX_IN_FLIGHT", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub github_max_in_flight: u16,

    /// Requests in flight to GitHub at once per token (halved for a while after a secondary rate
    /// limit on that token).
    #[arg(long, env = "GITHUB_MAX_IN_FLIGHT_PER_TOKEN", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub github_max_in_flight_per_token: u16,

    /// First wait before a token GitHub rejected is tried again (doubling up to an hour).
    #[arg(long, env = "GITHUB_TOKEN_RECHECK", default_value = "1m", value_parser = humantime::parse_duration)]
    pub github_token_recheck: Duration,

    /// Requests per minute one client (IP address) may make; answers come from the cache.
    #[arg(long, env = "CLIENT_REQUESTS_PER_MINUTE", default_value_t = 1200, value_parser = clap::value_parser!(u32).range(1..))]
    pub client_requests_per_minute: u32,

    /// Costly requests per minute one client may make: a user not in memory (may cost GitHub
    /// points), a PNG drawn afresh, a GraphQL field that reaches GitHub or renders.
    #[arg(long, env = "CLIENT_COSTLY_PER_MINUTE", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub client_costly_per_minute: u32,

    /// Requests to GitHub without a token one client may cause per hour (when no token is
    /// usable, GitHub allows the whole server 60 an hour).
    #[arg(long, env = "CLIENT_ANONYMOUS_PER_HOUR", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub client_anonymous_per_hour: u32,

    /// Proxies whose forwarded-address header is believed (IPs or CIDRs, comma-separated).
    /// Unset: the connection's address is the client.
    #[arg(long, env = "TRUSTED_PROXIES", value_parser = parse_networks)]
    pub trusted_proxies: Option<Networks>,

    /// The header your trusted proxies write the client's address into: `x-forwarded-for` or
    /// `forwarded` (RFC 7239). Only that header is read, right to left.
    #[arg(long, env = "FORWARDED_HEADER", default_value = "x-forwarded-for", value_parser = parse_forwarded_header)]
    pub forwarded_header: ForwardedHeader,

    /// Leading bits of an IPv6 address that name one client (one /64 is one home or server).
    #[arg(long, env = "CLIENT_IPV6_PREFIX", default_value_t = 64, value_parser = clap::value_parser!(u8).range(16..=128))]
    pub client_ipv6_prefix: u8,

    /// Clients that are not rate limited (IPs or CIDRs), e.g. your own monitoring.
    #[arg(long, env = "RATE_LIMIT_EXEMPT", value_parser = parse_networks)]
    pub rate_limit_exempt: Option<Networks>,

    /// Distinct subjects (GitHub users, repositories, gists) one GraphQL request may ask for,
    /// aliases included.
    #[arg(long, env = "GRAPHQL_MAX_USERS", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub graphql_max_users: u16,

    /// Operations (queries, subscriptions) one GraphQL WebSocket connection may start.
    #[arg(long, env = "WEBSOCKET_MAX_OPERATIONS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub websocket_max_operations: u32,

    /// A GraphQL WebSocket with no operation running is closed after this long without a message.
    #[arg(long, env = "WEBSOCKET_IDLE_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub websocket_idle_timeout: Duration,

    /// PNGs drawn at once (default: the number of CPU cores).
    #[arg(long, env = "PNG_MAX_CONCURRENCY", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub png_max_concurrency: Option<u16>,

    /// PNGs waiting to be drawn before more are refused with 503 and Retry-After.
    #[arg(long, env = "PNG_MAX_QUEUE", default_value_t = 32, value_parser = clap::value_parser!(u16).range(0..=10_000))]
    pub png_max_queue: u16,

    /// A connection must send a request's headers within this time, and an idle keep-alive
    /// connection is closed after it (slow or idle clients do not hold connections forever).
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_read_timeout: Duration,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            github_max_in_flight: 32,
            github_max_in_flight_per_token: 8,
            github_token_recheck: Duration::from_secs(60),
            client_requests_per_minute: 1200,
            client_costly_per_minute: 60,
            client_anonymous_per_hour: 10,
            trusted_proxies: None,
            forwarded_header: ForwardedHeader::XForwardedFor,
            client_ipv6_prefix: 64,
            rate_limit_exempt: None,
            graphql_max_users: 5,
            websocket_max_operations: 100,
            websocket_idle_timeout: Duration::from_secs(60),
            png_max_concurrency: None,
            png_max_queue: 32,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Which header trusted proxies put the client's address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, most load balancers).
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

fn parse_forwarded_header(value: &str) -> Result<ForwardedHeader, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
        "forwarded" => Ok(ForwardedHeader::Forwarded),
        _ => Err("use x-forwarded-for or forwarded".to_owned()),
    }
}

/// GitHub logins from a comma-separated setting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginList(pub Vec<String>);

/// IP networks from a comma-separated setting (`10.0.0.0/8,192.168.1.7`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(pub Vec<ipnet::IpNet>);

impl Networks {
    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }
}

/// The elements of a comma-separated list: an empty element inside (`a,,b`) is a mistake worth
/// stopping for; an empty list is "unset".
fn list_items(raw: &str) -> Result<Vec<&str>, String> {
    let items: Vec<&str> = raw.split(',').map(str::trim).collect();
    if items.len() > 1 && items.iter().any(|i| i.is_empty()) {
        return Err("empty element in the list (check for a stray comma)".to_owned());
    }
    Ok(items.into_iter().filter(|i| !i.is_empty()).collect())
}

fn parse_login_list(raw: &str) -> Result<LoginList, String> {
    let mut logins = Vec::new();
    for item in list_items(raw)? {
        crate::domain::Login::parse(item).map_err(|e| format!("`{item}` is not a GitHub login: {e}"))?;
        logins.push(item.to_owned());
    }
    Ok(LoginList(logins))
}

fn parse_networks(raw: &str) -> Result<Networks, String> {
    let mut networks = Vec::new();
    for item in list_items(raw)? {
        let net = match item.parse::<ipnet::IpNet>() {
            Ok(net) => net,
            Err(_) => item
                .parse::<IpAddr>()
                .map(ipnet::IpNet::from)
                .map_err(|_| format!("`{item}` is not an IP address or CIDR network"))?,
        };
        networks.push(net);
    }
    Ok(Networks(networks))
}

#[derive(Debug, Clone, Default, Args)]
pub struct ThemeSettings {
    /// Theme packs that add to and override the built-in ones (folder per pack). Unset: ./themes
    /// when it exists.
    #[arg(long, env = "THEMES_DIR")]
    pub themes_dir: Option<PathBuf>,
}

/// Used when THEMES_DIR is not set; fine to be missing.
const DEFAULT_THEMES_DIR: &str = "themes";

impl ThemeSettings {
    /// The themes directory to overlay: an explicit one must exist, the implicit default may not.
    pub fn resolve(&self) -> Result<Option<PathBuf>, ConfigError> {
        match &self.themes_dir {
            Some(dir) if dir.is_dir() => Ok(Some(dir.clone())),
            Some(dir) => Err(ConfigError::ThemesDir(dir.display().to_string())),
            None => Ok(Some(PathBuf::from(DEFAULT_THEMES_DIR)).filter(|d| d.is_dir())),
        }
    }
}

fn parse_token(raw: &str) -> Result<SecretString, String> {
    let token = raw.trim();
    if token.is_empty() {
        return Err("empty token (check for a stray comma)".to_owned());
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a token must not contain spaces or control characters".to_owned());
    }
    Ok(SecretString::from(token.to_owned()))
}

fn parse_http_url(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| e.to_string())?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(raw.to_owned()),
        _ => Err("must be an http(s) URL with a host".to_owned()),
    }
}

/// An http(s) base URL without query or fragment, kept without a trailing slash.
fn parse_public_url(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("must be an http(s) URL with a host".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".to_owned());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("CACHE_SOFT_TTL ({soft}) must not be longer than CACHE_HARD_TTL ({hard})")]
    SoftTtlAboveHard { soft: String, hard: String },
    #[error("REQUEST_TIMEOUT must be longer than zero")]
    ZeroTimeout,
    #[error("HEADER_READ_TIMEOUT must be longer than zero")]
    ZeroHeaderTimeout,
    #[error("THEMES_DIR ({0}) is not a directory")]
    ThemesDir(String),
    #[error("LOG_LEVEL is not a valid filter: {0}")]
    LogLevel(String),
}

impl Settings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.cache_soft_ttl > self.cache_hard_ttl {
            return Err(ConfigError::SoftTtlAboveHard {
                soft: humantime::format_duration(self.cache_soft_ttl).to_string(),
                hard: humantime::format_duration(self.cache_hard_ttl).to_string(),
            });
        }
        if self.request_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout);
        }
        if self.limits.header_read_timeout.is_zero() {
            return Err(ConfigError::ZeroHeaderTimeout);
        }
        self.themes.resolve().map(|_| ())
    }
}

impl LogSettings {
    pub fn filter(&self) -> Result<tracing_subscriber::EnvFilter, ConfigError> {
        tracing_subscriber::EnvFilter::try_new(&self.log_level).map_err(|e| ConfigError::LogLevel(e.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied())).map(|c| c.settings)
    }

    #[test]
    fn durations_are_human_readable() {
        let s = parse(&["--cache-soft-ttl", "90s", "--cache-hard-ttl", "2h"]).unwrap();
        assert_eq!(s.cache_soft_ttl, Duration::from_secs(90));
        assert_eq!(s.cache_hard_ttl, Duration::from_secs(7200));
    }

    #[test]
    fn tokens_are_comma_separated_and_trimmed() {
        use secrecy::ExposeSecret;
        let s = parse(&["--github-tokens", "a, b"]).unwrap();
        let got: Vec<_> = s.github_tokens.iter().map(|t| t.expose_secret().to_owned()).collect();
        assert_eq!(got, ["a", "b"]);
    }

    #[test]
    fn bad_values_name_their_setting() {
        let err = parse(&["--port", "http"]).err().unwrap().to_string();
        assert!(err.contains("PORT"), "{err}");
        let err = parse(&["--github-api-url", "ftp://x"]).err().unwrap().to_string();
        assert!(err.contains("GITHUB_API_URL"), "{err}");
    }

    #[test]
    fn the_admission_and_edge_settings_have_safe_defaults_and_name_themselves_when_wrong() {
        let s = parse(&[]).unwrap();
        assert_eq!((s.limits.client_anonymous_per_hour, s.limits.client_ipv6_prefix), (10, 64));
        assert_eq!(s.limits.forwarded_header, ForwardedHeader::XForwardedFor);
        assert_eq!(
            (s.limits.websocket_max_operations, s.limits.websocket_idle_timeout),
            (100, Duration::from_secs(60))
        );
        assert_eq!(s.public_url, None);
        let s = parse(&["--public-url", "https://banners.example.com/", "--forwarded-header", "Forwarded"]).unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://banners.example.com"));
        assert_eq!(s.limits.forwarded_header, ForwardedHeader::Forwarded);
        for (flag, value, name) in [
            ("--public-url", "javascript:alert(1)", "PUBLIC_URL"),
            ("--public-url", "https://x.example/?a=1", "PUBLIC_URL"),
            ("--forwarded-header", "x-real-ip", "FORWARDED_HEADER"),
            ("--client-ipv6-prefix", "8", "CLIENT_IPV6_PREFIX"),
            ("--client-anonymous-per-hour", "0", "CLIENT_ANONYMOUS_PER_HOUR"),
            ("--websocket-max-operations", "0", "WEBSOCKET_MAX_OPERATIONS"),
            ("--websocket-idle-timeout", "soon", "WEBSOCKET_IDLE_TIMEOUT"),
        ] {
            let err = parse(&[flag, value]).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(name), "{flag} {value}: {err}");
        }
    }

    #[test]
    fn soft_ttl_above_hard_ttl_is_rejected() {
        let s = parse(&["--cache-soft-ttl", "2d"]).unwrap();
        assert!(matches!(s.validate(), Err(ConfigError::SoftTtlAboveHard { .. })));
    }

    /// docker-compose.yaml passes these to every service process; `.ci/stack.py` runs the same
    /// environment. A renamed setting must not leave the compose file passing a dead variable.
    #[test]
    fn compose_passes_only_known_settings() {
        #[derive(Parser)]
        struct Everything {
            #[command(flatten)]
            log: LogSettings,
            #[command(flatten)]
            settings: Settings,
        }
        let known: Vec<String> = <Everything as clap::CommandFactory>::command()
            .get_arguments()
            .filter_map(|arg| arg.get_env().map(|env| env.to_string_lossy().into_owned()))
            .collect();
        let compose = include_str!("../docker-compose.yaml");
        let block = compose.split("environment: &banners-env\n").nth(1).unwrap();
        let keys: Vec<&str> = block
            .lines()
            .take_while(|line| line.starts_with("    ") && !line.trim().is_empty())
            .filter_map(|line| line.trim().split_once(':').map(|(key, _)| key))
            .collect();
        assert!(keys.len() >= 5, "compose environment not found: {keys:?}");
        for key in keys {
            assert!(known.iter().any(|k| k == key), "docker-compose.yaml passes {key}, which no setting reads");
        }
    }

    #[test]
    fn debug_output_hides_tokens() {
        let s = parse(&["--github-tokens", "ghp_supersecret"]).unwrap();
        assert!(!format!("{s:?}").contains("supersecret"));
    }
}
