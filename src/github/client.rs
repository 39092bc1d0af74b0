//! The GitHub GraphQL client: one request = pick a token, send, classify the answer, and retry on
//! another token (bad credentials, rate limit) or after a backoff (timeouts, 5xx).

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use graphql_client::GraphQLQuery;
use reqwest::header::{HeaderMap, RETRY_AFTER, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::queries::calendar::{ContributionCalendar, contribution_calendar};
use super::queries::{
    CommitsInYear, GistCard, RateLimitCheck, RepositoryCard, UserRepositories, UserStats, commits_in_year, gist_card,
    rate_limit_check, repository_card, user_repositories, user_stats,
};
use super::tokens::{Budget, Offer, PoolLimits, TokenInfo, TokenPool};
use super::{FetchProgress, GitHubApi, GitHubError};
use crate::domain::{
    AllTime, CodeCard, ContributionDay, ContributionYear, Contributions, GistId, LanguageSize, Login, Profile, RepoRef,
    RepoSnapshot, SnapshotSource, UserSnapshot,
};
use user_repositories::OrderDirection;

/// Stops a user with absurdly many repositories (or a server that always says "more") from
/// turning one banner into an unbounded crawl: 100 pages = 10,000 repositories.
const MAX_REPOSITORY_PAGES: usize = 100;

/// Repositories per page (`first: 100` in the queries).
const REPOSITORY_PAGE_SIZE: usize = 100;

/// How long a token is parked when GitHub says "rate limited" without saying until when.
const DEFAULT_PARK: chrono::Duration = chrono::Duration::seconds(60);

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts for one request when GitHub times out or answers 5xx (at least 1).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub base_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 3, base_backoff: Duration::from_millis(250) }
    }
}

pub struct GitHubClient {
    http: reqwest::Client,
    endpoint: String,
    pool: TokenPool,
    retry: RetryPolicy,
    /// Users are fetched here when no token is usable.
    rest: Option<super::RestClient>,
}

/// One attempt's outcome, before the retry loop decides what to do with it.
enum Attempt<T> {
    Done(T),
    BadCredentials,
    /// The token's budget is spent (primary limit).
    RateLimited {
        until: DateTime<Utc>,
    },
    /// Too much at once (GitHub's secondary limits): this token backs off; others carry on.
    SecondaryLimited {
        until: DateTime<Utc>,
    },
    Failed(GitHubError),
}

#[derive(Deserialize)]
struct GraphQlResponse<D> {
    data: Option<D>,
    #[serde(default)]
    errors: Vec<GraphQlError>,
}

#[derive(Deserialize)]
struct GraphQlError {
    /// GitHub puts its error class (NOT_FOUND, RATE_LIMITED, ...) here, outside `extensions`.
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    message: String,
}

/// The `rateLimit` block every query asks for.
trait ReportsRateLimit {
    fn budget(&self) -> Option<Budget>;
}

macro_rules! reports_rate_limit {
    ($($module:ident),*) => {$(
        impl ReportsRateLimit for $module::ResponseData {
            fn budget(&self) -> Option<Budget> {
                self.rate_limit.as_ref().map(|r| Budget {
                    remaining: r.remaining,
                    limit: Some(r.limit),
                    reset_at: Some(r.reset_at),
                })
            }
        }
    )*};
}
reports_rate_limit!(user_stats, user_repositories, rate_limit_check, repository_card, gist_card, commits_in_year);

impl ReportsRateLimit for contribution_calendar::ResponseData {
    fn budget(&self) -> Option<Budget> {
        self.rate_limit.as_ref().map(|r| Budget {
            remaining: r.remaining,
            limit: Some(r.limit),
            reset_at: Some(r.reset_at.with_timezone(&Utc)),
        })
    }
}

