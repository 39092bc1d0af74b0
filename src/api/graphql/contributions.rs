//! `User.contributions`: the contribution calendar and streaks the streak and calendar cards
//! show, in the reader's timezone.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::NaiveDate;

use super::state;
use crate::api::AppError;
use crate::domain::{ContributionCalendar, Login, StreakMode, StreakRules, streaks};
use async_graphql::ErrorExtensions as _;

/// A user's contributions in one timezone (`User.contributions(timezone:)`).
pub(super) struct Contributions {
    pub(super) calendar: ContributionCalendar,
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

#[Object]
impl Contributions {
    /// The date it is now in the timezone asked for.
    async fn today(&self) -> NaiveDate {
        self.calendar.today
    }
    /// Private contributions among the days (0 unless the user shows them on their profile).
    async fn restricted(&self) -> i64 {
        i64::try_from(self.calendar.restricted).unwrap_or(i64::MAX)
    }
    async fn total(&self) -> i64 {
        i64::try_from(self.calendar.total()).unwrap_or(i64::MAX)
    }
    /// Contributions per date from `from` (default: a year before today) to `to` (default:
    /// today); at most 366 dates.
    async fn calendar(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> async_graphql::Result<Vec<ContributionDayView>> {
        let today = self.calendar.today;
        let to = to.unwrap_or(today).min(today);
        let from = from.unwrap_or(to - chrono::Days::new(365));
        let span = (to - from).num_days();
        if !(0..366).contains(&span) {
            let reason = "`from` must be on or before `to`, at most 366 dates apart".to_owned();
            return Err(AppError::InvalidParameter { name: "from", reason }.extend());
        }
        Ok(self
            .calendar
            .range(from, to)
            .into_iter()
            .map(|d| ContributionDayView { date: d.date, count: i64::from(d.count) })
            .collect())
    }
    /// The streaks as the streak card counts them; `excludeDays` (`Sun`, `Sat`, ...) do not end
    /// a daily streak.
    async fn streak(
        &self,
        #[graphql(default_with = "StreakModeInput::Daily")] mode: StreakModeInput,
        #[graphql(default)] exclude_days: Vec<String>,
    ) -> async_graphql::Result<Streaks> {
        let mut params = std::collections::HashMap::new();
        params.insert("exclude_days".to_owned(), exclude_days.join(","));
        let excluded = crate::render::contribution_options::ContributionOptions::from_params(&params, |_| Ok(None))
            .map_err(|e| AppError::InvalidParameter { name: "excludeDays", reason: e.reason }.extend())?
            .rules()
            .excluded;
        let rules = StreakRules {
            mode: if mode == StreakModeInput::Weekly { StreakMode::Weekly } else { StreakMode::Daily },
            excluded,
        };
        let found = streaks(&self.calendar.days, self.calendar.today, &rules);
        let view = |s: crate::domain::Streak| StreakView { start: s.start, end: s.end, length: i64::from(s.length) };
        Ok(Streaks {
            total: i64::try_from(found.total).unwrap_or(i64::MAX),
            first_contribution: found.first_contribution,
            current: found.current.map(view),
            longest: found.longest.map(view),
        })
    }
}

/// The calendar of `login` in `timezone` (IANA name), every year since `starting_year`.
pub(super) async fn load(
    ctx: &Context<'_>,
    login: &Login,
    timezone: Option<String>,
    starting_year: Option<i32>,
) -> async_graphql::Result<Contributions> {
    let mut params = std::collections::HashMap::new();
    params.extend(timezone.map(|t| ("timezone".to_owned(), t)));
    params.extend(starting_year.map(|y| ("starting_year".to_owned(), y.to_string())));
    let options = crate::render::contribution_options::ContributionOptions::from_params(&params, |_| Ok(None))
        .map_err(|e| AppError::InvalidParameter { name: e.name, reason: e.reason }.extend())?;
    let service = &state(ctx)?.contributions;
    let offset = service.offset_now(&options.timezone);
    let lookup = service
        .calendar(login, offset, options.starting_year)
        .await
        .map_err(|e| AppError::from_stats(e, login.as_str()).extend())?;
    let years: Vec<_> = lookup.years.iter().map(|y| &**y).collect();
    Ok(Contributions { calendar: ContributionCalendar::merge(login.as_str(), &years, lookup.today) })
}
