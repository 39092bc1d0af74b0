//! A fake GitHub GraphQL v4 endpoint: an axum app on 127.0.0.1:0 that answers the two documents in
//! `github_queries/` (`UserStats`, `UserRepositories`) in GitHub's response shapes, from users the
//! test puts in it. It can be scripted to fail (401, RATE_LIMITED, 403/429, 5xx, delay, malformed
//! JSON) and records every request, failed ones included, so tests can assert token rotation and
//! single-flight.
//!
//! State is shared and read per request: a test may change a user between two fetches.

mod calendar;
pub mod fixtures;
mod rest;

pub use calendar::FakeContribution;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// Points per token per hour, as GitHub grants a personal access token.
pub const RATE_LIMIT: i64 = 5000;
/// Repositories per page; both queries ask for `first: 100`.
pub const PAGE_SIZE: usize = 100;
/// Both queries ask for `languages(first: 10)`.
const LANGUAGES_PER_REPO: usize = 10;
const DOCS_URL: &str = "https://docs.github.com/graphql";

/// One request as the fake received it (recorded on arrival, before any scripted failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The token after `Bearer ` (or `token `); None without an Authorization header.
    pub token: Option<String>,
    /// `operationName`, else the name found after `query` in the document; "" if neither.
    pub operation: String,
    /// `variables.login`.
    pub login: Option<String>,
    /// `variables.after` (the pagination cursor).
    pub after: Option<String>,
    /// `variables.from` (a contribution calendar's first instant).
    pub from: Option<String>,
}

/// A GitHub user as the fake serves it. Fields are public: build with [`FakeUser::new`] and
/// struct-update syntax or the builder methods.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeUser {
    /// GitHub's node id (`U_...`); `new` derives a stable one from the login.
    pub id: String,
    /// Canonical spelling; lookups are case-insensitive and answer with this spelling.
    pub login: String,
    pub name: Option<String>,
    pub avatar_url: String,
    pub bio: Option<String>,
    pub company: Option<String>,
    pub location: Option<String>,
    /// ISO 8601, e.g. `2011-01-25T18:44:36Z`.
    pub created_at: String,
    pub followers: i64,
    pub following: i64,
    /// `contributionsCollection.totalCommitContributions`.
    pub commits: i64,
    /// `contributionsCollection.restrictedContributionsCount`.
    pub restricted: i64,
    pub pull_requests: i64,
    pub issues: i64,
    pub reviews: i64,
    /// `repositoriesContributedTo.totalCount`.
    pub contributed_to: i64,
    /// All-time `pullRequests`, `pullRequests(states: MERGED)`, `issues`,
    /// `repositoryDiscussions` and `repositoryDiscussionComments(onlyAnswers: true)` totals.
    pub all_time: [i64; 5],
    /// `contributionsCollection(from, to).totalCommitContributions` by the year of `from`.
    pub commits_by_year: std::collections::BTreeMap<i32, i64>,
    /// Owned repositories in any order; served sorted by stars desc, ties by name.
    pub repositories: Vec<FakeRepo>,
    /// What `ContributionCalendar` counts, by instant.
    pub contributions: Vec<FakeContribution>,
    /// The user lets their profile count private contributions.
    pub private_contributions_shown: bool,
}

/// A repository owned by a [`FakeUser`] (its `owner.login` is the user's login).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeRepo {
    /// GitHub's node id; None derives a stable `R_...` id from owner and name when served.
    pub id: Option<String>,
    pub name: String,
    pub stars: i64,
    pub forks: i64,
    pub is_fork: bool,
    pub is_private: bool,
    /// (name, color `#rrggbb` or None, bytes). Served largest first, at most 20; the largest is
    /// the `primaryLanguage` (null without languages).
    pub languages: Vec<(String, Option<String>, i64)>,
    /// ISO 8601, or None (GitHub's `pushedAt` is null for an empty repository).
    pub pushed_at: Option<String>,
    pub description: Option<String>,
    pub is_archived: bool,
    pub is_template: bool,
}