impl GitHubClient {
    pub fn new(
        endpoint: String,
        tokens: Vec<SecretString>,
        timeout: Duration,
        retry: RetryPolicy,
        limits: PoolLimits,
    ) -> Result<Self, GitHubError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // GitHub's GraphQL endpoint does not redirect; a token is never sent anywhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GitHubError::Transport(e.to_string()))?;
        Ok(Self { http, endpoint, pool: TokenPool::new(tokens, limits), retry, rest: None })
    }

    /// Fetches users from GitHub's REST API without a token when no token is configured or
    /// GitHub rejects every one.
    pub fn with_rest_fallback(mut self, rest: super::RestClient) -> Self {
        self.rest = Some(rest);
        self
    }

    /// Asks GitHub whether a rejected token works again (a query that costs no points).
    async fn probe(&self, index: usize, secret: &SecretString) {
        let body = RateLimitCheck::build_query(rate_limit_check::Variables {});
        match self.attempt::<RateLimitCheck>(index, secret, &body).await {
            Attempt::Done(data) => {
                tracing::warn!(token = index + 1, "GitHub accepts token #{} in GITHUB_TOKENS again", index + 1);
                self.pool.enable(index, data.budget());
            }
            Attempt::BadCredentials => {
                self.pool.disable(index, Utc::now());
                if self.pool.all_disabled() {
                    tracing::error!(
                        "GitHub still rejects every token in GITHUB_TOKENS: banners of new users show an error \
                         card until the operator replaces them"
                    );
                }
            }
            // GitHub accepted the credentials but is limiting or failing: it works, it is busy.
            Attempt::RateLimited { until } | Attempt::SecondaryLimited { until } => {
                self.pool.enable(index, None);
                self.pool.park(index, until);
            }
            Attempt::Failed(error) => tracing::warn!(%error, token = index + 1, "could not recheck a rejected token"),
        }
    }

    async fn execute<Q>(&self, variables: Q::Variables) -> Result<Q::ResponseData, GitHubError>
    where
        Q: GraphQLQuery,
        Q::ResponseData: ReportsRateLimit,
    {
        let body = Q::build_query(variables);
        let max_attempts = self.retry.max_attempts.max(1);
        let mut transient_failures = 0u32;
        // Each bad or parked token leaves the pool, so this bound is only a guard against a server
        // that parks tokens with reset times in the past.
        let mut guard = 0usize;
        // Tokens GitHub rejected during this request: probing one again right away is pointless.
        let mut rejected = Vec::new();
        loop {
            guard += 1;
            if guard > 64 {
                return Err(GitHubError::Upstream { status: 503 });
            }
            let lease = match self.pool.acquire().await? {
                Offer::Lease(lease) => lease,
                Offer::Probe { index, .. } if rejected.contains(&index) => {
                    return Err(GitHubError::AllTokensInvalid { recheck_at: self.pool.recheck_at(index) });
                }
                Offer::Probe { index, secret } => {
                    self.probe(index, &secret).await;
                    rejected.push(index);
                    continue;
                }
            };
            let started = std::time::Instant::now();
            let attempt = self.attempt::<Q>(lease.index, &lease.secret, &body).await;
            let outcome = match &attempt {
                Attempt::Done(_) => "ok",
                Attempt::BadCredentials => "bad_credentials",
                Attempt::RateLimited { .. } => "rate_limited",
                Attempt::SecondaryLimited { .. } => "secondary_limited",
                Attempt::Failed(GitHubError::NotFound) => "not_found",
                Attempt::Failed(_) => "failed",
            };
            crate::metrics::github_request(lease.index + 1, outcome, started.elapsed());
            match attempt {
                Attempt::Done(data) => {
                    self.pool.succeeded(lease.index);
                    return Ok(data);
                }
                Attempt::BadCredentials => {
                    rejected.push(lease.index);
                    if self.pool.disable(lease.index, Utc::now()) {
                        tracing::error!(
                            token = lease.index + 1,
                            "GitHub rejected token #{} in GITHUB_TOKENS as bad credentials; it is left out and \
                             rechecked with growing pauses (the operator should replace it)",
                            lease.index + 1
                        );
                    }
                    if self.pool.all_disabled() {
                        tracing::error!(
                            "every token in GITHUB_TOKENS is rejected by GitHub: this is a configuration \
                             problem for the operator, not the visitors"
                        );
                    }
                }
                Attempt::RateLimited { until } => {
                    tracing::warn!(token = lease.index + 1, %until, "GitHub token rate limited; parked until reset");
                    self.pool.park(lease.index, until.max(Utc::now() + chrono::Duration::seconds(1)));
                }
                Attempt::SecondaryLimited { until } => {
                    tracing::warn!(
                        token = lease.index + 1,
                        %until,
                        "GitHub's secondary rate limit on one token; it backs off with fewer requests at once"
                    );
                    self.pool.back_off(lease.index, until.max(Utc::now() + chrono::Duration::seconds(1)));
                }
                Attempt::Failed(error) if error.is_transient() && transient_failures + 1 < max_attempts => {
                    transient_failures += 1;
                    let wait = self.retry.base_backoff * 2u32.pow(transient_failures - 1);
                    tracing::warn!(%error, attempt = transient_failures, ?wait, "GitHub request failed; retrying");
                    // The token's slot is freed while waiting.
                    drop(lease);
                    tokio::time::sleep(wait).await;
                }
                Attempt::Failed(error) => return Err(error),
            }
        }
    }

    async fn attempt<Q>(
        &self,
        index: usize,
        secret: &SecretString,
        body: &graphql_client::QueryBody<Q::Variables>,
    ) -> Attempt<Q::ResponseData>
    where
        Q: GraphQLQuery,
        Q::ResponseData: ReportsRateLimit,
    {
        let sent = self
            .http
            .post(&self.endpoint)
            .bearer_auth(secret.expose_secret())
            .header(USER_AGENT, concat!("github-banners/", env!("CARGO_PKG_VERSION")))
            .json(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return Attempt::Failed(classify_transport(&e)),
        };
        let status = response.status().as_u16();
        let limits = HeaderLimits::parse(response.headers());
        if let Some(budget) = limits.budget() {
            self.pool.record(index, budget);
        }
        match status {
            401 => return Attempt::BadCredentials,
            403 | 429 if limits.remaining == Some(0) && limits.retry_after.is_none() => {
                return Attempt::RateLimited { until: limits.park_until() };
            }
            403 | 429 if limits.retry_after.is_some() => {
                return Attempt::SecondaryLimited { until: limits.park_until() };
            }
            403 | 429 => {
                // A secondary limit without Retry-After: GitHub asks for at least a minute.
                let text = response.text().await.unwrap_or_default().to_ascii_lowercase();
                if text.contains("secondary rate limit") || text.contains("abuse") {
                    return Attempt::SecondaryLimited { until: Utc::now() + DEFAULT_PARK };
                }
                return Attempt::Failed(GitHubError::Upstream { status });
            }
            200..=299 => {}
            _ => return Attempt::Failed(GitHubError::Upstream { status }),
        }
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Attempt::Failed(classify_transport(&e)),
        };
        let parsed: GraphQlResponse<Q::ResponseData> = match serde_json::from_slice(&bytes) {
            Ok(p) => p,
            Err(e) => return Attempt::Failed(GitHubError::Decode(e.to_string())),
        };
        if let Some(budget) = parsed.data.as_ref().and_then(ReportsRateLimit::budget) {
            crate::metrics::github_points_remaining(index + 1, budget.remaining);
            self.pool.record(index, budget);
        }
        let kinds = || parsed.errors.iter().filter_map(|e| e.kind.as_deref());
        if kinds().any(|k| k == "RATE_LIMITED") {
            return Attempt::RateLimited { until: limits.park_until() };
        }
        if kinds().any(|k| k == "NOT_FOUND") {
            return Attempt::Failed(GitHubError::NotFound);
        }
        match parsed.data {
            Some(data) if parsed.errors.is_empty() => Attempt::Done(data),
            _ => {
                let message =
                    parsed.errors.first().map_or_else(|| "response without data".to_owned(), |e| e.message.clone());
                Attempt::Failed(GitHubError::GraphQl(message))
            }
        }
    }
}

