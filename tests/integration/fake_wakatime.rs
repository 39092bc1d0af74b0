//! WakaTime's `GET /api/v1/users/{user}/stats` on 127.0.0.1, in its response shape, for users a
//! test sets; unknown users get 404 as on WakaTime. Counts requests per user.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

#[derive(Default)]
struct FakeState {
    users: HashMap<String, Value>,
    requests: HashMap<String, usize>,
}

type Shared = Arc<Mutex<FakeState>>;

pub struct FakeWakaTime {
    addr: SocketAddr,
    state: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl FakeWakaTime {
    pub async fn start() -> FakeWakaTime {
        let state: Shared = Arc::default();
        let app = Router::new().route("/api/v1/users/{user}/stats", get(stats)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeWakaTime { addr, state, server }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A user coding in `languages` (name, seconds) over the last 7 days.
    pub fn set_user(&self, username: &str, languages: &[(&str, f64)]) {
        let total: f64 = languages.iter().map(|(_, s)| s).sum();
        let languages: Vec<Value> = languages
            .iter()
            .map(|(name, seconds)| {
                let (hours, minutes) = ((seconds / 3600.0) as i64, ((seconds % 3600.0) / 60.0) as i64);
                json!({
                    "name": name,
                    "total_seconds": seconds,
                    "percent": if total > 0.0 { seconds * 100.0 / total } else { 0.0 },
                    "digital": format!("{hours}:{minutes:02}"),
                    "text": format!("{hours} hrs {minutes} mins"),
                    "hours": hours,
                    "minutes": minutes,
                })
            })
            .collect();
        let body = json!({
            "data": {
                "username": username,
                "range": "last_7_days",
                "human_readable_total": format!("{} hrs", (total / 3600.0) as i64),
                "is_coding_activity_visible": true,
                "languages": languages,
            }
        });
        self.state.lock().unwrap().users.insert(username.to_ascii_lowercase(), body);
    }

    pub fn requests_for(&self, username: &str) -> usize {
        self.state.lock().unwrap().requests.get(&username.to_ascii_lowercase()).copied().unwrap_or(0)
    }
}

impl Drop for FakeWakaTime {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn stats(State(state): State<Shared>, Path(user): Path<String>) -> Response {
    let mut state = state.lock().unwrap();
    *state.requests.entry(user.to_ascii_lowercase()).or_default() += 1;
    match state.users.get(&user.to_ascii_lowercase()) {
        Some(body) => axum::Json(body.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, axum::Json(json!({ "error": "Not found" }))).into_response(),
    }
}
