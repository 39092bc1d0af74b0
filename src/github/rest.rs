//! GitHub's REST API without a token: what a new instance (or one whose every token GitHub
//! rejects) can still show. GitHub allows 60 requests an hour per address without a token; a
//! user costs 1 (the profile) plus one per 100 public repositories.
//!
//! Invariants: a fetch reserves the requests it needs before sending them, so concurrent
//! fetches cannot overdraw the budget between GitHub's answers, and takes them from its payer's
//! share first (`FetchProgress`), so one visitor cannot spend the whole hour; a user whose repositories would
//! take more than `MAX_PAGES` pages is refused rather than counted in part; `Link` headers are
//! only followed on the configured base URL.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, LINK, USER_AGENT};
use serde::Deserialize;

use super::client::{HeaderLimits, classify_transport};
use super::{FetchProgress, GitHubError};
use crate::domain::{Contributions, LanguageSize, Login, Profile, RepoSnapshot, SnapshotSource, UserSnapshot};

/// Repositories per page (GitHub's maximum).
const PER_PAGE: u32 = 100;

/// Most repository pages one user may cost: 11 of the hour's 60 requests.
const MAX_PAGES: u32 = 10;

/// GitHub's budget without a token, assumed until its headers say otherwise.
const ANONYMOUS_LIMIT: i64 = 60;

pub struct RestClient {
    http: reqwest::Client,
    /// `https://api.github.com`, without a trailing slash.
    base: String,
    budget: Mutex<RestBudget>,
}