pub(super) fn classify_transport(error: &reqwest::Error) -> GitHubError {
    if error.is_timeout() {
        GitHubError::Timeout
    } else if error.is_decode() {
        GitHubError::Decode(error.to_string())
    } else {
        // reqwest's Display includes the URL but never headers, so the token cannot leak here.
        GitHubError::Transport(error.to_string())
    }
}

/// GitHub's rate-limit headers (REST-style; the GraphQL endpoint sends them too).
pub(super) struct HeaderLimits {
    pub(super) remaining: Option<i64>,
    limit: Option<i64>,
    pub(super) reset_at: Option<DateTime<Utc>>,
    retry_after: Option<i64>,
}

impl HeaderLimits {
    pub(super) fn parse(headers: &HeaderMap) -> Self {
        let number = |name: &str| -> Option<i64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        Self {
            remaining: number("x-ratelimit-remaining"),
            limit: number("x-ratelimit-limit"),
            reset_at: number("x-ratelimit-reset").and_then(|s| Utc.timestamp_opt(s, 0).single()),
            retry_after: number(RETRY_AFTER.as_str()),
        }
    }

    fn budget(&self) -> Option<Budget> {
        Some(Budget { remaining: self.remaining?, limit: self.limit, reset_at: self.reset_at })
    }