/// A public or secret gist, served by `GistCard` (`viewer.gist(name:)`).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeGist {
    pub id: String,
    pub owner: String,
    pub description: Option<String>,
    pub is_public: bool,
    pub stars: i64,
    pub forks: i64,
    /// In GitHub's order.
    pub files: Vec<FakeGistFile>,
}

/// (file name, language name and color, size in bytes).
pub type FakeGistFile = (String, Option<(String, String)>, i64);

impl FakeUser {
    /// A user with ordinary, non-zero counters and no repositories.
    pub fn new(login: &str) -> FakeUser {
        let hash = fnv1a(&login.to_ascii_lowercase());
        FakeUser {
            id: format!("U_kgDO{:010X}", hash % 0xFF_FFFF_FFFF),
            login: login.to_owned(),
            name: Some(format!("{login} (fake)")),
            avatar_url: format!("https://avatars.githubusercontent.com/u/{}?v=4", hash % 100_000_000),
            bio: None,
            company: None,
            location: None,
            created_at: "2011-01-25T18:44:36Z".to_owned(),
            followers: 42,
            following: 7,
            commits: 365,
            restricted: 0,
            pull_requests: 25,
            issues: 12,
            reviews: 8,
            contributed_to: 5,
            all_time: [250, 200, 120, 3, 1],
            commits_by_year: std::collections::BTreeMap::new(),
            repositories: Vec::new(),
            contributions: Vec::new(),
            private_contributions_shown: false,
        }
    }

    pub fn name(mut self, name: Option<&str>) -> FakeUser {
        self.name = name.map(str::to_owned);
        self
    }

    pub fn repo(mut self, repo: FakeRepo) -> FakeUser {
        self.repositories.push(repo);
        self
    }

    pub fn repos(mut self, repos: impl IntoIterator<Item = FakeRepo>) -> FakeUser {
        self.repositories.extend(repos);
        self
    }

    /// The repository called `name`, for tests that change one between fetches.
    pub fn repo_mut(&mut self, name: &str) -> &mut FakeRepo {
        self.repositories
            .iter_mut()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("fake user {} has no repository {name}", self.login))
    }
}

impl FakeRepo {
    /// A public, non-fork repository without languages, pushed on 2026-01-15, with no forks.
    pub fn new(name: &str, stars: i64) -> FakeRepo {
        FakeRepo {
            id: None,
            name: name.to_owned(),
            stars,
            forks: 0,
            is_fork: false,
            is_private: false,
            languages: Vec::new(),
            pushed_at: Some("2026-01-15T12:00:00Z".to_owned()),
            description: None,
            is_archived: false,
            is_template: false,
        }
    }

    pub fn description(mut self, description: &str) -> FakeRepo {
        self.description = Some(description.to_owned());
        self
    }

    pub fn archived(mut self) -> FakeRepo {
        self.is_archived = true;
        self
    }

    pub fn template(mut self) -> FakeRepo {
        self.is_template = true;
        self
    }

    pub fn fork(mut self) -> FakeRepo {
        self.is_fork = true;
        self
    }

    pub fn private(mut self) -> FakeRepo {
        self.is_private = true;
        self
    }

    pub fn forks(mut self, forks: i64) -> FakeRepo {
        self.forks = forks;
        self
    }

    /// Adds a language; pass "" as color for a language GitHub has no color for.
    pub fn language(mut self, name: &str, color: &str, bytes: i64) -> FakeRepo {
        let color = (!color.is_empty()).then(|| color.to_owned());
        self.languages.push((name.to_owned(), color, bytes));
        self
    }

    pub fn pushed_at(mut self, pushed_at: Option<&str>) -> FakeRepo {
        self.pushed_at = pushed_at.map(str::to_owned);
        self
    }

    pub fn id(mut self, id: &str) -> FakeRepo {
        self.id = Some(id.to_owned());
        self
    }
}

