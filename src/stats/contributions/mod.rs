//! Contribution calendars: the years a user has contributions in, one GitHub query per year, with
//! the days counted in the reader's UTC offset.
//!
//! Rules:
//! - the current year follows the usual TTLs (served from memory, refreshed when older than the
//!   soft TTL, the last one served while GitHub fails); its query also says which earlier years
//!   have contributions, so years without any cost nothing;
//! - a past year is fetched once and stored; it is never asked for again unless it was fetched
//!   within a week of its end (late contributions still land then), so a restart and every
//!   refresh cost only the current year's query; when asking again fails, the stored copy serves;
//! - a card asks only for the years it shows (a calendar of the last 12 months: this year and
//!   the one before);
//! - one user's calendar is counted in at most [`MAX_OFFSETS_PER_USER`] UTC offsets a day, so
//!   URLs cycling through timezones cannot multiply what a user costs; a reader asking for a
//!   further one gets the calendar counted in the nearest of that day's offsets (and is told),
//!   never a refusal caused by what others asked;
//! - concurrent requests for one year share one query; past years are asked a few at a time.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use futures_util::{StreamExt, TryStreamExt};
use moka::sync::Cache;

use super::upstream::{Dated, Lookup, UpstreamCache};
use super::{FIRST_YEAR, Freshness, StatsError, TtlPolicy, Waits};
use crate::clock::Clock;
use crate::domain::{ContributionCalendar, ContributionYear, Login, PastYears, past_years_version, year_bounds};
use crate::github::GitHubApi;
use crate::store::ContributionStore;

/// How long after a year's end its days may still change (contributions are counted late).
const SETTLING: chrono::Duration = chrono::Duration::days(7);

/// Past years in memory; they are in the store too, so this only saves a database read.
const PAST_IN_MEMORY: Duration = Duration::from_secs(24 * 3600);

/// UTC offsets one user's calendar is counted in per day (a timezone with daylight saving time
/// takes two).
pub const MAX_OFFSETS_PER_USER: usize = 4;

/// Past years asked for at once.
const PAST_YEARS_AT_ONCE: usize = 4;

impl Dated for ContributionYear {
    fn fetched_at(&self) -> DateTime<Utc> {
        self.fetched_at
    }

    fn set_fetched_at(&mut self, at: DateTime<Utc>) {
        self.fetched_at = at;
    }
}

/// A user's years as of the reader's today, the current year first.
#[derive(Debug, Clone)]
pub struct CalendarLookup {
    pub years: Arc<[Arc<ContributionYear>]>,
    /// [`past_years_version`] of `years`.
    pub past_version: i64,
    /// The reader's date.
    pub today: NaiveDate,
    /// The UTC offset the days are counted in (minutes east): the one asked for, or the nearest
    /// of the day's offsets (see [`ContributionsService::counted_offset`]).
    pub offset_minutes: i32,
    /// The current year's.
    pub freshness: Freshness,
}

impl CalendarLookup {
    /// The years as one calendar.
    pub fn calendar(&self, login: &Login) -> ContributionCalendar {
        let years: Vec<&ContributionYear> = self.years.iter().map(|y| &**y).collect();
        ContributionCalendar::merge(login.as_str(), &years, self.today)
    }
}

#[derive(Clone)]
pub struct ContributionsService {
    github: Arc<dyn GitHubApi>,
    store: ContributionStore,
    clock: Arc<dyn Clock>,
    current: Arc<UpstreamCache<ContributionYear>>,
    past: Arc<UpstreamCache<ContributionYear>>,
    /// The offsets each user's calendar was counted in today.
    offsets: Cache<String, Arc<Mutex<BTreeSet<i32>>>>,
    /// Years put together for a card, by (login, offset, past years asked for): a warm request
    /// looks up the current year and this, not every past year.
    assembled: Cache<(String, i32, PastYears), Assembled>,
}