    /// Retry-After wins (secondary limits), then the window reset, then a short default.
    fn park_until(&self) -> DateTime<Utc> {
        let now = Utc::now();
        if let Some(secs) = self.retry_after {
            return now + chrono::Duration::seconds(secs.max(1));
        }
        self.reset_at.filter(|r| *r > now).unwrap_or(now + DEFAULT_PARK)
    }
}

trait OwnedRepo {
    fn into_snapshot(self, owner: &str) -> RepoSnapshot;
}

macro_rules! repo_from_fields {
    ($($module:ident),*) => {$(
        impl OwnedRepo for $module::RepoFields {
            /// `ownerAffiliations: OWNER` makes the queried user the owner of every repository.
            fn into_snapshot(self, owner: &str) -> RepoSnapshot {
                let r = self;
                let languages = r
                    .languages
                    .and_then(|l| l.edges)
                    .unwrap_or_default()
                    .into_iter()
                    .flatten()
                    .map(|e| LanguageSize { name: e.node.name, color: e.node.color, bytes: e.size })
                    .collect();
                RepoSnapshot {
                    github_id: r.id,
                    owner: owner.to_owned(),
                    name: r.name,
                    stars: r.stargazer_count,
                    forks: r.fork_count,
                    is_fork: r.is_fork,
                    is_private: r.is_private,
                    primary_language: r.primary_language.map(|l| l.name),
                    pushed_at: r.pushed_at,
                    languages,
                }
            }
        }
    )*};
}
repo_from_fields!(user_stats, user_repositories);

#[async_trait::async_trait]
impl GitHubApi for GitHubClient {
    fn token_pool(&self) -> Vec<TokenInfo> {
        self.pool.infos()
    }

    async fn fetch_repository(&self, repo: &RepoRef) -> Result<CodeCard, GitHubError> {
        let variables = repository_card::Variables { owner: repo.owner.as_str().to_owned(), name: repo.name.clone() };
        let data = self.execute::<RepositoryCard>(variables).await?;
        let r = data.repository.filter(|r| !r.is_private).ok_or(GitHubError::NotFound)?;
        let (language, language_color) = r.primary_language.map(|l| (Some(l.name), l.color)).unwrap_or_default();
        Ok(CodeCard {
            owner: r.owner.login,
            name: r.name,
            description: r.description,
            language,
            language_color,
            stars: r.stargazer_count,
            forks: r.fork_count,
            archived: r.is_archived,
            template: r.is_template,
            fetched_at: Utc::now(),
        })
    }

    async fn fetch_commits_in_year(&self, login: &Login, year: i32) -> Result<i64, GitHubError> {
        let start = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single();
        let end = Utc.with_ymd_and_hms(year, 12, 31, 23, 59, 59).single();
        let (Some(from), Some(to)) = (start, end) else {
            return Err(GitHubError::Decode(format!("no calendar year {year}")));
        };
        let variables = commits_in_year::Variables { login: login.as_str().to_owned(), from, to };
        let data = self.execute::<CommitsInYear>(variables).await?;
        let user = data.user.ok_or(GitHubError::NotFound)?;
        Ok(user.contributions_collection.total_commit_contributions)
    }

    async fn fetch_contribution_year(
        &self,
        login: &Login,
        year: i32,
        offset_minutes: i32,
    ) -> Result<ContributionYear, GitHubError> {
        let (from, to) = crate::domain::year_bounds(year, offset_minutes)
            .ok_or_else(|| GitHubError::Decode(format!("no calendar year {year} at offset {offset_minutes}")))?;
        let variables = contribution_calendar::Variables { login: login.as_str().to_owned(), from, to };
        let data = self.execute::<ContributionCalendar>(variables).await?;
        let collection = data.user.ok_or(GitHubError::NotFound)?.contributions_collection;
        let mut days: Vec<ContributionDay> = collection
            .contribution_calendar
            .weeks
            .into_iter()
            .flat_map(|week| week.contribution_days)
            // Only the year asked for, should a week be padded with its neighbours' dates.
            .filter(|day| chrono::Datelike::year(&day.date) == year)
            .map(|day| ContributionDay { date: day.date, count: u32::try_from(day.contribution_count).unwrap_or(0) })
            .collect();
        days.sort_by_key(|d| d.date);
        Ok(ContributionYear {
            year,
            offset_minutes,
            days,
            restricted: u64::try_from(collection.restricted_contributions_count).unwrap_or(0),
            contribution_years: collection.contribution_years.into_iter().map(|y| y as i32).collect(),
            fetched_at: Utc::now(),
        })
    }

