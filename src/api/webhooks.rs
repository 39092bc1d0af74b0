//! `POST /webhooks/github`: GitHub tells us a user's repositories changed; we refresh that user
//! now instead of waiting for the scheduler.
//!
//! Invariants: nothing happens unless `X-Hub-Signature-256` is a valid HMAC-SHA256 of the raw
//! body with GITHUB_WEBHOOK_SECRET (constant-time comparison); a delivery id is acted on once.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use moka::sync::Cache;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use super::{AppError, AppState};
use crate::domain::Login;
use crate::stats::RefreshError;

/// GitHub events that can change someone's banner numbers.
const REFRESHING_EVENTS: [&str; 6] = ["push", "star", "fork", "public", "release", "repository"];

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/github", post(receive))
}

pub struct WebhookVerifier {
    secret: Option<SecretString>,
    /// Delivery ids already handled (GitHub retries reuse them; so would a replay).
    deliveries: Cache<String, ()>,
}

impl WebhookVerifier {
    pub fn new(secret: Option<SecretString>) -> Self {
        Self {
            secret,
            deliveries: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(std::time::Duration::from_secs(24 * 3600))
                .build(),
        }
    }

    fn verify(&self, signature: Option<&str>, body: &[u8]) -> Result<(), &'static str> {
        let secret = self.secret.as_ref().ok_or("webhooks are not enabled (GITHUB_WEBHOOK_SECRET is not set)")?;
        let hex_mac = signature.and_then(|s| s.strip_prefix("sha256=")).ok_or("missing X-Hub-Signature-256")?;
        let expected = hex::decode(hex_mac).map_err(|_| "malformed X-Hub-Signature-256")?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose_secret().as_bytes())
            .map_err(|_| "bad webhook secret")?;
        mac.update(body);
        mac.verify_slice(&expected).map_err(|_| "X-Hub-Signature-256 does not match")
    }
}

#[derive(Deserialize)]
struct Payload {
    repository: Option<Repository>,
}

#[derive(Deserialize)]
struct Repository {
    owner: Owner,
}

#[derive(Deserialize)]
struct Owner {
    login: String,
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(reason) = state.webhooks.verify(header("x-hub-signature-256"), &body) {
        tracing::warn!(reason, "rejected a webhook");
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "error": { "code": "UNAUTHENTICATED", "message": reason } })),
        )
            .into_response();
    }
    let event = header("x-github-event").unwrap_or_default();
    if event == "ping" {
        return (StatusCode::OK, axum::Json(json!({ "ok": true, "event": "ping" }))).into_response();
    }
    if let Some(delivery) = header("x-github-delivery") {
        let entry = state.webhooks.deliveries.entry(delivery.to_owned()).or_insert(());
        if !entry.is_fresh() {
            return (StatusCode::OK, axum::Json(json!({ "ok": true, "ignored": "delivery already handled" })))
                .into_response();
        }
    }
    if !REFRESHING_EVENTS.contains(&event) {
        return (StatusCode::OK, axum::Json(json!({ "ok": true, "ignored": format!("event `{event}`") })))
            .into_response();
    }
    let owner = serde_json::from_slice::<Payload>(&body).ok().and_then(|p| p.repository).map(|r| r.owner.login);
    let Some(login) = owner.as_deref().and_then(|o| Login::parse(o).ok()) else {
        let error =
            AppError::InvalidParameter { name: "repository.owner.login", reason: "missing or invalid".to_owned() };
        return super::banners::json_error(&error);
    };
    match state.stats.refresh_now(&login).await {
        Ok(_) => (StatusCode::OK, axum::Json(json!({ "ok": true, "refreshed": login.as_str() }))).into_response(),
        // A burst of pushes: one refresh a minute is plenty; the scheduler catches the rest.
        Err(RefreshError::Throttled { .. }) => {
            (StatusCode::OK, axum::Json(json!({ "ok": true, "ignored": "refreshed less than a minute ago" })))
                .into_response()
        }
        Err(error) => super::banners::json_error(&error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn only_githubs_signature_with_our_secret_passes() {
        let verifier = WebhookVerifier::new(Some(SecretString::from("hook")));
        let body = br#"{"zen":"x"}"#;
        assert!(verifier.verify(Some(&sign("hook", body)), body).is_ok());
        assert!(verifier.verify(Some(&sign("other", body)), body).is_err());
        assert!(verifier.verify(Some(&sign("hook", body)), b"{}").is_err());
        assert!(verifier.verify(None, body).is_err());
        assert!(verifier.verify(Some("sha1=abc"), body).is_err());
        assert!(WebhookVerifier::new(None).verify(Some(&sign("hook", body)), body).is_err());
    }
}