/// How a token answers once its budget is spent.
#[derive(Debug, Clone, Copy)]
enum RateLimited {
    /// HTTP 200 with a `RATE_LIMITED` GraphQL error (GitHub's primary GraphQL limit).
    GraphQl,
    /// HTTP 403/429 with `Retry-After` (GitHub's secondary limits).
    Status(u16),
}

#[derive(Default)]
struct FakeState {
    tokens: HashSet<String>,
    /// Keyed by lowercase login.
    users: HashMap<String, FakeUser>,
    /// Keyed by id.
    gists: HashMap<String, FakeGist>,
    rate_limited: HashMap<String, RateLimited>,
    fail_next: usize,
    fail_status: u16,
    delay: Duration,
    malformed: bool,
    requests: Vec<RecordedRequest>,
    /// Points used per token ("" for requests without one).
    used: HashMap<String, i64>,
    /// Requests being answered right now, per token.
    in_flight: HashMap<String, usize>,
    /// Most requests ever in flight at once, across tokens.
    max_in_flight: usize,
    /// More concurrent requests than this on one token trip GitHub's secondary rate limit.
    secondary_limit: Option<usize>,
    /// REST requests without a token answered so far, and how many the hour allows.
    anonymous_used: i64,
    anonymous_limit: i64,
    /// REST answers `302 Found` to this base (the same path) instead of answering.
    rest_redirect: Option<String>,
    /// Woken each time a request is recorded.
    arrivals: Arc<tokio::sync::Notify>,
}

type Shared = Arc<Mutex<FakeState>>;

fn lock(state: &Shared) -> MutexGuard<'_, FakeState> {
    // A panicking test must not poison the fake for the assertions that follow.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running fake. Dropping it stops the server.
pub struct FakeGitHub {
    addr: SocketAddr,
    state: Shared,
    /// Epoch seconds of the (fixed) rate-limit window end, an hour after start.
    reset_at: i64,
    server: JoinHandle<()>,
}

