//! Who the client is: the connection's address, or, when that address is a configured trusted
//! proxy, the right-most address in the one header those proxies write (`FORWARDED_HEADER`)
//! that is not itself a trusted proxy. Hops to its left were written by the client and are
//! never believed; a hop that cannot be read makes the client "unknown" (one budget shared by all
//! such requests), never the proxy itself. IPv6 clients are keyed by their /64
//! (`CLIENT_IPV6_PREFIX`): one home or server gets billions of addresses.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::http::HeaderMap;

use super::Client;
use crate::config::{ForwardedHeader, LimitSettings, Networks};

/// The key of every client whose forwarded address could not be read: they share one budget.
pub(super) const UNKNOWN_CLIENT: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

pub(super) struct ClientAddresses {
    trusted_proxies: Networks,
    forwarded_header: ForwardedHeader,
    ipv6_prefix: u8,
    exempt: Networks,
}

impl ClientAddresses {
    pub(super) fn new(settings: &LimitSettings) -> Self {
        Self {
            trusted_proxies: settings.trusted_proxies.clone().unwrap_or_default(),
            forwarded_header: settings.forwarded_header,
            ipv6_prefix: settings.client_ipv6_prefix,
            exempt: settings.rate_limit_exempt.clone().unwrap_or_default(),
        }
    }

    /// The client behind a request from `peer`.
    pub(super) fn client(&self, peer: IpAddr, headers: &HeaderMap) -> Client {
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
