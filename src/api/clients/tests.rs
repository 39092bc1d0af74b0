//! Who the client is and what its budgets allow.

use super::address::UNKNOWN_CLIENT;
use super::*;
use crate::config::{ForwardedHeader, Networks};
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
    let (a, b) = (limits.client(ip("192.0.2.1"), &HeaderMap::new()), limits.client(ip("192.0.2.2"), &HeaderMap::new()));
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
