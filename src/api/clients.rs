//! Per-client budgets on the public routes (governor's GCRA, keyed by client).
//!
//! Every request, and every operation on a GraphQL WebSocket, spends one unit of its client's
//! request budget (cheap: most answers come from memory). What the image service's admission
//! finds a request needs that is not in memory spends from the much smaller costly budget, and
//! requests to GitHub without a token from an hourly share of those. A client over a budget gets
//! 429 with Retry-After (an error image on image routes), so one abusive client can neither
//! crowd out others nor spend more than its share of the token pool.
//!
//! Who the client is: the connection's address, or, when that address is a configured trusted
//! proxy, the right-most address in the one header those proxies write (`FORWARDED_HEADER`)
//! that is not itself a trusted proxy. Hops to its left were written by the client and are
//! never believed; a hop that cannot be read makes the client "unknown" (one budget shared by all
//! such requests), never the proxy itself. IPv6 clients are keyed by their /64
//! (`CLIENT_IPV6_PREFIX`): one home or server gets billions of addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::image_http::error_image;
use super::{AppError, AppState};
use crate::config::{ForwardedHeader, LimitSettings, Networks};
use crate::domain::ImageFormat;
use crate::github::{AnonymousShare, GitHubError};
use crate::images::{ImageError, Look, Payer};

/// Above this many tracked clients, idle ones are forgotten (their buckets are full anyway).
const MAX_TRACKED_CLIENTS: usize = 100_000;

/// The key of every client whose forwarded address could not be read: they share one budget.
const UNKNOWN_CLIENT: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

/// Who is asking, as far as budgets are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The address budgets are keyed by (an IPv6 address cut to its configured prefix).
    pub ip: IpAddr,
    /// In RATE_LIMIT_EXEMPT: never limited.
    pub exempt: bool,
}

impl Client {
    /// For code paths without a request (tests calling the router without a socket).
    pub fn local() -> Self {
        Self { ip: IpAddr::V4(Ipv4Addr::LOCALHOST), exempt: true }
    }

    /// This client as the payer of a request's costly work.
    pub fn payer(&self, state: &AppState) -> ClientPayer {
        ClientPayer { limits: state.clients.clone(), client: *self }
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

/// A client paying for what its request costs.
#[derive(Clone)]
pub struct ClientPayer {
    limits: Arc<ClientLimits>,
    client: Client,
}

impl Payer for ClientPayer {
    fn charge(&self, units: u32) -> Result<(), ImageError> {
        self.limits.check_costly(&self.client, units).map_err(|error| match error {
            AppError::TooManyRequests { retry_after_secs } => ImageError::OverBudget { retry_after_secs },
            _ => ImageError::OverBudget { retry_after_secs: 1 },
        })
    }

    fn anonymous_share(&self) -> Option<Arc<dyn AnonymousShare>> {
        (!self.client.exempt).then(|| Arc::new(self.clone()) as Arc<dyn AnonymousShare>)
    }
}

impl AnonymousShare for ClientPayer {
    fn take(&self, requests: u32) -> Result<(), GitHubError> {
        let limits = &self.limits;
        ClientLimits::check_n(&limits.anonymous, limits.anonymous_burst, &self.client, requests).map_err(|error| {
            crate::metrics::client_refused("anonymous");
            let retry_after_secs = error.retry_after().unwrap_or(3600);
            GitHubError::AnonymousShare { retry_after_secs }
        })
    }
}

pub struct ClientLimits {
    requests: DefaultKeyedRateLimiter<IpAddr>,
    costly: DefaultKeyedRateLimiter<IpAddr>,
    /// The most costly units one request is charged (a card of many years pays a full burst).
    costly_burst: u32,
    anonymous: DefaultKeyedRateLimiter<IpAddr>,
    anonymous_burst: u32,
    trusted_proxies: Networks,
    forwarded_header: ForwardedHeader,
    ipv6_prefix: u8,
    exempt: Networks,
}

/// A quarter of a minute's worth at once: a README with many cards loads them together.
fn per_minute(per_minute: u32) -> (Quota, u32) {
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(per_minute / 4).unwrap_or(NonZeroU32::MIN);
    (Quota::per_minute(rate).allow_burst(burst), burst.get())
}

impl ClientLimits {
    pub fn new(settings: &LimitSettings) -> Self {
        let (requests, _) = per_minute(settings.client_requests_per_minute);
        let (costly, costly_burst) = per_minute(settings.client_costly_per_minute);
        // The whole hour's share at once: a first view needs several requests together.
        let anonymous_burst = NonZeroU32::new(settings.client_anonymous_per_hour).unwrap_or(NonZeroU32::MIN);
        let anonymous = Quota::per_hour(anonymous_burst);
        Self {
            requests: RateLimiter::keyed(requests),
            costly: RateLimiter::keyed(costly),
            costly_burst,
            anonymous: RateLimiter::keyed(anonymous),
            anonymous_burst: anonymous_burst.get(),
            trusted_proxies: settings.trusted_proxies.clone().unwrap_or_default(),
            forwarded_header: settings.forwarded_header,
            ipv6_prefix: settings.client_ipv6_prefix,
            exempt: settings.rate_limit_exempt.clone().unwrap_or_default(),
        }
    }

    /// The client behind a request from `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> Client {
        let ip =
            if self.trusted_proxies.contains(&peer) { self.forwarded_client(headers).unwrap_or(peer) } else { peer };
        // Exemptions name real addresses; the budget key is the client's network.
        Client { ip: self.key(ip), exempt: self.exempt.contains(&ip) }
    }

    /// The right-most hop of the configured header that is not a trusted proxy; an unreadable
    /// hop before it is an unknown client. None when the proxy sent no such header (a request
    /// of the proxy's own).
    fn forwarded_client(&self, headers: &HeaderMap) -> Option<IpAddr> {
        let hops = forwarded_hops(headers, self.forwarded_header)?;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.trusted_proxies.contains(ip) => continue,
                Some(ip) => return Some(*ip),
                None => return Some(UNKNOWN_CLIENT),
            }
        }
        // Every hop is one of our proxies: the request started inside.
        hops.first().copied().flatten().or(Some(UNKNOWN_CLIENT))
    }

    /// IPv6 addresses cut to the configured prefix; IPv4 as they are.
    fn key(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let bits = u32::from(self.ipv6_prefix.min(128));
                    let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                    IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
                }
            },
            v4 => v4,
        }
    }

    /// Spends one request from the client's budget.
    pub fn check_request(&self, client: &Client) -> Result<(), AppError> {
        Self::check_n(&self.requests, 1, client, 1)
            .map_err(|e| e.into_app_error())
            .inspect_err(|_| crate::metrics::client_refused("requests"))
    }

    /// Spends `units` of costly work from the client's budget (at most its burst at once).
    pub fn check_costly(&self, client: &Client, units: u32) -> Result<(), AppError> {
        Self::check_n(&self.costly, self.costly_burst, client, units)
            .map_err(|e| e.into_app_error())
            .inspect_err(|_| crate::metrics::client_refused("costly"))
    }

    fn check_n(limiter: &DefaultKeyedRateLimiter<IpAddr>, burst: u32, client: &Client, units: u32) -> Result<(), Over> {
        if client.exempt || units == 0 {
            return Ok(());
        }
        if limiter.len() > MAX_TRACKED_CLIENTS {
            limiter.retain_recent();
        }
        let units = NonZeroU32::new(units.min(burst)).unwrap_or(NonZeroU32::MIN);
        match limiter.check_key_n(&client.ip, units) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(Over(Some(not_until.wait_time_from(DefaultClock::default().now())))),
            // More than the burst: cannot happen after the `min` above.
            Err(_) => Err(Over(None)),
        }
    }
}

