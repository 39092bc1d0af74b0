//! Who is calling: API keys from API_KEYS, given as `Authorization: Bearer <key>`, compared in
//! constant time (digests, so neither content nor length leaks through timing).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// Presented a configured API key: may mutate and read admin fields.
    Trusted,
}

/// Trusted when the signing middleware verified the request's signature, or when it presents a
/// configured API key.
impl FromRequestParts<super::AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &super::AppState) -> Result<Self, Self::Rejection> {
        Ok(match parts.extensions.get::<Caller>() {
            Some(Caller::Trusted) => Caller::Trusted,
            _ => state.api_keys.caller(&parts.headers),
        })
    }
}

/// A handler argument that only trusted callers get past (401 for everyone else).
pub(crate) struct ApiKey;

impl FromRequestParts<super::AppState> for ApiKey {
    type Rejection = super::AppError;

    async fn from_request_parts(parts: &mut Parts, state: &super::AppState) -> Result<Self, Self::Rejection> {
        match Caller::from_request_parts(parts, state).await {
            Ok(Caller::Trusted) => Ok(ApiKey),
            _ => Err(super::AppError::Unauthenticated),
        }
    }
}

pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl ApiKeys {
    pub fn new(keys: &[SecretString]) -> Self {
        Self { digests: keys.iter().map(|k| Sha256::digest(k.expose_secret().as_bytes()).into()).collect() }
    }

    pub fn caller(&self, headers: &HeaderMap) -> Caller {
        let Some(presented) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            // The scheme is case-insensitive (RFC 9110): `bearer` and `BEARER` are `Bearer` too.
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, key)| key.trim())
        else {
            return Caller::Anonymous;
        };
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        // Every key is compared, so the time taken does not say which one (if any) matched.
        let matched = self.digests.iter().fold(subtle::Choice::from(0), |acc, key| acc | key.ct_eq(&digest));
        if bool::from(matched) { Caller::Trusted } else { Caller::Anonymous }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn only_a_configured_bearer_key_is_trusted() {
        let keys = ApiKeys::new(&[SecretString::from("k1"), SecretString::from("k2")]);
        assert_eq!(keys.caller(&headers("Bearer k2")), Caller::Trusted);
        assert_eq!(keys.caller(&headers("bearer k1")), Caller::Trusted);
        assert_eq!(keys.caller(&headers("BEARER  k1")), Caller::Trusted);
        assert_eq!(keys.caller(&headers("Bearer k3")), Caller::Anonymous);
        assert_eq!(keys.caller(&headers("k1")), Caller::Anonymous);
        assert_eq!(keys.caller(&headers("Basic k1")), Caller::Anonymous);
        assert_eq!(keys.caller(&HeaderMap::new()), Caller::Anonymous);
    }

    #[test]
    fn no_configured_keys_trusts_nobody() {
        let keys = ApiKeys::new(&[]);
        assert_eq!(keys.caller(&headers("Bearer ")), Caller::Anonymous);
    }
}
