//! The service's rules against a scripted GitHub and a real store, with a clock the tests move.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::TimeZone;

use super::*;
use crate::clock::ManualClock;
use crate::domain::{CodeCard, ContributionDay, GistId, RepoRef, UserSnapshot};
use crate::github::{FetchProgress, GitHubError};
use crate::store::testing::TestDatabase;

/// Answers calendar queries with one contribution on 1 July of each year from 2020, and
/// counts them per year; fails them all while `down`.
#[derive(Default)]
struct Calendars {
    asked: Mutex<HashMap<i32, usize>>,
    down: AtomicBool,
}

#[async_trait::async_trait]
impl GitHubApi for Calendars {
    async fn fetch_user(&self, _: &Login, _: &FetchProgress) -> Result<UserSnapshot, GitHubError> {
        Err(GitHubError::NotFound)
    }
    async fn fetch_repository(&self, _: &RepoRef) -> Result<CodeCard, GitHubError> {
        Err(GitHubError::NotFound)
    }
    async fn fetch_commits_in_year(&self, _: &Login, _: i32) -> Result<i64, GitHubError> {
        Err(GitHubError::NotFound)
    }
    async fn fetch_gist(&self, _: &GistId) -> Result<CodeCard, GitHubError> {
        Err(GitHubError::NotFound)
    }
    async fn fetch_contribution_year(
        &self,
        _: &Login,
        year: i32,
        offset_minutes: i32,
    ) -> Result<ContributionYear, GitHubError> {
        *self.asked.lock().unwrap().entry(year).or_default() += 1;
        if self.down.load(Ordering::SeqCst) {
            return Err(GitHubError::Timeout);
        }
        let date = NaiveDate::from_ymd_opt(year, 7, 1).unwrap();
        Ok(ContributionYear {
            year,
            offset_minutes,
            days: vec![ContributionDay { date, count: 1 }],
            restricted: 0,
            contribution_years: (2020..=year).rev().collect(),
            fetched_at: Utc::now(),
        })
    }
}

fn service(github: Arc<Calendars>, store: &ContributionStore, clock: Arc<ManualClock>) -> ContributionsService {
    let policy = TtlPolicy { soft: Duration::from_secs(600), hard: Duration::from_secs(86_400) };
    ContributionsService::new(github, store.clone(), policy, Waits::default(), 100, clock)
}

fn asked(github: &Calendars, year: i32) -> usize {
    github.asked.lock().unwrap().get(&year).copied().unwrap_or(0)
}

#[tokio::test]
async fn a_past_year_is_asked_again_only_in_the_week_after_it_ended_and_its_copy_serves_when_that_fails() {
    let db = TestDatabase::sqlite_memory().await;
    let store = ContributionStore::new(db.db.clone());
    let github = Arc::new(Calendars::default());
    let login = Login::parse("octocat").unwrap();
    let clock = Arc::new(ManualClock::at(Utc.with_ymd_and_hms(2025, 1, 3, 12, 0, 0).unwrap()));

    // 3 January: 2024 is not settled yet.
    let first = service(github.clone(), &store, clock.clone());
    let lookup = first.calendar(&login, 0, PastYears::From(None)).await.unwrap();
    assert_eq!(lookup.years.iter().map(|y| y.year).collect::<Vec<_>>(), [2025, 2024, 2023, 2022, 2021, 2020]);
    assert_eq!((asked(&github, 2024), asked(&github, 2020)), (1, 1));

    // A restart the next day: 2024 is asked again, older years come from the store; with
    // GitHub down, the stored 2024 serves.
    clock.advance(Duration::from_secs(24 * 3600));
    let restarted = service(github.clone(), &store, clock.clone());
    restarted.calendar(&login, 0, PastYears::From(None)).await.unwrap();
    assert_eq!((asked(&github, 2025), asked(&github, 2024), asked(&github, 2023)), (2, 2, 1));
    github.down.store(true, Ordering::SeqCst);
    let mut down = service(github.clone(), &store, clock.clone());
    down.current = restarted.current.clone();
    let lookup = down.calendar(&login, 0, PastYears::Previous).await.unwrap();
    // This year from memory (its 1 July is still ahead), 2024 from the store.
    assert_eq!(lookup.years.iter().map(|y| y.year).collect::<Vec<_>>(), [2025, 2024]);
    assert_eq!(lookup.calendar(&login).total(), 1);
    assert_eq!(asked(&github, 2024), 3);
    github.down.store(false, Ordering::SeqCst);

    // Past its settling week, 2024 is asked once more; fetched then, it is never asked again.
    clock.advance(Duration::from_secs(10 * 24 * 3600));
    let later = service(github.clone(), &store, clock.clone());
    later.calendar(&login, 0, PastYears::From(None)).await.unwrap();
    assert_eq!(asked(&github, 2024), 4);
    let once_more = service(github.clone(), &store, clock.clone());
    once_more.calendar(&login, 0, PastYears::From(None)).await.unwrap();
    assert_eq!((asked(&github, 2024), asked(&github, 2023)), (4, 1), "settled years come from the store");
}

#[tokio::test]
async fn a_users_calendar_is_counted_in_a_few_offsets_a_day() {
    let db = TestDatabase::sqlite_memory().await;
    let github = Arc::new(Calendars::default());
    let clock = Arc::new(ManualClock::at(Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()));
    let contributions = service(github, &ContributionStore::new(db.db.clone()), clock.clone());
    let (login, other) = (Login::parse("octocat").unwrap(), Login::parse("hubot").unwrap());
    for offset in [0, -300, 330, 540] {
        assert_eq!(contributions.calendar(&login, offset, PastYears::Previous).await.unwrap().offset_minutes, offset);
    }
    // Berlin (+60) after UTC, New York, Kolkata and Tokyo: counted in UTC, the nearest.
    assert_eq!(contributions.counted_offset(&login, 60), 0);
    let nearest = contributions.calendar(&login, 60, PastYears::Previous).await.unwrap();
    assert_eq!(nearest.offset_minutes, 0, "the nearest offset already counted, not a refusal");
    assert_eq!(contributions.calendar(&login, 600, PastYears::Previous).await.unwrap().offset_minutes, 540);
    assert_eq!(contributions.calendar(&login, -300, PastYears::Previous).await.unwrap().offset_minutes, -300);
    assert_eq!(contributions.calendar(&other, 60, PastYears::Previous).await.unwrap().offset_minutes, 60, "per user");
    contributions.offsets.invalidate_all();
    assert_eq!(contributions.calendar(&login, 60, PastYears::Previous).await.unwrap().offset_minutes, 60, "a new day");
}