/// A budget refused; how long until it allows the request, when known.
struct Over(Option<std::time::Duration>);

impl Over {
    fn retry_after(&self) -> Option<u64> {
        self.0.map(|wait| wait.as_secs().max(1))
    }

    fn into_app_error(self) -> AppError {
        AppError::TooManyRequests { retry_after_secs: self.retry_after().unwrap_or(60) }
    }
}

/// The hops of `header`, left (first client) to right (nearest proxy); None for a hop that is
/// not an address (`unknown`, an obfuscated node, garbage). None when the header is absent.
fn forwarded_hops(headers: &HeaderMap, header: ForwardedHeader) -> Option<Vec<Option<IpAddr>>> {
    let name = match header {
        ForwardedHeader::XForwardedFor => "x-forwarded-for",
        ForwardedHeader::Forwarded => "forwarded",
    };
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let joined = values.map(|v| v.to_str().unwrap_or("\u{0}")).collect::<Vec<_>>().join(",");
    let hops = match header {
        ForwardedHeader::XForwardedFor => joined.split(',').map(parse_node).collect(),
        // Each element is one hop; its `for=` names the address (an element without one is
        // a hop we cannot read).
        ForwardedHeader::Forwarded => joined
            .split(',')
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_node(value))
            })
            .collect(),
    };
    Some(hops)
}

/// `192.0.2.7`, `"[2001:db8::1]:4711"`, `192.0.2.7:80`; anything else is None.
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