    async fn fetch_gist(&self, id: &GistId) -> Result<CodeCard, GitHubError> {
        let data = self.execute::<GistCard>(gist_card::Variables { name: id.as_str().to_owned() }).await?;
        let gist = data.viewer.gist.filter(|g| g.is_public).ok_or(GitHubError::NotFound)?;
        let files: Vec<_> = gist.files.unwrap_or_default().into_iter().flatten().collect();
        // The gist's language is the one most of its bytes are in, as on its page.
        let mut by_language: Vec<(String, Option<String>, i64)> = Vec::new();
        for file in &files {
            if let Some(language) = &file.language {
                let size = file.size.unwrap_or(0);
                match by_language.iter_mut().find(|(name, _, _)| *name == language.name) {
                    Some(entry) => entry.2 += size,
                    None => by_language.push((language.name.clone(), language.color.clone(), size)),
                }
            }
        }
        let top = by_language.into_iter().max_by(|a, b| a.2.cmp(&b.2).then_with(|| b.0.cmp(&a.0)));
        let (language, language_color) = top.map(|(name, color, _)| (Some(name), color)).unwrap_or_default();
        Ok(CodeCard {
            owner: gist.owner.map(|o| o.login).unwrap_or_default(),
            name: files.first().and_then(|f| f.name.clone()).unwrap_or_else(|| gist.name.clone()),
            description: gist.description,
            language,
            language_color,
            stars: gist.stargazer_count,
            forks: gist.forks.total_count,
            archived: false,
            template: false,
            fetched_at: Utc::now(),
        })
    }

    fn has_usable_token(&self) -> bool {
        !self.pool.is_empty() && !self.pool.all_disabled()
    }

    fn anonymous_remaining(&self) -> Option<i64> {
        self.rest.as_ref().map(|rest| rest.budget().0)
    }

    async fn fetch_user(&self, login: &Login, progress: &FetchProgress) -> Result<UserSnapshot, GitHubError> {
        match (self.fetch_user_graphql(login, progress).await, &self.rest) {
            (Err(GitHubError::NoTokens | GitHubError::AllTokensInvalid { .. }), Some(rest)) => {
                tracing::debug!(login = %login, "no usable GitHub token; asking the REST API without one");
                rest.fetch_user(login, progress).await
            }
            (result, _) => result,
        }
    }
}

impl GitHubClient {
    async fn fetch_user_graphql(&self, login: &Login, progress: &FetchProgress) -> Result<UserSnapshot, GitHubError> {
        let data = self.execute::<UserStats>(user_stats::Variables { login: login.as_str().to_owned() }).await?;
        let user = data.user.ok_or(GitHubError::NotFound)?;
        let owner = user.login.clone();
        let first_page = user.repositories;
        let repositories: Vec<RepoSnapshot> =
            first_page.nodes.unwrap_or_default().into_iter().flatten().map(|r| r.into_snapshot(&owner)).collect();
        let total = usize::try_from(first_page.total_count).unwrap_or(0);
        let c = user.contributions_collection;
        let mut snapshot = UserSnapshot {
            profile: Profile {
                github_id: user.id,
                login: user.login,
                name: user.name,
                avatar_url: Some(user.avatar_url),
                bio: user.bio,
                company: user.company,
                location: user.location,
                created_at: Some(user.created_at),
                followers: user.followers.total_count,
                following: user.following.total_count,
                all_time: Some(AllTime {
                    pull_requests: user.pull_requests.total_count,
                    merged_pull_requests: user.merged_pull_requests.total_count,
                    issues: user.issues.total_count,
                    discussions_started: user.repository_discussions.total_count,
                    discussions_answered: user.repository_discussion_comments.total_count,
                }),
            },
            contributions: Contributions {
                commits: c.total_commit_contributions,
                restricted: c.restricted_contributions_count,
                pull_requests: c.total_pull_request_contributions,
                issues: c.total_issue_contributions,
                reviews: c.total_pull_request_review_contributions,
                contributed_to: user.repositories_contributed_to.total_count,
            },
            repositories,
            fetched_at: Utc::now(),
            source: SnapshotSource::GraphQl,
        };
        let rest = first_page.page_info;
        if rest.has_next_page && snapshot.repositories.len() < total {
            progress.started(&snapshot, total);
            let descending = ListEnd { descending: true, after: rest.end_cursor, open: true };
            let list = RepositoryList { login, owner: &owner, total };
            self.remaining_repositories(&list, descending, &mut snapshot.repositories, progress).await?;
        }
        Ok(snapshot)
    }
}

