//! A user's contribution calendar: the days of each year as GitHub counts them in one UTC offset,
//! merged into one calendar for the streak, calendar and graph cards. Pure rules, no I/O.

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Utc};

use super::streak::ContributionDay;

/// One year of a user's calendar, as fetched (`contributionsCollection(from, to)` with `from`
/// at the year's start in the offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContributionYear {
    pub year: i32,
    /// Minutes east of UTC the days are counted in.
    pub offset_minutes: i32,
    /// Dates of the year in order; a day GitHub did not list counts as none.
    pub days: Vec<ContributionDay>,
    /// Private contributions among the days (0 when the user keeps them off their profile).
    pub restricted: u64,
    /// The years the user has contributions in, newest first, as GitHub says.
    pub contribution_years: Vec<i32>,
    pub fetched_at: DateTime<Utc>,
}

impl ContributionYear {
    pub fn total(&self) -> u64 {
        self.days.iter().map(|d| u64::from(d.count)).sum()
    }
}

/// Which past years a card needs, besides the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PastYears {
    /// Every year from this one (None: from the first with contributions).
    From(Option<i32>),
    /// Only this one.
    Only(i32),
    /// The year before the current one (what the last 12 months reach into).
    Previous,
}

/// Every fetched year of a user, merged, as of the reader's today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContributionCalendar {
    pub login: String,
    /// In date order, no date twice.
    pub days: Vec<ContributionDay>,
    pub restricted: u64,
    /// The reader's date when the calendar was put together.
    pub today: NaiveDate,
    /// When the current year (the first merged) was fetched; older years do not change.
    pub fetched_at: DateTime<Utc>,
}

impl ContributionCalendar {
    /// The years merged (the current one first), each date once, without dates after `today`.
    pub fn merge(login: &str, years: &[&ContributionYear], today: NaiveDate) -> Self {
        let mut days: Vec<ContributionDay> =
            years.iter().flat_map(|y| y.days.iter().copied()).filter(|d| d.date <= today).collect();
        days.sort_by_key(|d| d.date);
        days.dedup_by_key(|d| d.date);
        Self {
            login: login.to_owned(),
            days,
            restricted: years.iter().map(|y| y.restricted).sum(),
            today,
            fetched_at: years.first().map_or(DateTime::UNIX_EPOCH, |y| y.fetched_at),
        }
    }

    /// Contributions on each date of `first..=last` (absent dates as none).
    pub fn range(&self, first: NaiveDate, last: NaiveDate) -> Vec<ContributionDay> {
        let start = self.days.partition_point(|d| d.date < first);
        let mut known = self.days[start..].iter().take_while(|d| d.date <= last).peekable();
        first
            .iter_days()
            .take_while(|date| *date <= last)
            .map(|date| match known.next_if(|d| d.date == date) {
                Some(day) => *day,
                None => ContributionDay { date, count: 0 },
            })
            .collect()
    }

    pub fn total(&self) -> u64 {
        self.days.iter().map(|d| u64::from(d.count)).sum()
    }
}

/// Identifies what past years hold (the current one is versioned by its fetch): equal for the
/// same days, whenever they were loaded.
pub fn past_years_version(years: &[impl std::ops::Deref<Target = ContributionYear>]) -> i64 {
    years.iter().skip(1).fold(0i64, |sum, y| {
        let content = (y.total() as i64).wrapping_mul(7919).wrapping_add(i64::from(y.year));
        sum.wrapping_mul(31).wrapping_add(content)
    })
}

/// The local instant a year starts and ends in an offset: `contributionsCollection`'s `from`
/// and `to`.
pub fn year_bounds(year: i32, offset_minutes: i32) -> Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
    let offset = FixedOffset::east_opt(offset_minutes * 60)?;
    let from = NaiveDate::from_ymd_opt(year, 1, 1)?.and_hms_opt(0, 0, 0)?.and_local_timezone(offset).single()?;
    let to = NaiveDate::from_ymd_opt(year, 12, 31)?.and_hms_opt(23, 59, 59)?.and_local_timezone(offset).single()?;
    Some((from, to))
}

/// A day's shade in a heatmap: 0 for none, else 1-4 by its share of the busiest day shown
/// (a quarter or less is 1, all of it 4).
pub fn level(count: u32, max: u32) -> u8 {
    if count == 0 || max == 0 {
        return 0;
    }
    let level = (4 * u64::from(count)).div_ceil(u64::from(max));
    level.clamp(1, 4) as u8
}

/// The Sunday on or before `date` (GitHub's calendar columns start on Sunday).
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Days::new(u64::from(date.weekday().num_days_from_sunday()))
}

/// A UTC offset in minutes east as `+09:00` or `-05:30`.
pub fn utc_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let minutes = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn offsets_are_written_as_signed_hours_and_minutes() {
        assert_eq!(utc_offset(540), "+09:00");
        assert_eq!(utc_offset(-330), "-05:30");
        assert_eq!(utc_offset(0), "+00:00");
    }

    fn year(year: i32, days: &[(&str, u32)], fetched: i64) -> ContributionYear {
        ContributionYear {
            year,
            offset_minutes: 0,
            days: days.iter().map(|(d, c)| ContributionDay { date: date(d), count: *c }).collect(),
            restricted: 1,
            contribution_years: vec![],
            fetched_at: DateTime::from_timestamp(fetched, 0).unwrap(),
        }
    }

    #[test]
    fn years_merge_in_date_order_up_to_today() {
        let older = year(2023, &[("2023-12-31", 2)], 10);
        let newer = year(2024, &[("2024-01-01", 3), ("2024-01-03", 1), ("2024-01-05", 9)], 20);
        let calendar = ContributionCalendar::merge("octocat", &[&newer, &older], date("2024-01-04"));
        assert_eq!(calendar.total(), 6);
        assert_eq!(calendar.restricted, 2);
        assert_eq!(calendar.fetched_at.timestamp(), 20);
        let counts: Vec<u32> = calendar.range(date("2023-12-30"), date("2024-01-04")).iter().map(|d| d.count).collect();
        assert_eq!(counts, [0, 2, 3, 0, 1, 0]);
    }

    #[test]
    fn levels_are_quarters_of_the_busiest_day() {
        assert_eq!([0, 1, 2, 3, 5, 6, 8].map(|c| level(c, 8)), [0, 1, 1, 2, 3, 3, 4]);
        assert_eq!(level(3, 0), 0);
    }

    #[test]
    fn a_year_is_bounded_in_its_offset() {
        let (from, to) = year_bounds(2024, -300).unwrap();
        assert_eq!(from.to_rfc3339(), "2024-01-01T00:00:00-05:00");
        assert_eq!(to.to_rfc3339(), "2024-12-31T23:59:59-05:00");
        assert_eq!(week_start(date("2024-01-03")), date("2023-12-31"));
    }
}
