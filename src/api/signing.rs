//! HMAC request signing for service-to-service calls, beside API keys.
//!
//! A caller signs `METHOD \n PATH \n TIMESTAMP \n hex(sha256(body))` with HMAC-SHA256 and the shared
//! SERVICES_SECRET_KEY, and sends `X-Signature: t=<unix seconds>,v1=<hex mac>`. A request is
//! trusted when the MAC matches (constant-time), the timestamp is within the replay window, and
//! this signature has not been used before within that window.
//!
//! Only the one canonical spelling is accepted (decimal seconds without sign or leading zeros,
//! 64 lower-case hex digits, `t` first, nothing else), and a used signature is remembered by
//! (timestamp, MAC bytes): the same signature written another way is the same signature.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use moka::sync::Cache;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::{AppError, AppState};

pub const SIGNATURE_HEADER: &str = "x-signature";
/// Largest body a signed request may carry (it is buffered to be hashed).
const MAX_SIGNED_BODY: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("X-Signature must be exactly t=<unix seconds>,v1=<64 lower-case hex digits>")]
    Malformed,
    #[error("signature does not match")]
    Mismatch,
    #[error("signature timestamp is outside the {0}s replay window")]
    Expired(u64),
    #[error("signature was already used")]
    Replayed,
    #[error("signed requests are not enabled (SERVICES_SECRET_KEY is not set)")]
    Disabled,
}

pub struct RequestSigning {
    secret: Option<SecretString>,
    window: Duration,
    /// Signatures seen within the window, by (timestamp, MAC): a captured request cannot be
    /// sent again.
    seen: Cache<(i64, [u8; 32]), ()>,
}

impl RequestSigning {
    pub fn new(secret: Option<SecretString>, window: Duration) -> Self {
        Self { secret, window, seen: Cache::builder().max_capacity(100_000).time_to_live(window * 2).build() }
    }

    /// The `X-Signature` value for a request (what a client computes; used by tests and docs).
    pub fn sign(secret: &str, method: &str, path: &str, timestamp: i64, body: &[u8]) -> String {
        format!("t={timestamp},v1={}", hex::encode(mac(secret.as_bytes(), method, path, timestamp, body)))
    }

    pub fn verify(&self, header: &str, method: &str, path: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
        let secret = self.secret.as_ref().ok_or(SignatureError::Disabled)?;
        let (timestamp, signature) = parse(header).ok_or(SignatureError::Malformed)?;
        let window = self.window.as_secs();
        if timestamp.abs_diff(now) > window {
            return Err(SignatureError::Expired(window));
        }
        let mut verifier = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose_secret().as_bytes())
            .map_err(|_| SignatureError::Mismatch)?;
        verifier.update(&message(method, path, timestamp, body));
        verifier.verify_slice(&signature).map_err(|_| SignatureError::Mismatch)?;
        // Only a valid signature is remembered, so garbage cannot fill the cache.
        let entry = self.seen.entry((timestamp, signature)).or_insert(());
        if !entry.is_fresh() {
            return Err(SignatureError::Replayed);
        }
        Ok(())
    }
}

fn message(method: &str, path: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("{method}\n{path}\n{timestamp}\n{body_hash}").into_bytes()
}

fn mac(secret: &[u8], method: &str, path: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(&message(method, path, timestamp, body));
    mac.finalize().into_bytes().to_vec()
}

/// `t=<seconds>,v1=<mac>` in its one canonical spelling, else None.
fn parse(header: &str) -> Option<(i64, [u8; 32])> {
    let (timestamp, mac) = header.strip_prefix("t=")?.split_once(",v1=")?;
    let canonical_number = !timestamp.is_empty()
        && timestamp.bytes().all(|b| b.is_ascii_digit())
        && (timestamp == "0" || !timestamp.starts_with('0'));
    let canonical_hex = mac.len() == 64 && mac.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !canonical_number || !canonical_hex {
        return None;
    }
    let mut signature = [0u8; 32];
    hex::decode_to_slice(mac, &mut signature).ok()?;
    Some((timestamp.parse().ok()?, signature))
}