impl FakeGitHub {
    /// Binds 127.0.0.1:0 and serves `POST /graphql` on the current tokio runtime.
    pub async fn start() -> FakeGitHub {
        let state: Shared = Arc::default();
        let reset_at = chrono::Utc::now().timestamp() + 3600;
        lock(&state).anonymous_limit = rest::ANONYMOUS_LIMIT;
        let app = Router::new()
            .route("/graphql", post(graphql))
            .merge(rest::routes())
            .with_state(AppState { state: state.clone(), reset_at });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake GitHub");
        let addr = listener.local_addr().expect("fake GitHub address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake GitHub server");
        });
        FakeGitHub { addr, state, reset_at, server }
    }

    /// The REST API's base, `http://127.0.0.1:PORT` (answers `GET /users/{login}` and
    /// `GET /users/{login}/repos` without a token).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests the REST API answers without a token before it says the hour's budget is spent.
    pub fn set_anonymous_limit(&self, limit: i64) {
        lock(&self.state).anonymous_limit = limit;
    }

    /// The REST API answers every request with a redirect to the same path on `base`.
    pub fn redirect_rest_to(&self, base: &str) {
        lock(&self.state).rest_redirect = Some(base.to_owned());
    }

    /// The GraphQL endpoint, `http://127.0.0.1:PORT/graphql`.
    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// Accept this token; any other gets 401 Bad credentials.
    pub fn add_token(&self, token: &str) {
        lock(&self.state).tokens.insert(token.to_owned());
    }

    /// Insert or replace a user (matched by login, case-insensitively).
    pub fn set_user(&self, user: FakeUser) {
        lock(&self.state).users.insert(user.login.to_ascii_lowercase(), user);
    }

    /// Change a stored user in place; panics if there is none.
    pub fn update_user(&self, login: &str, change: impl FnOnce(&mut FakeUser)) {
        let mut state = lock(&self.state);
        let user = state
            .users
            .get_mut(&login.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("fake GitHub has no user {login}"));
        change(user);
    }

    /// Forget a user: later requests for it answer NOT_FOUND (deleted or renamed account).
    pub fn set_gist(&self, gist: FakeGist) {
        lock(&self.state).gists.insert(gist.id.clone(), gist);
    }

    /// Calendar queries for `login` whose `from` starts with `year` (e.g. `"2024"`).
    pub fn calendar_requests(&self, login: &str, year: &str) -> usize {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.operation == "ContributionCalendar")
            .filter(|r| r.login.as_deref().is_some_and(|l| l.eq_ignore_ascii_case(login)))
            .filter(|r| r.from.as_deref().is_some_and(|f| f.starts_with(year)))
            .count()
    }

    /// Requests for one operation, whatever their variables.
    pub fn operation_count(&self, operation: &str) -> usize {
        lock(&self.state).requests.iter().filter(|r| r.operation == operation).count()
    }

    pub fn remove_user(&self, login: &str) {
        lock(&self.state).users.remove(&login.to_ascii_lowercase());
    }

    /// From now on this token (accepted even without `add_token`) answers like GitHub's spent
    /// GraphQL budget: 200 with a `RATE_LIMITED` error, `X-RateLimit-Remaining: 0`.
    pub fn rate_limit_token(&self, token: &str) {
        lock(&self.state).rate_limited.insert(token.to_owned(), RateLimited::GraphQl);
    }

    /// Like `rate_limit_token` but answering `status` (403 or 429) with `Retry-After: 60`.
    pub fn rate_limit_token_with_status(&self, token: &str, status: u16) {
        lock(&self.state).rate_limited.insert(token.to_owned(), RateLimited::Status(status));
    }

    /// The token's budget is back (as after the reset).
    pub fn restore_token(&self, token: &str) {
        let mut state = lock(&self.state);
        state.rate_limited.remove(token);
        state.used.remove(token);
    }

    /// The next `n` requests (whatever their token) answer `status` with an HTML body.
    pub fn fail_next(&self, n: usize, status: u16) {
        let mut state = lock(&self.state);
        state.fail_next = n;
        state.fail_status = status;
    }

    /// Every response waits this long first (the request is recorded on arrival).
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.state).delay = delay;
    }

    /// While on, authorised requests get 200 with a body that is not valid JSON.
    pub fn set_malformed(&self, on: bool) {
        lock(&self.state).malformed = on;
    }

    /// From now on, more than `n` requests in flight at once on one token answer like GitHub's
    /// secondary rate limit (403, `Retry-After: 60`).
    pub fn set_secondary_limit(&self, n: usize) {
        lock(&self.state).secondary_limit = Some(n);
    }

    /// The most requests that were ever in flight at once.
    pub fn max_in_flight(&self) -> usize {
        lock(&self.state).max_in_flight
    }

    /// Every request received so far, in arrival order.
    /// Returns once at least `n` requests have arrived (recorded on arrival, before any delay).
    pub async fn until_requests(&self, n: usize) {
        loop {
            let arrivals = lock(&self.state).arrivals.clone();
            let arrived = arrivals.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if lock(&self.state).requests.len() >= n {
                return;
            }
            arrived.await;
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// Requests for this login (case-insensitive) and operation (`UserStats`, `UserRepositories`).
    pub fn request_count_for(&self, login: &str, operation: &str) -> usize {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.operation == operation)
            .filter(|r| r.login.as_deref().is_some_and(|l| l.eq_ignore_ascii_case(login)))
            .count()
    }

    pub fn requests_by_token(&self, token: &str) -> usize {
        lock(&self.state).requests.iter().filter(|r| r.token.as_deref() == Some(token)).count()
    }

    /// `X-RateLimit-Reset` as served: epoch seconds, an hour after `start`.
    pub fn reset_at(&self) -> i64 {
        self.reset_at
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Clone)]
struct AppState {
    state: Shared,
    reset_at: i64,
}

/// What the arrival of a request decided, before the delay.
struct Arrival {
    token: Option<String>,
    body: Option<Value>,
    operation: String,
    used: i64,
    fail: Option<u16>,
    delay: Duration,
    /// Over the secondary limit (concurrent requests on its token).
    secondary: bool,
}

