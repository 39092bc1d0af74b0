//! GitHub's REST API as seen without a token: `GET /users/{login}` and
//! `GET /users/{login}/repos?type=owner&per_page=N&page=P` in GitHub's shapes, paged with `Link`
//! headers, 60 requests an hour (`X-RateLimit-*`), then 403 "API rate limit exceeded". Requests
//! are recorded with operation `REST user` / `REST repos` and no token.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::{HOST, LINK};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::{AppState, FakeRepo, RecordedRequest, json_response, lock, repo_id};

/// What GitHub allows an address per hour without a token.
pub(super) const ANONYMOUS_LIMIT: i64 = 60;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/users/{login}", get(user)).route("/users/{login}/repos", get(repos))
}

/// Records the request and spends one of the hour's requests: Err is the 403 once they are spent.
fn arrive(app: &AppState, operation: &str, login: &str) -> Result<HeaderMap, Box<Response>> {
    let mut state = lock(&app.state);
    state.requests.push(RecordedRequest {
        token: None,
        operation: operation.to_owned(),
        login: Some(login.to_owned()),
        after: None,
        from: None,
    });
    state.arrivals.notify_waiters();
    state.anonymous_used += 1;
    let remaining = (state.anonymous_limit - state.anonymous_used).max(0);
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-ratelimit-limit", state.anonymous_limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", app.reset_at.to_string()),
        ("x-ratelimit-resource", "core".to_owned()),
    ] {
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
    }
    if state.anonymous_used > state.anonymous_limit {
        let mut response = json_response(
            StatusCode::FORBIDDEN,
            &json!({
                "message": "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit.)",
                "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
            }),
        );
        response.headers_mut().extend(headers);
        response.headers_mut().insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        return Err(Box::new(response));
    }
    Ok(headers)
}

fn not_found(headers: HeaderMap) -> Response {
    let mut response = json_response(
        StatusCode::NOT_FOUND,
        &json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404" }),
    );
    response.headers_mut().extend(headers);
    response
}

fn public(repos: &[FakeRepo]) -> Vec<&FakeRepo> {
    repos.iter().filter(|r| !r.is_private).collect()
}

async fn user(State(app): State<AppState>, Path(login): Path<String>) -> Response {
    let headers = match arrive(&app, "REST user", &login) {
        Ok(headers) => headers,
        Err(response) => return *response,
    };
    if let Some(base) = lock(&app.state).rest_redirect.clone() {
        let mut response = json_response(StatusCode::FOUND, &json!({}));
        let location = format!("{base}/users/{login}");
        response.headers_mut().insert("location", HeaderValue::from_str(&location).unwrap());
        return response;
    }
    let state = lock(&app.state);
    let Some(user) = state.users.get(&login.to_ascii_lowercase()) else {
        return not_found(headers);
    };
    let mut response = json_response(
        StatusCode::OK,
        &json!({
            "login": user.login,
            "id": 1,
            "node_id": user.id,
            "avatar_url": user.avatar_url,
            "type": "User",
            "name": user.name,
            "company": user.company,
            "blog": "",
            "location": user.location,
            "bio": user.bio,
            "public_repos": public(&user.repositories).len(),
            "public_gists": 0,
            "followers": user.followers,
            "following": user.following,
            "created_at": user.created_at,
            "updated_at": user.created_at,
        }),
    );
    response.headers_mut().extend(headers);
    response
}

async fn repos(
    State(app): State<AppState>,
    Path(login): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: HeaderMap,
) -> Response {
    let headers = match arrive(&app, "REST repos", &login) {
        Ok(headers) => headers,
        Err(response) => return *response,
    };
    let state = lock(&app.state);
    let Some(user) = state.users.get(&login.to_ascii_lowercase()) else {
        return not_found(headers);
    };
    let per_page: usize = query.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(30).clamp(1, 100);
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    // GitHub lists a user's repositories by full name unless asked otherwise.
    let mut repos = public(&user.repositories);
    repos.sort_by_key(|r| r.name.to_ascii_lowercase());
    let last = repos.len().div_ceil(per_page).max(1);
    let items: Vec<Value> =
        repos.iter().skip((page - 1) * per_page).take(per_page).map(|r| repo_json(&user.login, r)).collect();
    let mut response = json_response(StatusCode::OK, &Value::Array(items));
    response.headers_mut().extend(headers);
    // Absolute URLs, as GitHub sends them; the client follows `next`.
    let host = request.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let url = |p: usize| format!("<http://{host}/users/{login}/repos?type=owner&per_page={per_page}&page={p}>");
    let mut links = Vec::new();
    if page < last {
        links.push(format!("{}; rel=\"next\"", url(page + 1)));
        links.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", url(1)));
        links.push(format!("{}; rel=\"prev\"", url(page - 1)));
    }
    if !links.is_empty() {
        response.headers_mut().insert(LINK, HeaderValue::from_str(&links.join(", ")).unwrap());
    }
    response
}

fn repo_json(owner: &str, repo: &FakeRepo) -> Value {
    let mut languages: Vec<&(String, Option<String>, i64)> = repo.languages.iter().collect();
    languages.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let bytes: i64 = repo.languages.iter().map(|l| l.2).sum();
    json!({
        "id": 1,
        "node_id": repo_id(owner, repo),
        "name": repo.name,
        "full_name": format!("{owner}/{}", repo.name),
        "private": repo.is_private,
        "owner": { "login": owner },
        "fork": repo.is_fork,
        "stargazers_count": repo.stars,
        "watchers_count": repo.stars,
        "forks_count": repo.forks,
        "language": languages.first().map(|l| l.0.clone()),
        "pushed_at": repo.pushed_at,
        "size": bytes / 1024,
        "archived": repo.is_archived,
    })
}
