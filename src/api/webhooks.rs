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
use moka::sync::Cache;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use super::{AppError, AppState};
use crate::domain::Login;
use crate::github::GitHubError;
use crate::stats::{RefreshError, StatsError};

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
    if let Some(delivery) = &delivery
        && state.webhooks.deliveries.contains_key(delivery)
    {
        return ok(json!({ "ok": true, "ignored": "delivery already handled" }));
    }
    let response = handle(&state, event, &body).await;
    // Only a delivery that was dealt with is remembered: when GitHub (or we) failed, GitHub's
    // redelivery must be acted on.
    if response.status().is_success()
        && let Some(delivery) = delivery
    {
        state.webhooks.deliveries.insert(delivery, ());
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