#[derive(Clone)]
struct Assembled {
    years: Arc<[Arc<ContributionYear>]>,
    past_version: i64,
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
            offsets: Cache::builder().max_capacity(max).time_to_live(Duration::from_secs(24 * 3600)).build(),
            assembled: Cache::builder().max_capacity(max).time_to_live(PAST_IN_MEMORY).build(),
            clock,
        }
    }

    /// The UTC offset of `timezone` now, in minutes east: the offset a calendar is counted in.
    pub fn offset_now<Tz: TimeZone>(&self, timezone: &Tz) -> i32 {
        timezone.offset_from_utc_datetime(&self.clock.now().naive_utc()).fix().local_minus_utc() / 60
    }

    /// The UTC offset a calendar of `login` asked for in `requested` is counted in: the one asked
    /// for while the user has fewer than [`MAX_OFFSETS_PER_USER`] today or it is one of them,
    /// else the nearest of them.
    pub fn counted_offset(&self, login: &Login, requested: i32) -> i32 {
        match self.offsets.get(login.as_key()) {
            None => requested,
            Some(seen) => nearest(&seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner), requested),
        }
    }

    /// The calendar straight from memory when all the card shows is there and fresh: `offset` is
    /// one of the user's offsets today, the current year is younger than the soft TTL and the
    /// years put together for the card are the current ones. Asks nothing, counts nothing: the
    /// warm path of every streak and calendar card.
    pub async fn warm(&self, login: &Login, offset_minutes: i32, past: PastYears) -> Option<CalendarLookup> {
        let seen = self.offsets.get(login.as_key())?;
        if !seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(&offset_minutes) {
            return None;
        }
        let (this_year, today) = self.local_now(offset_minutes);
        let current = self.current.fresh(&key(login, this_year, offset_minutes)).await?;
        let Assembled { years, past_version } = self.assembled.get(&(login.key(), offset_minutes, past))?;
        Arc::ptr_eq(&years[0], &current).then_some(CalendarLookup {
            years,
            past_version,
            today,
            offset_minutes,
            freshness: Freshness::Fresh,
        })
    }

    /// Queries a calendar would ask GitHub for in the offset: the current year when it is not
    /// in memory, and each past year the card shows that is not. Until the current year's answer
    /// lists the years with contributions, every year the card could show counts.
    pub async fn missing(&self, login: &Login, offset_minutes: i32, past: PastYears) -> u32 {
        let (this_year, _) = self.local_now(offset_minutes);
        let current = self.current.peek(&key(login, this_year, offset_minutes)).await;
        let assembled = (login.as_str().to_ascii_lowercase(), offset_minutes, past);
        if let Some(current) = &current
            && self.assembled.get(&assembled).is_some_and(|a| Arc::ptr_eq(&a.years[0], current))
        {
            return 0;
        }
        let range = past_range(past, this_year - 1);
        let years = match &current {
            Some(current) => wanted_years(&current.contribution_years, offset_minutes, range),
            None => range.rev().collect(),
        };
        let past = years.into_iter().filter(|y| !self.past.is_cached(&key(login, *y, offset_minutes))).count();
        u32::from(current.is_none()).saturating_add(u32::try_from(past).unwrap_or(u32::MAX))
    }

    /// `login`'s current year and the `past` years with contributions, counted in the offset
    /// asked for, or the nearest of the user's offsets today (see [`Self::counted_offset`]).
    pub async fn calendar(&self, login: &Login, requested: i32, past: PastYears) -> Result<CalendarLookup, StatsError> {
        let offset_minutes = self.admit_offset(login, requested);
        let (this_year, today) = self.local_now(offset_minutes);
        let current = self.current_year(login, this_year, offset_minutes).await?;
        let key = (login.as_str().to_ascii_lowercase(), offset_minutes, past);
        if let Some(assembled) = self.assembled.get(&key)
            && Arc::ptr_eq(&assembled.years[0], &current.value)
        {
            let Assembled { years, past_version } = assembled;
            return Ok(CalendarLookup { years, past_version, today, offset_minutes, freshness: current.freshness });
        }
        let range = past_range(past, this_year - 1);
        let wanted = wanted_years(&current.value.contribution_years, offset_minutes, range);
        let past: Vec<Arc<ContributionYear>> = futures_util::stream::iter(wanted)
            .map(|year| self.past_year(login, year, offset_minutes))
            .buffered(PAST_YEARS_AT_ONCE)
            .try_collect()
            .await?;
        let years: Arc<[Arc<ContributionYear>]> = std::iter::once(current.value).chain(past).collect();
        let past_version = past_years_version(&years);
        self.assembled.insert(key, Assembled { years: years.clone(), past_version });
        Ok(CalendarLookup { years, past_version, today, offset_minutes, freshness: current.freshness })
    }

    fn local_now(&self, offset_minutes: i32) -> (i32, NaiveDate) {
        let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap_or(FixedOffset::east_opt(0).expect("UTC"));
        let local = self.clock.now().with_timezone(&offset);
        (local.year(), local.date_naive())
    }

    /// Counts `requested` among the user's offsets of the day when there is room; the offset
    /// the calendar is counted in.
    fn admit_offset(&self, login: &Login, requested: i32) -> i32 {
        let seen = self.offsets.get_with(login.as_str().to_ascii_lowercase(), Arc::default);
        let mut seen = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let offset = nearest(&seen, requested);
        seen.insert(offset);
        offset
    }

    async fn current_year(
        &self,
        login: &Login,
        year: i32,
        offset: i32,
    ) -> Result<Lookup<ContributionYear>, StatsError> {
        let (github, store, clock, owned) =
            (self.github.clone(), self.store.clone(), self.clock.clone(), login.clone());
        let fetch = async move {
            let mut fetched = github.fetch_contribution_year(&owned, year, offset).await?;
            fetched.fetched_at = clock.now();
            save(&store, &owned, &fetched).await;
            Ok(fetched)
        };
        let describe = format!("contributions of {login} in {year}");
        self.current.get(&key(login, year, offset), &describe, fetch).await
    }

    async fn past_year(&self, login: &Login, year: i32, offset: i32) -> Result<Arc<ContributionYear>, StatsError> {
        let (github, store, clock, owned) =
            (self.github.clone(), self.store.clone(), self.clock.clone(), login.clone());
        let fetch = async move {
            let stored = match store.get(&owned, year, offset).await {
                Ok(stored) => stored,
                Err(error) => {
                    tracing::warn!(%error, login = %owned, year, "could not read a stored contribution year");
                    None
                }
            };
            if let Some(stored) = stored.as_ref().filter(|s| settled(s)) {
                return Ok(stored.clone());
            }
            match github.fetch_contribution_year(&owned, year, offset).await {
                Ok(mut fetched) => {
                    fetched.fetched_at = clock.now();
                    save(&store, &owned, &fetched).await;
                    Ok(fetched)
                }
                // Days counted late are worth less than the card.
                Err(error) => stored.ok_or(error),
            }
        };
        let describe = format!("contributions of {login} in {year}");
        Ok(self.past.get(&key(login, year, offset), &describe, fetch).await?.value)
    }
}