/// Whose repositories are being paged through, and how many GitHub says there are.
struct RepositoryList<'a> {
    login: &'a Login,
    /// The login as GitHub spells it (repositories record it as their owner).
    owner: &'a str,
    total: usize,
}

/// One end of a user's repository list being paged through.
struct ListEnd {
    /// Most starred first (else least starred first).
    descending: bool,
    /// The cursor to continue after; None: from the start of this direction.
    after: Option<String>,
    /// False once this end has reached the end of the list.
    open: bool,
}

impl GitHubClient {
    /// The repositories after UserStats' first page, from both ends of the list (most starred on,
    /// least starred on) at once while more than a page is missing, until the two meet: the wait
    /// for a big user is half the pages one after another, and the points are the same. The two
    /// orders are exact reverses (GitHub pages by (stars, id) in the direction asked), and a
    /// repository seen from both ends counts once.
    async fn remaining_repositories(
        &self,
        list: &RepositoryList<'_>,
        mut descending: ListEnd,
        repositories: &mut Vec<RepoSnapshot>,
        progress: &FetchProgress,
    ) -> Result<(), GitHubError> {
        let mut ascending = ListEnd { descending: false, after: None, open: true };
        let mut seen: HashSet<String> = repositories.iter().map(|r| r.github_id.clone()).collect();
        let mut from_the_end = Vec::new();
        let mut pages = 1;
        // Either end reaching the end of the list has seen all of it.
        while seen.len() < list.total && descending.open && ascending.open && pages < MAX_REPOSITORY_PAGES {
            let both = list.total - seen.len() > REPOSITORY_PAGE_SIZE;
            let (top, bottom) = tokio::try_join!(
                self.next_page(list, &mut descending, true),
                self.next_page(list, &mut ascending, both)
            )?;
            for (page, into) in [(top, &mut *repositories), (bottom, &mut from_the_end)] {
                let Some(page) = page else { continue };
                let fresh: Vec<RepoSnapshot> = page.into_iter().filter(|r| seen.insert(r.github_id.clone())).collect();
                progress.add(&fresh);
                pages += 1;
                into.extend(fresh);
            }
        }
        // Most starred first, as GitHub lists them.
        repositories.extend(from_the_end.into_iter().rev());
        Ok(())
    }

    /// The next page from `end` when `wanted` (None otherwise), moving `end` past it.
    async fn next_page(
        &self,
        list: &RepositoryList<'_>,
        end: &mut ListEnd,
        wanted: bool,
    ) -> Result<Option<Vec<RepoSnapshot>>, GitHubError> {
        if !wanted || !end.open {
            return Ok(None);
        }
        let variables = user_repositories::Variables {
            login: list.login.as_str().to_owned(),
            after: end.after.take(),
            direction: if end.descending { OrderDirection::DESC } else { OrderDirection::ASC },
        };
        let page = self.execute::<UserRepositories>(variables).await?.user.ok_or(GitHubError::NotFound)?.repositories;
        end.open = page.page_info.has_next_page;
        if end.open {
            end.after = Some(
                page.page_info
                    .end_cursor
                    .ok_or_else(|| GitHubError::Decode("hasNextPage without endCursor".to_owned()))?,
            );
        }
        Ok(Some(page.nodes.unwrap_or_default().into_iter().flatten().map(|r| r.into_snapshot(list.owner)).collect()))
    }
}