#[derive(Debug, Clone, Copy)]
struct RestBudget {
    remaining: i64,
    reset_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct RestUser {
    node_id: String,
    login: String,
    name: Option<String>,
    avatar_url: Option<String>,
    bio: Option<String>,
    company: Option<String>,
    location: Option<String>,
    created_at: Option<DateTime<Utc>>,
    followers: i64,
    following: i64,
    public_repos: i64,
}

#[derive(Deserialize)]
struct RestRepo {
    node_id: String,
    name: String,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    private: bool,
    stargazers_count: i64,
    forks_count: i64,
    language: Option<String>,
    pushed_at: Option<DateTime<Utc>>,
    /// Kilobytes.
    #[serde(default)]
    size: i64,
}

impl RestClient {
    pub fn new(base: &str, timeout: Duration) -> Result<Self, GitHubError> {
        let base = base.trim_end_matches('/').to_owned();
        let within = format!("{base}/");
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // GitHub moves renamed repositories with redirects on its own host; a redirect
            // anywhere else is not followed (an answer from elsewhere is not GitHub's).
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() < 5 && attempt.url().as_str().starts_with(&within) {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
            .map_err(|e| GitHubError::Transport(e.to_string()))?;
        Ok(Self { http, base, budget: Mutex::new(RestBudget { remaining: ANONYMOUS_LIMIT, reset_at: None }) })
    }

    /// Requests left without a token, and when the window resets (when GitHub has said).
    pub fn budget(&self) -> (i64, Option<DateTime<Utc>>) {
        let budget = self.lock();
        (budget.remaining, budget.reset_at)
    }

    /// Profile, followers and owned public repositories with their primary language (weighted by
    /// the repository's size); no contribution counters.
    pub async fn fetch_user(&self, login: &Login, progress: &FetchProgress) -> Result<UserSnapshot, GitHubError> {
        self.reserve_for(progress, 1)?;
        let user: RestUser = match self.get(&format!("{}/users/{}", self.base, login.as_str())).await? {
            (Some(body), _) => decode(&body)?,
            (None, _) => return Err(GitHubError::NotFound),
        };
        let pages = u32::try_from((user.public_repos.max(0) + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE))
            .unwrap_or(u32::MAX);
        if pages > MAX_PAGES {
            return Err(GitHubError::TooManyWithoutToken { repositories: user.public_repos });
        }
        self.reserve_for(progress, pages)?;
        let mut repositories = Vec::new();
        let mut next = Some(format!("{}/users/{}/repos?type=owner&per_page={PER_PAGE}", self.base, login.as_str()));
        let mut fetched = 0;
        while let Some(url) = next.take() {
            if fetched == pages {
                // More pages than the profile announced (repositories created meanwhile): the
                // next refresh counts them.
                break;
            }
            let (body, link) = self.get(&url).await?;
            let body = body.ok_or(GitHubError::NotFound)?;
            let page: Vec<RestRepo> = decode(&body)?;
            repositories.extend(page.into_iter().map(|r| repo(r, &user.login)));
            fetched += 1;
            next = link.as_deref().and_then(next_link).filter(|url| url.starts_with(&format!("{}/", self.base)));
        }
        // Pages reserved and not needed go back.
        self.release(i64::from(pages - fetched));
        repositories.sort_by(|a, b| b.stars.cmp(&a.stars).then_with(|| a.name.cmp(&b.name)));
        Ok(UserSnapshot {
            profile: Profile {
                github_id: user.node_id,
                login: user.login,
                name: user.name,
                avatar_url: user.avatar_url,
                bio: user.bio,
                company: user.company,
                location: user.location,
                created_at: user.created_at,
                followers: user.followers,
                following: user.following,
                all_time: None,
            },
            contributions: Contributions::default(),
            repositories,
            fetched_at: Utc::now(),
            source: SnapshotSource::Rest,
        })
    }

    /// Takes `n` requests from the budget and from the payer's share of it; neither is spent
    /// when the other refuses.
    fn reserve_for(&self, progress: &FetchProgress, n: u32) -> Result<(), GitHubError> {
        self.reserve(n.into())?;
        progress.take_anonymous(n).inspect_err(|_| self.release(n.into()))
    }

    /// Takes `n` requests from the budget, or says when it resets.
    fn reserve(&self, n: i64) -> Result<(), GitHubError> {
        let mut budget = self.lock();
        if budget.reset_at.is_some_and(|reset| reset <= Utc::now()) {
            *budget = RestBudget { remaining: ANONYMOUS_LIMIT, reset_at: None };
        }
        if budget.remaining < n {
            let retry_at = budget.reset_at.unwrap_or_else(|| Utc::now() + chrono::Duration::hours(1));
            return Err(GitHubError::AnonymousLimit { retry_at });
        }
        budget.remaining -= n;
        Ok(())
    }

    fn release(&self, n: i64) {
        self.lock().remaining += n;
    }

    /// GET `url`: the body (None for 404) and the `Link` header; the budget follows GitHub's
    /// headers.
    async fn get(&self, url: &str) -> Result<(Option<bytes::Bytes>, Option<String>), GitHubError> {
        let response = self
            .http
            .get(url)
            .header(USER_AGENT, concat!("github-banners/", env!("CARGO_PKG_VERSION")))
            .header(ACCEPT, "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .send()
            .await
            .map_err(|e| classify_transport(&e))?;
        let limits = HeaderLimits::parse(response.headers());
        if let Some(remaining) = limits.remaining {
            // GitHub's count is the truth; requests reserved and not sent yet stay reserved.
            let mut budget = self.lock();
            budget.remaining = budget.remaining.min(remaining);
            budget.reset_at = limits.reset_at.or(budget.reset_at);
        }
        let status = response.status().as_u16();
        match status {
            404 => return Ok((None, None)),
            403 | 429 if limits.remaining == Some(0) => {
                let retry_at = limits.reset_at.unwrap_or_else(|| Utc::now() + chrono::Duration::hours(1));
                return Err(GitHubError::AnonymousLimit { retry_at });
            }
            200..=299 => {}
            _ => return Err(GitHubError::Upstream { status }),
        }
        let link = response.headers().get(LINK).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.bytes().await.map_err(|e| classify_transport(&e))?;
        Ok((Some(body), link))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RestBudget> {
        self.budget.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, GitHubError> {
    serde_json::from_slice(body).map_err(|e| GitHubError::Decode(e.to_string()))
}

fn repo(r: RestRepo, owner: &str) -> RepoSnapshot {
    let languages = r
        .language
        .iter()
        .map(|name| LanguageSize { name: name.clone(), color: None, bytes: r.size.max(0).saturating_mul(1024) })
        .collect();
    RepoSnapshot {
        github_id: r.node_id,
        owner: owner.to_owned(),
        name: r.name,
        stars: r.stargazers_count,
        forks: r.forks_count,
        is_fork: r.fork,
        is_private: r.private,
        primary_language: r.language,
        pushed_at: r.pushed_at,
        languages,
    }
}

/// The `rel="next"` target of a `Link` header (`<url>; rel="next", <url>; rel="last"`).
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let url = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let header = r#"<https://api.github.com/user/1/repos?page=1>; rel="prev", <https://api.github.com/user/1/repos?page=3>; rel="next", <https://api.github.com/user/1/repos?page=5>; rel="last""#;
        assert_eq!(next_link(header).as_deref(), Some("https://api.github.com/user/1/repos?page=3"));
        assert_eq!(next_link(r#"<https://api.github.com/x?page=1>; rel="first""#), None);
        assert_eq!(next_link("garbage"), None);
    }
}