/// The years in `range` to ask for: those GitHub lists with contributions, and, away from UTC,
/// the year on the side a listed year's first or last hours fall into in the reader's offset
/// (GitHub may list years by UTC; a contribution at 01:00 UTC on 1 January is on 31 December
/// west of UTC).
fn wanted_years(listed: &[i32], offset_minutes: i32, range: RangeInclusive<i32>) -> Vec<i32> {
    let side = offset_minutes.signum();
    let years: BTreeSet<i32> = listed.iter().flat_map(|&y| [y, y + side]).filter(|y| range.contains(y)).collect();
    years.into_iter().rev().collect()
}

/// The past years `past` means when the last finished year is `last`.
fn past_range(past: PastYears, last: i32) -> RangeInclusive<i32> {
    match past {
        PastYears::From(first) => first.unwrap_or(FIRST_YEAR).max(FIRST_YEAR)..=last,
        PastYears::Only(year) => year..=year.min(last),
        PastYears::Previous => last..=last,
    }
}

/// `requested` when it is one of `seen` or there is room for it, else the nearest of `seen`.
fn nearest(seen: &BTreeSet<i32>, requested: i32) -> i32 {
    if seen.contains(&requested) || seen.len() < MAX_OFFSETS_PER_USER {
        return requested;
    }
    seen.iter().copied().min_by_key(|offset| (offset.abs_diff(requested), *offset)).unwrap_or(requested)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_asks_for_the_years_it_shows_and_their_neighbour_across_the_offset() {
        let listed = [2025, 2024, 2021];
        assert_eq!(wanted_years(&listed, 0, 2008..=2024), [2024, 2021]);
        assert_eq!(wanted_years(&listed, -300, 2008..=2024), [2024, 2023, 2021, 2020]);
        assert_eq!(wanted_years(&listed, 330, 2008..=2024), [2024, 2022, 2021]);
        assert_eq!(wanted_years(&listed, 0, 2024..=2024), [2024]);
        assert_eq!(wanted_years(&listed, 0, 2022..=2022), Vec::<i32>::new());
    }
}

#[cfg(test)]
mod service_tests;
