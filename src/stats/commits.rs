//! Commit counts beyond the last 12 months: one calendar year (`commits_year`), or every year
//! since the account was made (`include_all_commits`), one GitHub query per year. Past years do
//! not change, so they are kept long; only the current year follows the usual TTLs.

use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};

use super::upstream::{Dated, UpstreamCache};
use super::{StatsError, TtlPolicy, Waits};
use crate::clock::Clock;
use crate::domain::Login;
use crate::github::GitHubApi;

/// The first year GitHub has contributions for.
pub const FIRST_YEAR: i32 = 2008;

/// Past years are asked for again only after this (a late-pushed commit can still land in them).
const PAST_YEAR_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

struct YearCommits {
    count: i64,
    fetched_at: DateTime<Utc>,
}

impl Dated for YearCommits {
    fn fetched_at(&self) -> DateTime<Utc> {
        self.fetched_at
    }

    fn set_fetched_at(&mut self, at: DateTime<Utc>) {
        self.fetched_at = at;
    }
}

fn key(login: &Login, year: i32) -> String {
    format!("{}:{year}", login.as_str().to_ascii_lowercase())
}

#[derive(Clone)]
pub struct CommitsService {
    github: Arc<dyn GitHubApi>,
    clock: Arc<dyn Clock>,
    current: Arc<UpstreamCache<YearCommits>>,
    past: Arc<UpstreamCache<YearCommits>>,
}

impl CommitsService {
    pub fn new(github: Arc<dyn GitHubApi>, policy: TtlPolicy, waits: Waits, max: u64, clock: Arc<dyn Clock>) -> Self {
        let past = TtlPolicy { soft: PAST_YEAR_TTL, hard: PAST_YEAR_TTL * 2 };
        Self {
            github,
            current: UpstreamCache::new(policy, waits, max, clock.clone()),
            past: UpstreamCache::new(past, waits, max, clock.clone()),
            clock,
        }
    }

    /// Commit contributions of `login` in `year` (UTC calendar year).
    pub async fn in_year(&self, login: &Login, year: i32) -> Result<i64, StatsError> {
        let key = key(login, year);
        let github = self.github.clone();
        let (owned, clock) = (login.clone(), self.clock.clone());
        let describe = format!("commits of {login} in {year}");
        let fetch = async move {
            let count = github.fetch_commits_in_year(&owned, year).await?;
            Ok(YearCommits { count, fetched_at: clock.now() })
        };
        Ok(self.cache_for(year).get(&key, &describe, fetch).await?.value.count)
    }

    /// How many of `years` are not in memory: what counting them would ask GitHub.
    pub fn missing(&self, login: &Login, years: RangeInclusive<i32>) -> u32 {
        let missing = years.filter(|year| !self.cache_for(*year).is_cached(&key(login, *year))).count();
        u32::try_from(missing).unwrap_or(u32::MAX)
    }

    /// The years to count for all-time commits of a user who joined in `first_year`.
    pub fn all_years(&self, first_year: i32) -> RangeInclusive<i32> {
        let this_year = self.clock.now().year();
        first_year.clamp(FIRST_YEAR, this_year)..=this_year
    }

    fn cache_for(&self, year: i32) -> &Arc<UpstreamCache<YearCommits>> {
        if year < self.clock.now().year() { &self.past } else { &self.current }
    }

    /// Every year from `first_year` to now, asked at once (through the token pool's limits).
    pub async fn all_time(&self, login: &Login, first_year: i32) -> Result<i64, StatsError> {
        let years = self.all_years(first_year);
        let counts = futures_util::future::join_all(years.map(|year| self.in_year(login, year))).await;
        counts.into_iter().sum()
    }
}
