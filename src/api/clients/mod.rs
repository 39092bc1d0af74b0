//! Per-client budgets on the public routes (governor's GCRA, keyed by client).
//!
//! Every request, and every operation on a GraphQL WebSocket, spends one unit of its client's
//! request budget (cheap: most answers come from memory). What the image service's admission
//! finds a request needs that is not in memory spends from the much smaller costly budget, and
//! requests to GitHub without a token from an hourly share of those. A client over a budget gets
//! 429 with Retry-After (an error image on image routes), so one abusive client can neither
//! crowd out others nor spend more than its share of the token pool.
//!
//! Who the client is: see `address.rs`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

mod address;

use address::ClientAddresses;

use super::image_http::error_image;
use super::{AppError, AppState};
use crate::config::LimitSettings;
use crate::domain::ImageFormat;
use crate::github::{AnonymousShare, GitHubError};
use crate::images::{ImageError, Look, Payer};

/// Above this many tracked clients, idle ones are forgotten (their buckets are full anyway).
const MAX_TRACKED_CLIENTS: usize = 100_000;

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
    addresses: ClientAddresses,
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
            addresses: ClientAddresses::new(settings),
        }
    }

    /// The client behind a request from `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> Client {
        self.addresses.client(peer, headers)
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
mod tests;