/// Counts a request as in flight on its token until it is answered (or the client hangs up).
struct InFlight {
    state: Shared,
    token: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(n) = lock(&self.state).in_flight.get_mut(&self.token) {
            *n = n.saturating_sub(1);
        }
    }
}

async fn graphql(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let arrival = arrive(&app.state, &headers, &body);
    let _in_flight = InFlight { state: app.state.clone(), token: arrival.token.clone().unwrap_or_default() };
    if !arrival.delay.is_zero() {
        tokio::time::sleep(arrival.delay).await;
    }
    if arrival.secondary {
        let mut response = json_response(
            StatusCode::FORBIDDEN,
            &json!({
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                "documentation_url": "https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#secondary-rate-limits",
            }),
        );
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    // Read the state again after the delay: what is served is the state at answer time.
    let state = lock(&app.state);
    let limited = arrival
        .token
        .as_ref()
        .and_then(|t| state.rate_limited.get(t).copied())
        .or_else(|| (arrival.token.is_some() && arrival.used > RATE_LIMIT).then_some(RateLimited::GraphQl));
    let remaining = if limited.is_some() { 0 } else { (RATE_LIMIT - arrival.used).max(0) };
    let budget = Budget { remaining, used: RATE_LIMIT - remaining, reset_at: app.reset_at };

    let mut response =
        if let Some(status) = arrival.fail { html_error(status) } else { answer(&state, &arrival, limited, &budget) };
    budget.add_headers(response.headers_mut());
    response
}

fn arrive(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Arrival {
    let token = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(|v| {
        let v = v.trim();
        match v.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") => {
                t.trim().to_owned()
            }
            _ => v.to_owned(),
        }
    });
    let body: Option<Value> = serde_json::from_slice(body).ok();
    let query = body.as_ref().and_then(|b| b["query"].as_str()).unwrap_or("");
    let operation = body
        .as_ref()
        .and_then(|b| b["operationName"].as_str())
        .map(str::to_owned)
        .or_else(|| operation_in(query))
        .unwrap_or_default();
    let variable = |name: &str| body.as_ref().and_then(|b| b["variables"][name].as_str()).map(str::to_owned);
    let mut state = lock(shared);
    state.requests.push(RecordedRequest {
        token: token.clone(),
        operation: operation.clone(),
        login: variable("login"),
        after: variable("after"),
        from: variable("from"),
    });
    state.arrivals.notify_waiters();
    let used = state.used.entry(token.clone().unwrap_or_default()).or_default();
    *used += 1;
    let used = *used;
    let fail = (state.fail_next > 0).then(|| {
        state.fail_next -= 1;
        state.fail_status
    });
    let in_flight = state.in_flight.entry(token.clone().unwrap_or_default()).or_default();
    *in_flight += 1;
    let on_token = *in_flight;
    let total: usize = state.in_flight.values().sum();
    state.max_in_flight = state.max_in_flight.max(total);
    let secondary = state.secondary_limit.is_some_and(|limit| on_token > limit);
    Arrival { token, body, operation, used, fail, delay: state.delay, secondary }
}

struct Budget {
    remaining: i64,
    used: i64,
    reset_at: i64,
}

impl Budget {
    fn add_headers(&self, headers: &mut HeaderMap) {
        let mut set = |name: &'static str, value: String| {
            headers.insert(HeaderName::from_static(name), HeaderValue::from_str(&value).expect("header value"));
        };
        set("x-ratelimit-limit", RATE_LIMIT.to_string());
        set("x-ratelimit-remaining", self.remaining.to_string());
        set("x-ratelimit-reset", self.reset_at.to_string());
        set("x-ratelimit-used", self.used.to_string());
        set("x-ratelimit-resource", "graphql".to_owned());
    }

    fn reset_at_iso(&self) -> String {
        chrono::DateTime::from_timestamp(self.reset_at, 0)
            .expect("reset timestamp")
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }

    fn json(&self) -> Value {
        json!({ "limit": RATE_LIMIT, "remaining": self.remaining, "resetAt": self.reset_at_iso() })
    }
}

