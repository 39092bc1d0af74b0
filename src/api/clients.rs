//! Per-client rate limits on the public routes (governor's GCRA, keyed by client address).
//!
//! Every request spends from its client's request budget (cheap: most answers come from memory);
//! what costs GitHub points or CPU also spends from a much smaller costly budget (a user not in
//! memory, a PNG drawn afresh, a GraphQL field that fetches or renders). A client over either
//! budget gets 429 with Retry-After (an error image on image routes), so one abusive client can
//! neither crowd out others nor spend more than its share of the token pool.
//!
//! The client is the connection's address, or, when that address is a configured trusted proxy,
//! the nearest untrusted address in `X-Forwarded-For` / `Forwarded`: headers from anyone else are
//! ignored, since anyone can write them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::image_http::error_image;
use super::{AppError, AppState};
use crate::config::{LimitSettings, Networks};
use crate::domain::ImageFormat;
use crate::images::{Budget, ImageError};

/// Above this many tracked clients, idle ones are forgotten (their buckets are full anyway).
const MAX_TRACKED_CLIENTS: usize = 100_000;

/// Who is asking, as far as rate limits are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub ip: IpAddr,
    /// In RATE_LIMIT_EXEMPT: never limited.
    pub exempt: bool,
}

impl Client {
    /// For code paths without a request (the CLI, tests calling services directly).
    pub fn local() -> Self {
        Self { ip: IpAddr::V4(Ipv4Addr::LOCALHOST), exempt: true }
    }

    /// This client's costly budget, for the image service.
    pub fn budget<'a>(&self, state: &'a AppState) -> ClientBudget<'a> {
        ClientBudget { limits: &state.clients, client: *self }
    }
}

/// The client the rate-limit middleware found (a request that did not pass it, as in a test
/// calling the router directly, is the local, unlimited client).
impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Client>().copied().unwrap_or_else(Client::local))
    }
}

/// What a client's costly requests spend from.
pub struct ClientBudget<'a> {
    limits: &'a ClientLimits,
    client: Client,
}

impl Budget for ClientBudget<'_> {
    fn charge(&self) -> Result<(), ImageError> {
        self.limits.check_costly(&self.client).map_err(|error| match error {
            AppError::TooManyRequests { retry_after_secs } => ImageError::OverBudget { retry_after_secs },
            _ => ImageError::OverBudget { retry_after_secs: 1 },
        })
    }
}

pub struct ClientLimits {
    requests: DefaultKeyedRateLimiter<IpAddr>,
    costly: DefaultKeyedRateLimiter<IpAddr>,
    trusted_proxies: Networks,
    exempt: Networks,
}

fn quota(per_minute: u32) -> Quota {
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    // A quarter of a minute's worth at once: a README with many cards loads them together.
    let burst = NonZeroU32::new(per_minute / 4).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(rate).allow_burst(burst)
}

impl ClientLimits {
    pub fn new(settings: &LimitSettings) -> Self {
        Self {
            requests: RateLimiter::keyed(quota(settings.client_requests_per_minute)),
            costly: RateLimiter::keyed(quota(settings.client_costly_per_minute)),
            trusted_proxies: settings.trusted_proxies.clone().unwrap_or_default(),
            exempt: settings.rate_limit_exempt.clone().unwrap_or_default(),
        }
    }

    /// The client behind a request from `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> Client {
        let ip =
            if self.trusted_proxies.contains(&peer) { self.forwarded_client(headers).unwrap_or(peer) } else { peer };
        Client { ip, exempt: self.exempt.contains(&ip) }
    }

    /// The nearest address that is not a trusted proxy, reading the hops right to left.
    fn forwarded_client(&self, headers: &HeaderMap) -> Option<IpAddr> {
        let hops = forwarded_hops(headers);
        hops.iter().rev().find(|ip| !self.trusted_proxies.contains(ip)).or(hops.first()).copied()
    }

    /// Spends one request from the client's budget.
    pub fn check_request(&self, client: &Client) -> Result<(), AppError> {
        Self::check(&self.requests, client).inspect_err(|_| crate::metrics::client_refused("requests"))
    }

    /// Spends one costly operation from the client's budget.
    pub fn check_costly(&self, client: &Client) -> Result<(), AppError> {
        Self::check(&self.costly, client).inspect_err(|_| crate::metrics::client_refused("costly"))
    }

    fn check(limiter: &DefaultKeyedRateLimiter<IpAddr>, client: &Client) -> Result<(), AppError> {
        if client.exempt {
            return Ok(());
        }
        if limiter.len() > MAX_TRACKED_CLIENTS {
            limiter.retain_recent();
        }
        limiter.check_key(&client.ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::TooManyRequests { retry_after_secs: wait.as_secs().max(1) }
        })
    }
}

