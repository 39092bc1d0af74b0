//! `User.contributions`: the contribution calendar and streaks the streak and calendar cards
//! show, in the reader's timezone.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{Datelike, NaiveDate};

use super::{payer, state};
use crate::api::AppError;
use crate::domain::{ContributionCalendar, Login, PastYears, StreakMode, streaks};
use crate::render::contribution_options::{YEARS, parse_exclude_days, parse_timezone, rules};
use async_graphql::ErrorExtensions as _;

/// The most dates one `calendar` answers.
const MAX_DATES: i64 = 366;

/// A user's contributions in one timezone (`User.contributions(timezone:)`).
pub(super) struct Contributions {
    calendar: ContributionCalendar,
    offset_minutes: i32,
}

/// How a streak counts.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(super) enum StreakModeInput {
    /// Days with contributions in a row.
    Daily,
    /// Weeks (Sunday to Saturday) with contributions in a row.
    Weekly,
}

#[derive(SimpleObject)]
struct ContributionDayView {
    date: NaiveDate,
    count: i64,
}

#[derive(SimpleObject)]
struct StreakView {
    start: NaiveDate,
    end: NaiveDate,
    /// Days (weekly mode: weeks) with contributions.
    length: i64,
}

#[derive(SimpleObject)]
struct Streaks {
    /// Contributions up to today (in the timezone).
    total: i64,
    first_contribution: Option<NaiveDate>,
    /// Null when no streak is running; today without contributions does not end one yet.
    current: Option<StreakView>,
    longest: Option<StreakView>,
}

fn invalid(name: &'static str, reason: impl Into<String>) -> async_graphql::Error {
    AppError::InvalidParameter { name, reason: reason.into() }.extend()
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[Object]
impl Contributions {
    /// The date it is now in the timezone asked for.
    async fn today(&self) -> NaiveDate {
        self.calendar.today
    }
    /// The UTC offset the days are counted in (`+09:00`): the timezone's, or, when the user's
    /// calendar was already counted in as many offsets today as one user may cost, the nearest
    /// of those.
    async fn utc_offset(&self) -> String {
        crate::domain::utc_offset(self.offset_minutes)
    }
    /// Private contributions among the days (0 unless the user shows them on their profile).
    async fn restricted(&self) -> i64 {
        count(self.calendar.restricted)
    }
    async fn total(&self) -> i64 {
        count(self.calendar.total())
    }
    /// Contributions per date from `from` (default: 365 days before `to`) to `to` (default and
    /// latest: today); at most 366 dates.
    async fn calendar(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> async_graphql::Result<Vec<ContributionDayView>> {
        for (name, date) in [("from", from), ("to", to)] {
            if date.is_some_and(|d| !YEARS.contains(&d.year())) {
                return Err(invalid(name, "must be a date from 2008 to 9999"));
            }
        }
        let to = to.unwrap_or(self.calendar.today).min(self.calendar.today);
        let from = from.unwrap_or(to - chrono::Days::new(MAX_DATES as u64 - 1));
        if !(0..MAX_DATES).contains(&(to - from).num_days()) {
            return Err(invalid("from", format!("must be on or before `to`, at most {MAX_DATES} dates apart")));
        }
        let days = self.calendar.range(from, to).into_iter();
        Ok(days.map(|d| ContributionDayView { date: d.date, count: i64::from(d.count) }).collect())
    }
    /// The streaks as the streak card counts them; `excludeDays` (`Sun`, `Sat`, ...) do not end
    /// a daily streak.
    async fn streak(
        &self,
        #[graphql(default_with = "StreakModeInput::Daily")] mode: StreakModeInput,
        #[graphql(default)] exclude_days: Vec<String>,
    ) -> async_graphql::Result<Streaks> {
        let excluded = parse_exclude_days(exclude_days.iter().map(String::as_str))
            .map_err(|e| invalid("excludeDays", e.reason))?;
        let mode = if mode == StreakModeInput::Weekly { StreakMode::Weekly } else { StreakMode::Daily };
        let found = streaks(&self.calendar.days, self.calendar.today, &rules(mode, excluded));
        let view = |s: crate::domain::Streak| StreakView { start: s.start, end: s.end, length: i64::from(s.length) };
        Ok(Streaks {
            total: count(found.total),
            first_contribution: found.first_contribution,
            current: found.current.map(view),
            longest: found.longest.map(view),
        })
    }
}

/// The calendar of `login` in `timezone` (IANA name), every year since `starting_year`, admitted
/// like a streak card (each year not in memory spends from the client's costly budget).
pub(super) async fn load(
    ctx: &Context<'_>,
    login: &Login,
    timezone: Option<String>,
    starting_year: Option<i32>,
) -> async_graphql::Result<Contributions> {
    let timezone = timezone.as_deref().map(parse_timezone).transpose().map_err(|e| invalid(e.name, e.reason))?;
    if starting_year.is_some_and(|y| !YEARS.contains(&y)) {
        return Err(invalid("startingYear", "must be a year from 2008"));
    }
    let timezone = timezone.unwrap_or(chrono_tz::Tz::UTC);
    let lookup = state(ctx)?
        .images
        .calendar(login, &timezone, PastYears::From(starting_year), &payer(ctx)?)
        .await
        .map_err(|e| AppError::from(e).extend())?;
    Ok(Contributions { calendar: lookup.calendar(login), offset_minutes: lookup.offset_minutes })
}