fn answer(state: &FakeState, arrival: &Arrival, limited: Option<RateLimited>, budget: &Budget) -> Response {
    let Some(token) = arrival.token.as_deref() else {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({
                "message": "This endpoint requires you to be authenticated.",
                "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql",
            }),
        );
    };
    if !state.tokens.contains(token) && !state.rate_limited.contains_key(token) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({ "message": "Bad credentials", "documentation_url": DOCS_URL }),
        );
    }
    match limited {
        Some(RateLimited::GraphQl) => {
            return json_response(
                StatusCode::OK,
                &json!({
                    "data": null,
                    "errors": [{ "type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1." }],
                }),
            );
        }
        Some(RateLimited::Status(status)) => {
            let mut response = json_response(
                status_code(status),
                &json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    "documentation_url": "https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#secondary-rate-limits",
                }),
            );
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("60"));
            return response;
        }
        None => {}
    }
    let Some(body) = &arrival.body else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "message": "Problems parsing JSON", "documentation_url": DOCS_URL }),
        );
    };
    if state.malformed {
        let mut response = (StatusCode::OK, r#"{"data":{"rateLimit":{"limit":5000,"#).into_response();
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        return response;
    }
    json_response(StatusCode::OK, &execute(state, body, &arrival.operation, budget))
}

/// Runs one of the two known operations against the stored users.
fn execute(state: &FakeState, body: &Value, operation: &str, budget: &Budget) -> Value {
    let query = body["query"].as_str().unwrap_or("");
    if operation == "RateLimitCheck" && operation_in(query).as_deref() == Some(operation) {
        return json!({ "data": { "rateLimit": budget.json() } });
    }
    let known = matches!(
        operation,
        "UserStats" | "UserRepositories" | "RepositoryCard" | "GistCard" | "CommitsInYear" | "ContributionCalendar"
    );
    if !known || operation_in(query).as_deref() != Some(operation) {
        return json!({ "errors": [{ "message": format!("No operation named \"{operation}\"") }] });
    }
    let variables = &body["variables"];
    if operation == "RepositoryCard" {
        return repository_card(state, variables, query, budget);
    }
    if operation == "GistCard" {
        return gist_card(state, variables, query, budget);
    }
    if operation == "ContributionCalendar" {
        return calendar::contribution_calendar(state, variables, query, budget);
    }
    if operation == "CommitsInYear" {
        return commits_in_year(state, variables, query, budget);
    }
    let Some(login) = variables["login"].as_str() else {
        return invalid_variable("login", query);
    };
    let after = variables["after"].as_str();
    let ascending = match variables["direction"].as_str() {
        _ if operation == "UserStats" => false,
        Some("DESC") => false,
        Some("ASC") => true,
        _ => return invalid_variable("direction", query),
    };
    let rate_limit = budget.json();
    let user_at = location_of(query, "user(");
    let Some(user) = state.users.get(&login.to_ascii_lowercase()) else {
        return json!({
            "data": { "rateLimit": rate_limit, "user": null },
            "errors": [{
                "type": "NOT_FOUND",
                "path": ["user"],
                "locations": [user_at],
                "message": format!("Could not resolve to a User with the login of '{login}'."),
            }],
        });
    };

    let mut repos: Vec<&FakeRepo> = user.repositories.iter().collect();
    repos.sort_by(|a, b| b.stars.cmp(&a.stars).then_with(|| a.name.cmp(&b.name)));
    // GitHub pages by (stars, id) in the direction asked: ascending is the exact reverse.
    if ascending {
        repos.reverse();
    }
    let start = match after {
        None => 0,
        Some(cursor) => match decode_cursor(cursor) {
            Some(offset) => offset.min(repos.len()),
            None => {
                return json!({
                    "data": { "rateLimit": rate_limit, "user": null },
                    "errors": [{
                        "path": ["user", "repositories"],
                        "locations": [location_of(query, "repositories(")],
                        "message": format!("`{cursor}` does not appear to be a valid cursor."),
                    }],
                });
            }
        },
    };
    let end = (start + PAGE_SIZE).min(repos.len());
    let nodes: Vec<Value> = repos[start..end].iter().map(|r| repo_json(&user.login, r)).collect();
    let page_info = json!({
        "hasNextPage": end < repos.len(),
        "endCursor": (end > start).then(|| encode_cursor(end)),
    });

    if operation == "UserRepositories" {
        return json!({
            "data": {
                "rateLimit": rate_limit,
                "user": { "repositories": { "pageInfo": page_info, "nodes": nodes } },
            }
        });
    }
    json!({
        "data": {
            "rateLimit": rate_limit,
            "user": {
                "id": user.id,
                "login": user.login,
                "name": user.name,
                "avatarUrl": user.avatar_url,
                "bio": user.bio,
                "company": user.company,
                "location": user.location,
                "createdAt": user.created_at,
                "followers": { "totalCount": user.followers },
                "following": { "totalCount": user.following },
                "contributionsCollection": {
                    "totalCommitContributions": user.commits,
                    "restrictedContributionsCount": user.restricted,
                    "totalPullRequestContributions": user.pull_requests,
                    "totalIssueContributions": user.issues,
                    "totalPullRequestReviewContributions": user.reviews,
                },
                "repositoriesContributedTo": { "totalCount": user.contributed_to },
                "pullRequests": { "totalCount": user.all_time[0] },
                "mergedPullRequests": { "totalCount": user.all_time[1] },
                "issues": { "totalCount": user.all_time[2] },
                "repositoryDiscussions": { "totalCount": user.all_time[3] },
                "repositoryDiscussionComments": { "totalCount": user.all_time[4] },
                "repositories": {
                    "totalCount": repos.len(),
                    "pageInfo": page_info,
                    "nodes": nodes,
                },
            },
        }
    })
}

