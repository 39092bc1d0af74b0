//! `POST /webhooks/github`: GitHub tells us a user's repositories changed; we refresh that user
//! now instead of waiting for the scheduler.
//!
//! Invariants: nothing happens unless `X-Hub-Signature-256` is a valid HMAC-SHA256 of the raw
//! body with GITHUB_WEBHOOK_SECRET (constant-time comparison); a delivery id is acted on once it
//! succeeded, never again (a failed one may be redelivered); every valid delivery we could deal
//! with gets a 2xx, so GitHub's delivery log shows only real failures.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use super::{AppError, AppState};
use crate::domain::Login;
use crate::github::GitHubError;
use crate::stats::{RefreshError, StatsError};
use crate::store::Claims;

/// GitHub events that can change someone's banner numbers.
const REFRESHING_EVENTS: [&str; 6] = ["push", "star", "fork", "public", "release", "repository"];

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/github", post(receive))
}

pub struct WebhookVerifier {
    secret: Option<SecretString>,
    /// Delivery ids handled by any replica (GitHub retries reuse them; so would a replay).
    deliveries: Claims,
}

impl WebhookVerifier {
    pub fn new(secret: Option<SecretString>, deliveries: Claims) -> Self {
        Self { secret, deliveries }
    }

    fn verify(&self, signature: Option<&str>, body: &[u8]) -> Result<(), &'static str> {
        verify_signature(self.secret.as_ref(), signature, body)
    }
}

/// GitHub's `X-Hub-Signature-256` check: an HMAC-SHA256 of the raw body with the secret,
/// compared in constant time.
fn verify_signature(secret: Option<&SecretString>, signature: Option<&str>, body: &[u8]) -> Result<(), &'static str> {
    let secret = secret.ok_or("webhooks are not enabled (GITHUB_WEBHOOK_SECRET is not set)")?;
    let hex_mac = signature.and_then(|s| s.strip_prefix("sha256=")).ok_or("missing X-Hub-Signature-256")?;
    let expected = hex::decode(hex_mac).map_err(|_| "malformed X-Hub-Signature-256")?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose_secret().as_bytes())
        .map_err(|_| "bad webhook secret")?;
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| "X-Hub-Signature-256 does not match")
}

#[derive(Deserialize)]
struct Payload {
    repository: Option<Repository>,
    sender: Option<Account>,
}

#[derive(Deserialize)]
struct Repository {
    owner: Account,
}

#[derive(Deserialize)]
struct Account {
    login: String,
    /// `User` or `Organization`.
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

fn ok(body: serde_json::Value) -> Response {
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(reason) = state.webhooks.verify(header("x-hub-signature-256"), &body) {
        tracing::warn!(reason, "rejected a webhook");
        return AppError::BadSignature(reason.to_owned()).into_response();
    }
    let event = header("x-github-event").unwrap_or_default();
    if event == "ping" {
        return ok(json!({ "ok": true, "event": "ping" }));
    }
    let delivery = header("x-github-delivery").map(str::to_owned);
    if let Some(delivery) = &delivery {
        match state.webhooks.deliveries.claim_delivery(delivery, state.stats.now()).await {
            Ok(true) => {}
            Ok(false) => return ok(json!({ "ok": true, "ignored": "delivery already handled" })),
            Err(error) => return AppError::from(error).into_response(),
        }
    }
    let response = handle(&state, event, &body).await;
    // Only a delivery that was dealt with stays claimed: when GitHub (or we) failed, GitHub's
    // redelivery must be acted on, by whichever replica gets it.
    if !response.status().is_success()
        && let Some(delivery) = delivery
        && let Err(error) = state.webhooks.deliveries.release_delivery(&delivery).await
    {
        tracing::warn!(%error, "could not release a failed webhook delivery");
    }
    response
}

async fn handle(state: &AppState, event: &str, body: &[u8]) -> Response {
    if !REFRESHING_EVENTS.contains(&event) {
        return ok(json!({ "ok": true, "ignored": format!("event `{event}`") }));
    }
    let Some(payload) = serde_json::from_slice::<Payload>(body).ok() else {
        let error = AppError::InvalidParameter { name: "body", reason: "not a GitHub event payload".to_owned() };
        return error.into_response();
    };
    let Some(owner) = payload.repository.map(|r| r.owner) else {
        let error = AppError::InvalidParameter { name: "repository.owner", reason: "missing".to_owned() };
        return error.into_response();
    };
    let login = if owner.kind.as_deref() == Some("Organization") {
        // An organization has no card here; its repositories count for the people who push to
        // them. The pusher is refreshed when this instance already shows them (strangers' pushes
        // must not spend the token budget).
        match payload.sender.filter(|s| s.kind.as_deref() != Some("Bot")).and_then(|s| Login::parse(&s.login).ok()) {
            Some(sender) if state.stats.stored_snapshot(&sender).await.is_some() => sender,
            _ => return ok(json!({ "ok": true, "ignored": "organization repository; nobody shown here to refresh" })),
        }
    } else {
        match Login::parse(&owner.login) {
            Ok(login) => login,
            Err(_) => {
                let error = AppError::InvalidParameter { name: "repository.owner.login", reason: "invalid".to_owned() };
                return error.into_response();
            }
        }
    };
    match state.stats.refresh_now(&login).await {
        Ok(_) => ok(json!({ "ok": true, "refreshed": login.as_str() })),
        // A burst of pushes: one refresh a minute is plenty; the scheduler catches the rest.
        Err(RefreshError::Throttled { .. }) => ok(json!({ "ok": true, "ignored": "refreshed less than a minute ago" })),
        Err(RefreshError::Failed { error: StatsError::GitHub(GitHubError::NotFound), .. }) => {
            ok(json!({ "ok": true, "ignored": format!("GitHub has no user `{login}`") }))
        }
        Err(RefreshError::Failed { error: StatsError::Refused { .. }, .. }) => {
            ok(json!({ "ok": true, "ignored": format!("`{login}` is not shown by this instance") }))
        }
        Err(error) => AppError::from(error).into_response(),
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
        let secret = SecretString::from("hook");
        let verify = |signature: Option<&str>, body: &[u8]| verify_signature(Some(&secret), signature, body);
        let body = br#"{"zen":"x"}"#;
        assert!(verify(Some(&sign("hook", body)), body).is_ok());
        assert!(verify(Some(&sign("other", body)), body).is_err());
        assert!(verify(Some(&sign("hook", body)), b"{}").is_err());
        assert!(verify(None, body).is_err());
        assert!(verify(Some("sha1=abc"), body).is_err());
        assert!(verify_signature(None, Some(&sign("hook", body)), body).is_err());
    }
}