/// Routes that are never limited: liveness, and webhooks (signed by GitHub, retried by GitHub).
fn unlimited(path: &str) -> bool {
    matches!(path, "/healthz" | "/webhooks/github")
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
            Some(format) => error_image(state, error, &Look { format, ..Look::default() }).await,
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

    fn limits_with(trusted: &str, header: ForwardedHeader) -> ClientLimits {
        let net = |s: &str| s.parse().unwrap_or_else(|_| ipnet::IpNet::from(s.parse::<IpAddr>().unwrap()));
        let networks = Networks(trusted.split(',').filter(|s| !s.is_empty()).map(net).collect());
        ClientLimits::new(&LimitSettings {
            client_requests_per_minute: 4,
            trusted_proxies: Some(networks),
            forwarded_header: header,
            ..LimitSettings::default()
        })
    }

    fn limits(trusted: &str) -> ClientLimits {
        limits_with(trusted, ForwardedHeader::XForwardedFor)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let limits = limits("10.0.0.0/8");
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(limits.client(ip("198.51.100.1"), &spoofed).ip, ip("198.51.100.1"));
        let chain = headers(&[("x-forwarded-for", "203.0.113.9, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(limits.client(ip("10.0.0.1"), &chain).ip, ip("198.51.100.7"));
        let rfc = limits_with("10.0.0.0/8", ForwardedHeader::Forwarded);
        let forwarded = headers(&[("forwarded", "for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.3")]);
        assert_eq!(rfc.client(ip("10.0.0.1"), &forwarded).ip, ip("2001:db8::"), "keyed by its /64");
    }

    #[test]
    fn only_the_configured_header_counts_and_what_the_client_prepends_is_ignored() {
        let limits = limits("127.0.0.1");
        // The proxy appends the real peer to X-Forwarded-For; the client's own Forwarded header
        // and the hops it wrote on the left are its own inventions.
        for n in 1..=6 {
            let h = headers(&[
                ("forwarded", &format!("for=198.51.100.{n}")),
                ("x-forwarded-for", &format!("203.0.113.{n}, 192.0.2.50")),
            ]);
            assert_eq!(limits.client(ip("127.0.0.1"), &h).ip, ip("192.0.2.50"), "attempt {n}");
        }
    }

    #[test]
    fn an_unreadable_hop_is_an_unknown_client_never_the_proxy() {
        let rfc = limits_with("127.0.0.1", ForwardedHeader::Forwarded);
        for value in ["for=unknown", "for=_hidden", "garbage", "for=\"\""] {
            let client = rfc.client(ip("127.0.0.1"), &headers(&[("forwarded", value)]));
            assert_eq!(client.ip, UNKNOWN_CLIENT, "{value}");
        }
        let xff = limits("127.0.0.1");
        let client = xff.client(ip("127.0.0.1"), &headers(&[("x-forwarded-for", "198.51.100.1, nonsense")]));
        assert_eq!(client.ip, UNKNOWN_CLIENT);
        assert_eq!(xff.client(ip("127.0.0.1"), &HeaderMap::new()).ip, ip("127.0.0.1"), "the proxy's own request");
    }

    #[test]
    fn one_ipv6_network_is_one_client() {
        let limits = limits("");
        let a = limits.client(ip("2001:db8:1:2:aaaa::1"), &HeaderMap::new());
        let b = limits.client(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), &HeaderMap::new());
        let other = limits.client(ip("2001:db8:1:3::1"), &HeaderMap::new());
        assert_eq!(a.ip, b.ip);
        assert_ne!(a.ip, other.ip);
        assert!(limits.check_request(&a).is_ok());
        assert!(limits.check_request(&b).is_err(), "the same budget: the burst was one request");
        assert!(limits.check_request(&other).is_ok());
        let mapped = limits.client(ip("::ffff:192.0.2.1"), &HeaderMap::new());
        assert_eq!(mapped.ip, ip("192.0.2.1"));
        let wide = ClientLimits::new(&LimitSettings { client_ipv6_prefix: 48, ..LimitSettings::default() });
        assert_eq!(wide.client(ip("2001:db8:1:2::1"), &HeaderMap::new()).ip, ip("2001:db8:1::"));
    }

    #[test]
    fn a_client_over_its_budget_gets_a_retry_after_and_others_do_not_notice() {
        let limits = limits("");
        let (a, b) =
            (limits.client(ip("192.0.2.1"), &HeaderMap::new()), limits.client(ip("192.0.2.2"), &HeaderMap::new()));
        assert!(limits.check_request(&a).is_ok(), "the burst is a quarter of the minute's budget");
        match limits.check_request(&a) {
            Err(AppError::TooManyRequests { retry_after_secs }) => assert!((1..=15).contains(&retry_after_secs)),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(limits.check_request(&b).is_ok());
    }

    #[test]
    fn a_costly_request_pays_its_units_and_at_most_a_burst() {
        let limits = ClientLimits::new(&LimitSettings { client_costly_per_minute: 40, ..LimitSettings::default() });
        let client = limits.client(ip("192.0.2.9"), &HeaderMap::new());
        assert!(limits.check_costly(&client, 7).is_ok());
        assert!(limits.check_costly(&client, 4).is_err(), "7 of a burst of 10 spent");
        let other = limits.client(ip("192.0.2.10"), &HeaderMap::new());
        assert!(limits.check_costly(&other, 19).is_ok(), "more than a burst pays the burst");
        assert!(limits.check_costly(&other, 1).is_err());
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