/// `repository(owner:, name:)`: any user's repository by name, case-insensitively.
fn repository_card(state: &FakeState, variables: &Value, query: &str, budget: &Budget) -> Value {
    let (Some(owner), Some(name)) = (variables["owner"].as_str(), variables["name"].as_str()) else {
        return invalid_variable("owner", query);
    };
    let found = state
        .users
        .get(&owner.to_ascii_lowercase())
        .and_then(|user| user.repositories.iter().find(|r| r.name.eq_ignore_ascii_case(name)).map(|repo| (user, repo)));
    let Some((user, repo)) = found else {
        return json!({
            "data": { "rateLimit": budget.json(), "repository": null },
            "errors": [{
                "type": "NOT_FOUND",
                "path": ["repository"],
                "locations": [location_of(query, "repository(")],
                "message": format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
            }],
        });
    };
    let mut node = repo_json(&user.login, repo);
    node["owner"] = json!({ "__typename": "User", "login": user.login });
    node["description"] = json!(repo.description);
    node["isArchived"] = json!(repo.is_archived);
    node["isTemplate"] = json!(repo.is_template);
    json!({ "data": { "rateLimit": budget.json(), "repository": node } })
}

/// `user(login:) { contributionsCollection(from:, to:) }` for one calendar year.
fn commits_in_year(state: &FakeState, variables: &Value, query: &str, budget: &Budget) -> Value {
    let (Some(login), Some(from)) = (variables["login"].as_str(), variables["from"].as_str()) else {
        return invalid_variable("login", query);
    };
    let Some(user) = state.users.get(&login.to_ascii_lowercase()) else {
        return json!({
            "data": { "rateLimit": budget.json(), "user": null },
            "errors": [{ "type": "NOT_FOUND", "path": ["user"], "message": format!("Could not resolve to a User with the login of '{login}'.") }],
        });
    };
    let year: i32 = from.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    let count = user.commits_by_year.get(&year).copied().unwrap_or(0);
    json!({
        "data": {
            "rateLimit": budget.json(),
            "user": { "contributionsCollection": { "totalCommitContributions": count } },
        }
    })
}