/// A request with `X-Signature` is verified (401 on any failure) and, when valid, carries
/// `Caller::Trusted` to the handler; requests without it pass through untouched.
pub(super) async fn verify(state: &AppState, request: Request) -> Result<Request, Response> {
    let Some(header) = signature_header(request.headers()) else {
        return Ok(request);
    };
    let (mut parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_SIGNED_BODY)
        .await
        .map_err(|_| AppError::PayloadTooLarge { limit: MAX_SIGNED_BODY }.into_response())?;
    let now = state.stats.now().timestamp();
    match state.signing.verify(&header, parts.method.as_str(), parts.uri.path(), &bytes, now) {
        Ok(()) => {
            parts.extensions.insert(Caller::Trusted);
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        Err(error) => {
            tracing::warn!(%error, path = parts.uri.path(), "rejected a signed request");
            Err(AppError::BadSignature(error.to_string()).into_response())
        }
    }
}

fn signature_header(headers: &HeaderMap) -> Option<String> {
    headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signing() -> RequestSigning {
        RequestSigning::new(Some(SecretString::from("s3cret")), Duration::from_secs(300))
    }

    #[test]
    fn a_signed_request_verifies_once() {
        let s = signing();
        let header = RequestSigning::sign("s3cret", "POST", "/banners", 1000, b"{}");
        assert_eq!(s.verify(&header, "POST", "/banners", b"{}", 1010), Ok(()));
        assert_eq!(s.verify(&header, "POST", "/banners", b"{}", 1011), Err(SignatureError::Replayed));
    }

    #[test]
    fn tampering_expiry_and_garbage_are_rejected() {
        let s = signing();
        let header = RequestSigning::sign("s3cret", "POST", "/banners", 1000, b"{}");
        assert_eq!(s.verify(&header, "POST", "/banners", b"{\"x\":1}", 1000), Err(SignatureError::Mismatch));
        assert_eq!(s.verify(&header, "DELETE", "/banners", b"{}", 1000), Err(SignatureError::Mismatch));
        assert_eq!(s.verify(&header, "POST", "/graphql", b"{}", 1000), Err(SignatureError::Mismatch));
        assert_eq!(s.verify(&header, "POST", "/banners", b"{}", 1301), Err(SignatureError::Expired(300)));
        let wrong_key = RequestSigning::sign("other", "POST", "/banners", 1000, b"{}");
        assert_eq!(s.verify(&wrong_key, "POST", "/banners", b"{}", 1000), Err(SignatureError::Mismatch));
        assert_eq!(s.verify("nonsense", "POST", "/banners", b"{}", 1000), Err(SignatureError::Malformed));
        let disabled = RequestSigning::new(None, Duration::from_secs(300));
        assert_eq!(disabled.verify(&header, "POST", "/banners", b"{}", 1000), Err(SignatureError::Disabled));
    }

    #[test]
    fn one_signature_is_used_once_however_it_is_spelled() {
        let s = signing();
        let header = RequestSigning::sign("s3cret", "POST", "/banners", 1000, b"{}");
        let mac = header.split_once(",v1=").unwrap().1.to_owned();
        let respelled = [
            format!("t=1000,v1={}", mac.to_ascii_uppercase()),
            format!("v1={mac},t=1000"),
            format!("t=01000,v1={mac}"),
            format!("t=+1000,v1={mac}"),
            format!(" t=1000,v1={mac}"),
            format!("t=1000,v1={mac},x=1"),
            format!("t=1000, v1={mac}"),
        ];
        for other in &respelled {
            assert_eq!(s.verify(other, "POST", "/banners", b"{}", 1000), Err(SignatureError::Malformed), "{other}");
        }
        assert_eq!(s.verify(&header, "POST", "/banners", b"{}", 1000), Ok(()));
        assert_eq!(s.verify(&header, "POST", "/banners", b"{}", 1000), Err(SignatureError::Replayed));
    }
}
