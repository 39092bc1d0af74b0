//! Contribution calendars: every year a user has contributions in, one GitHub query per year,
//! with the days counted in the reader's UTC offset.
//!
//! Rules:
//! - the current year follows the usual TTLs (served from memory, refreshed when older than the
//!   soft TTL, the last one served while GitHub fails); its query also says which earlier years
//!   have contributions, so years without any cost nothing;
//! - a past year is fetched once and stored; it is never asked for again unless it was fetched
//!   within a week of its end (late contributions still land then), so a restart and every
//!   refresh cost only the current year's query;
//! - concurrent requests for one year share one query; all past years are asked at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, TimeZone, Utc};

use super::upstream::{Dated, Lookup, UpstreamCache};
use super::{FIRST_YEAR, Freshness, StatsError, TtlPolicy, Waits};
use crate::clock::Clock;
use crate::domain::{ContributionYear, Login, year_bounds};
use crate::github::{GitHubApi, GitHubError};
use crate::store::ContributionStore;

/// How long after a year's end its days may still change (contributions are counted late).
const SETTLING: chrono::Duration = chrono::Duration::days(7);

/// Past years in memory; they are in the store too, so this only saves a database read.
const PAST_IN_MEMORY: Duration = Duration::from_secs(24 * 3600);

impl Dated for ContributionYear {
    fn fetched_at(&self) -> DateTime<Utc> {
        self.fetched_at
    }

    fn set_fetched_at(&mut self, at: DateTime<Utc>) {
        self.fetched_at = at;
    }
}

/// A user's years as of the reader's today, newest first.
#[derive(Debug, Clone)]
pub struct CalendarLookup {
    pub years: Vec<Arc<ContributionYear>>,
    /// The reader's date.
    pub today: NaiveDate,
    /// The current year's.
    pub freshness: Freshness,
}

#[derive(Clone)]
pub struct ContributionsService {
    github: Arc<dyn GitHubApi>,
    store: ContributionStore,
    clock: Arc<dyn Clock>,
    current: Arc<UpstreamCache<ContributionYear>>,
    past: Arc<UpstreamCache<ContributionYear>>,
}

impl ContributionsService {
    pub fn new(
        github: Arc<dyn GitHubApi>,
        store: ContributionStore,
        policy: TtlPolicy,
        waits: Waits,
        max: u64,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let past = TtlPolicy { soft: PAST_IN_MEMORY, hard: PAST_IN_MEMORY };
        Self {
            github,
            store,
            current: UpstreamCache::new(policy, waits, max, clock.clone()),
            past: UpstreamCache::new(past, waits, max.saturating_mul(4), clock.clone()),
            clock,
        }
    }

    /// The UTC offset of `timezone` now, in minutes east: the offset a calendar is counted in.
    pub fn offset_now<Tz: TimeZone>(&self, timezone: &Tz) -> i32 {
        timezone.offset_from_utc_datetime(&self.clock.now().naive_utc()).fix().local_minus_utc() / 60
    }

    /// Whether the current year is in memory: answering costs no query.
    pub fn is_cached(&self, login: &Login, offset_minutes: i32) -> bool {
        let (year, _) = self.local_now(offset_minutes);
        self.current.is_cached(&key(login, year, offset_minutes))
    }

    /// `login`'s years from `first_year` (default: all) to the current one, in the offset.
    pub async fn calendar(
        &self,
        login: &Login,
        offset_minutes: i32,
        first_year: Option<i32>,
    ) -> Result<CalendarLookup, StatsError> {
        let (this_year, today) = self.local_now(offset_minutes);
        let current = self.current_year(login, this_year, offset_minutes).await?;
        let first = first_year.unwrap_or(FIRST_YEAR);
        let wanted = current.value.contribution_years.iter().copied().filter(|y| (first..this_year).contains(y));
        let past = futures_util::future::join_all(wanted.map(|year| self.past_year(login, year, offset_minutes)));
        let mut years = vec![current.value];
        for year in past.await {
            years.push(year?);
        }
        Ok(CalendarLookup { years, today, freshness: current.freshness })
    }

    fn local_now(&self, offset_minutes: i32) -> (i32, NaiveDate) {
        let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap_or(FixedOffset::east_opt(0).expect("UTC"));
        let local = self.clock.now().with_timezone(&offset);
        (local.year(), local.date_naive())
    }

    async fn current_year(
        &self,
        login: &Login,
        year: i32,
        offset: i32,
    ) -> Result<Lookup<ContributionYear>, StatsError> {
        let (github, store, owned) = (self.github.clone(), self.store.clone(), login.clone());
        let fetch = async move {
            let fetched = github.fetch_contribution_year(&owned, year, offset).await?;
            save(&store, &owned, &fetched).await;
            Ok(fetched)
        };
        let describe = format!("contributions of {login} in {year}");
        self.current.get(&key(login, year, offset), &describe, fetch).await
    }

    async fn past_year(&self, login: &Login, year: i32, offset: i32) -> Result<Arc<ContributionYear>, StatsError> {
        let (github, store, owned) = (self.github.clone(), self.store.clone(), login.clone());
        let fetch = async move {
            match store.get(&owned, year, offset).await {
                Ok(Some(stored)) if settled(&stored) => return Ok(stored),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, login = %owned, year, "could not read a stored contribution year"),
            }
            let fetched = github.fetch_contribution_year(&owned, year, offset).await?;
            save(&store, &owned, &fetched).await;
            Ok::<_, GitHubError>(fetched)
        };
        let describe = format!("contributions of {login} in {year}");
        Ok(self.past.get(&key(login, year, offset), &describe, fetch).await?.value)
    }
}

fn key(login: &Login, year: i32, offset: i32) -> String {
    format!("{}:{year}:{offset}", login.as_str().to_ascii_lowercase())
}

/// Fetched long enough after the year's end that its days no longer change.
fn settled(year: &ContributionYear) -> bool {
    year_bounds(year.year, year.offset_minutes)
        .is_some_and(|(_, end)| year.fetched_at >= end.with_timezone(&Utc) + SETTLING)
}

/// A failed write costs a query later, not the card now.
async fn save(store: &ContributionStore, login: &Login, year: &ContributionYear) {
    if let Err(error) = store.put(login, year).await {
        tracing::warn!(%error, %login, year = year.year, "could not store a contribution year");
    }
}