/// Client addresses from `Forwarded: for=...` (RFC 7239) or else `X-Forwarded-For`, in hop order.
fn forwarded_hops(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name| headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    let forwarded = values("forwarded");
    if !forwarded.trim().is_empty() {
        return forwarded
            .split(',')
            .flat_map(|element| element.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
            .filter_map(|(_, value)| parse_node(value))
            .collect();
    }
    values("x-forwarded-for").split(',').filter_map(parse_node).collect()
}

/// `192.0.2.7`, `"[2001:db8::1]:4711"`, `192.0.2.7:80`; obfuscated or unknown nodes are skipped.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let node = raw.trim().trim_matches('"');
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// Routes whose answer is an image: their refusals are images too, so a README shows why.
fn image_format(path: &str) -> Option<ImageFormat> {
    let is_png = path.ends_with(".png");
    let image = path.starts_with("/banners/")
        && (path.starts_with("/banners/preview") || path.ends_with(".svg") || is_png)
        || path.starts_with("/api")
        || (path.starts_with("/themes/") && (path.ends_with(".svg") || is_png));
    image.then_some(if is_png { ImageFormat::Png } else { ImageFormat::Svg })
}

/// Routes that are never limited: probes, and webhooks (signed by GitHub, retried by GitHub).
fn unlimited(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/webhooks/github")
}

/// Works out the client, spends one request from its budget (429 when it is spent), and makes
/// the client available to handlers (as a request extension) for costly checks.
pub(super) async fn admit(state: &AppState, request: &mut Request) -> Result<(), Response> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| addr.ip());
    let client = state.clients.client(peer, request.headers());
    let path = request.uri().path();
    if !unlimited(path)
        && let Err(error) = state.clients.check_request(&client)
    {
        tracing::debug!(client = %client.ip, path, "client over its request budget");
        return Err(match image_format(path) {
            Some(format) => error_image(state, error, "", format).await,
            None => axum::response::IntoResponse::into_response(error),
        });
    }
    request.extensions_mut().insert(client);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn limits(trusted: &str) -> ClientLimits {
        let networks = Networks(trusted.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect());
        ClientLimits::new(&LimitSettings {
            client_requests_per_minute: 4,
            trusted_proxies: Some(networks),
            ..LimitSettings::default()
        })
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let limits = limits("10.0.0.0/8");
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(limits.client("198.51.100.1".parse().unwrap(), &spoofed).ip.to_string(), "198.51.100.1");
        let chain = headers(&[("x-forwarded-for", "203.0.113.9, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(limits.client("10.0.0.1".parse().unwrap(), &chain).ip.to_string(), "198.51.100.7");
        let rfc = headers(&[("forwarded", "for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.3")]);
        assert_eq!(limits.client("10.0.0.1".parse().unwrap(), &rfc).ip.to_string(), "2001:db8::7");
    }

    #[test]
    fn a_client_over_its_budget_gets_a_retry_after_and_others_do_not_notice() {
        let limits = limits("");
        let (a, b) = (
            limits.client("192.0.2.1".parse().unwrap(), &HeaderMap::new()),
            limits.client("192.0.2.2".parse().unwrap(), &HeaderMap::new()),
        );
        assert!(limits.check_request(&a).is_ok(), "the burst is a quarter of the minute's budget");
        match limits.check_request(&a) {
            Err(AppError::TooManyRequests { retry_after_secs }) => assert!((1..=15).contains(&retry_after_secs)),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(limits.check_request(&b).is_ok());
    }

    #[test]
    fn image_routes_are_told_apart() {
        assert_eq!(image_format("/banners/preview"), Some(ImageFormat::Svg));
        assert_eq!(image_format("/banners/preview.png"), Some(ImageFormat::Png));
        assert_eq!(image_format("/banners/abc.png"), Some(ImageFormat::Png));
        assert_eq!(image_format("/graphql"), None);
        assert_eq!(image_format("/banners"), None);
    }
}
