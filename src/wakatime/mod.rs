//! WakaTime's public stats API (and the same API on Wakapi or Hakatime instances): a user's
//! coding time by language over WakaTime's default range.

use std::time::Duration;

use chrono::Utc;
use serde::Deserialize;

use crate::domain::{WakaLanguage, WakaStats, WakaUser};
use crate::github::GitHubError;

/// Errors reuse the GitHub client's kinds (not found, timeout, upstream status, decode): the
/// caches and error cards treat every upstream alike.
pub type WakaError = GitHubError;

pub struct WakaTimeClient {
    http: reqwest::Client,
    /// Where users without `api_domain` live, e.g. `https://wakatime.com`.
    base: String,
    /// Hosts `api_domain` may name (asked over HTTPS); anything else is refused before a request.
    allowed_domains: Vec<String>,
}

#[derive(Deserialize)]
struct Response {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    languages: Option<Vec<Language>>,
    #[serde(default)]
    human_readable_total: Option<String>,
    #[serde(default)]
    range: Option<String>,
}

#[derive(Deserialize)]
struct Language {
    name: String,
    #[serde(default)]
    percent: f64,
    #[serde(default)]
    text: String,
    #[serde(default)]
    total_seconds: f64,
}

impl WakaTimeClient {
    pub fn new(base: String, allowed_domains: Vec<String>, timeout: Duration) -> Result<Self, WakaError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A stats API has no business redirecting elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GitHubError::Transport(e.to_string()))?;
        let allowed_domains = allowed_domains.into_iter().map(|d| d.trim().to_ascii_lowercase()).collect();
        Ok(Self { http, base: base.trim_end_matches('/').to_owned(), allowed_domains })
    }

    /// Whether `api_domain` may be asked (checked before anything is fetched).
    pub fn allows(&self, user: &WakaUser) -> bool {
        user.domain.as_ref().is_none_or(|d| self.allowed_domains.iter().any(|a| a == d))
    }

    pub async fn fetch(&self, user: &WakaUser) -> Result<WakaStats, WakaError> {
        let base = match &user.domain {
            None => self.base.clone(),
            Some(domain) if self.allows(user) => format!("https://{domain}"),
            Some(_) => return Err(GitHubError::NotFound),
        };
        // The name is one path segment however it is spelled (the parser refuses dot-only ones).
        let mut url =
            reqwest::Url::parse(&format!("{base}/api/v1/users/")).map_err(|e| GitHubError::Transport(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| GitHubError::Transport(format!("`{base}` cannot be a base URL")))?
            .pop_if_empty()
            .extend([user.name.as_str(), "stats"]);
        url.set_query(Some("is_including_today=true"));
        let response = self
            .http
            .get(url)
            .header(reqwest::header::USER_AGENT, concat!("github-banners/", env!("CARGO_PKG_VERSION")))
            .send()
            .await
            .map_err(|e| if e.is_timeout() { GitHubError::Timeout } else { GitHubError::Transport(e.to_string()) })?;
        match response.status().as_u16() {
            200..=299 => {}
            // WakaTime answers 404 for unknown users and 403 for private profiles.
            403 | 404 => return Err(GitHubError::NotFound),
            status => return Err(GitHubError::Upstream { status }),
        }
        let body = response.bytes().await.map_err(|e| GitHubError::Transport(e.to_string()))?;
        let data = serde_json::from_slice::<Response>(&body).map_err(|e| GitHubError::Decode(e.to_string()))?.data;
        let mut languages: Vec<WakaLanguage> = data
            .languages
            .unwrap_or_default()
            .into_iter()
            .filter(|l| l.percent.is_finite() && l.total_seconds.is_finite())
            .map(|l| WakaLanguage {
                name: l.name,
                percent: l.percent.clamp(0.0, 100.0),
                text: l.text,
                total_seconds: l.total_seconds.max(0.0),
            })
            .collect();
        languages.sort_by(|a, b| b.total_seconds.total_cmp(&a.total_seconds).then_with(|| a.name.cmp(&b.name)));
        Ok(WakaStats {
            username: data.username.unwrap_or_else(|| user.name.clone()),
            languages,
            total_text: data.human_readable_total,
            range: data.range,
            fetched_at: Utc::now(),
        })
    }
}