/// `viewer { gist(name:) }`: null for an unknown id, as GitHub answers.
fn gist_card(state: &FakeState, variables: &Value, query: &str, budget: &Budget) -> Value {
    let Some(id) = variables["name"].as_str() else {
        return invalid_variable("name", query);
    };
    let gist = state.gists.get(id).map(|g| {
        json!({
            "name": g.id,
            "description": g.description,
            "isPublic": g.is_public,
            "owner": { "__typename": "User", "login": g.owner },
            "stargazerCount": g.stars,
            "forks": { "totalCount": g.forks },
            "files": g.files.iter().map(|(name, language, size)| json!({
                "name": name,
                "size": size,
                "language": language.as_ref().map(|(l, c)| json!({ "name": l, "color": c })),
            })).collect::<Vec<_>>(),
        })
    });
    json!({ "data": { "rateLimit": budget.json(), "viewer": { "gist": gist } } })
}

fn repo_json(owner: &str, repo: &FakeRepo) -> Value {
    let mut languages: Vec<&(String, Option<String>, i64)> = repo.languages.iter().collect();
    languages.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    languages.truncate(LANGUAGES_PER_REPO);
    json!({
        "id": repo_id(owner, repo),
        "name": repo.name,
        "owner": { "login": owner },
        "isFork": repo.is_fork,
        "isPrivate": repo.is_private,
        "stargazerCount": repo.stars,
        "forkCount": repo.forks,
        "pushedAt": repo.pushed_at,
        "primaryLanguage": languages.first().map(|(name, color, _)| json!({ "name": name, "color": color })),
        "languages": {
            "edges": languages
                .iter()
                .map(|(name, color, size)| json!({ "size": size, "node": { "name": name, "color": color } }))
                .collect::<Vec<_>>(),
        },
    })
}

/// The repository's node id: its own, or a stable one derived from owner and name.
fn repo_id(owner: &str, repo: &FakeRepo) -> String {
    repo.id.clone().unwrap_or_else(|| {
        let hash = fnv1a(&format!("{}/{}", owner.to_ascii_lowercase(), repo.name));
        format!("R_kgDO{:010X}", hash % 0xFF_FFFF_FFFF)
    })
}

fn invalid_variable(name: &str, query: &str) -> Value {
    json!({
        "errors": [{
            "extensions": { "value": null, "problems": [{ "path": [], "explanation": "Expected value to not be null" }] },
            "locations": [location_of(query, &format!("${name}:"))],
            "message": format!("Variable ${name} of type String! was provided invalid value"),
        }]
    })
}

/// The operation name after `query` in a document (`query UserStats($login: ...)`).
fn operation_in(query: &str) -> Option<String> {
    let mut words = query
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .filter(|w| !w.is_empty());
    while let Some(word) = words.next() {
        if word == "query" {
            return words.next().map(str::to_owned);
        }
    }
    None
}

/// GraphQL `{"line","column"}` (1-based) of the first `needle` in the document.
fn location_of(query: &str, needle: &str) -> Value {
    query
        .lines()
        .enumerate()
        .find_map(|(i, line)| line.find(needle).map(|col| json!({ "line": i + 1, "column": col + 1 })))
        .unwrap_or_else(|| json!({ "line": 1, "column": 1 }))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

fn html_error(status: u16) -> Response {
    let status = status_code(status);
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("Error"));
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>GitHub</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = (status, body).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or_else(|_| panic!("fake GitHub: invalid HTTP status {status}"))
}

/// Opaque like GitHub's: base64 of `cursor:v2:<offset of the next item>`.
fn encode_cursor(offset: usize) -> String {
    base64_encode(format!("cursor:v2:{offset}").as_bytes())
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let raw = String::from_utf8(base64_decode(cursor)?).ok()?;
    raw.strip_prefix("cursor:v2:")?.parse().ok()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let value = B64.iter().position(|&b| b == c)? as u32;
        acc = ((acc << 6) | value) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    Some(out)
}

/// FNV-1a: stable across runs and toolchains, unlike `DefaultHasher`.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
