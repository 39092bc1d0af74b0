//! What GitHub told us about one user at one moment; the unit the store persists and caches hold.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSnapshot {
    pub profile: Profile,
    pub contributions: Contributions,
    /// Every repository the user owns, forks and private ones included (aggregates filter them).
    pub repositories: Vec<RepoSnapshot>,
    pub fetched_at: DateTime<Utc>,
    #[serde(default)]
    pub source: SnapshotSource,
}

/// Which GitHub API a snapshot came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotSource {
    /// GraphQL with a token: everything.
    #[default]
    GraphQl,
    /// REST without a token (no token configured, or every token rejected): profile, repositories,
    /// stars, forks and primary languages; no contribution counters or all-time totals (they are
    /// zero and None here, and cards say they need a token).
    Rest,
}

impl SnapshotSource {
    /// The `github_users.source` value.
    pub fn stored(self) -> Option<String> {
        match self {
            SnapshotSource::GraphQl => None,
            SnapshotSource::Rest => Some("rest".to_owned()),
        }
    }

    pub fn from_stored(value: Option<&str>) -> Self {
        match value {
            Some("rest") => SnapshotSource::Rest,
            _ => SnapshotSource::GraphQl,
        }
    }
}

/// A user's card drawn before every repository page arrived (a first view of a big user at the
/// deadline): how many repositories it counts of how many the user owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PartialCount {
    pub counted: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// GitHub's node id for the user.
    pub github_id: String,
    pub login: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub bio: Option<String>,
    pub company: Option<String>,
    pub location: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub followers: i64,
    pub following: i64,
    /// All-time totals; None for snapshots fetched before they were asked for.
    #[serde(default)]
    pub all_time: Option<AllTime>,
}

/// A user's all-time totals (beside the last-12-months contribution counters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllTime {
    pub pull_requests: i64,
    pub merged_pull_requests: i64,
    pub issues: i64,
    pub discussions_started: i64,
    pub discussions_answered: i64,
}

/// Contribution counters over the last 12 months, as on the user's GitHub profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contributions {
    pub commits: i64,
    /// Contributions to private repositories the viewer cannot see individually.
    pub restricted: i64,
    pub pull_requests: i64,
    pub issues: i64,
    pub reviews: i64,
    /// Repositories (not owned) the user contributed to.
    pub contributed_to: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoSnapshot {
    /// GitHub's node id: stable across renames and transfers.
    pub github_id: String,
    pub owner: String,
    pub name: String,
    pub stars: i64,
    pub forks: i64,
    pub is_fork: bool,
    pub is_private: bool,
    pub primary_language: Option<String>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub languages: Vec<LanguageSize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageSize {
    pub name: String,
    /// `#rrggbb` as GitHub reports it; some languages have none.
    pub color: Option<String>,
    pub bytes: i64,
}
