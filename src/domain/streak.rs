//! Contribution streaks from a contribution calendar: pure rules, no I/O.
//!
//! The calendar's dates are the reader's days (the caller maps GitHub's days into the reader's
//! timezone and says which date is `today` there). Rules:
//! - a day (or week, in weekly mode) without contributions ends a streak, except today (this
//!   week): it is not over yet, so the current streak still counts up to yesterday;
//! - in daily mode, an excluded weekday without contributions neither ends nor lengthens a
//!   streak; with contributions it counts like any day;
//! - a streak's length counts days (weeks) with contributions; its dates are the first and last
//!   of them (weekly: the Sundays starting those weeks, as GitHub's calendar starts weeks);
//! - dates after `today` are ignored; missing dates have no contributions; the longest streak is
//!   the first one of the greatest length.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Contributions on one date of a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContributionDay {
    pub date: NaiveDate,
    pub count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StreakMode {
    #[default]
    Daily,
    Weekly,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreakRules {
    pub mode: StreakMode,
    /// Weekdays whose lack of contributions does not end a daily streak (`exclude_days=Sun,Sat`).
    pub excluded: HashSet<Weekday>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streak {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Days (weekly mode: weeks) with contributions.
    pub length: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Streaks {
    /// Contributions up to today.
    pub total: u64,
    pub first_contribution: Option<NaiveDate>,
    /// None: no streak is running (the last day that counts had no contributions).
    pub current: Option<Streak>,
    pub longest: Option<Streak>,
}

/// The streaks of `days` as of `today`.
pub fn streaks(days: &[ContributionDay], today: NaiveDate, rules: &StreakRules) -> Streaks {
    let mut by_unit: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut total = 0u64;
    for day in days.iter().filter(|d| d.date <= today) {
        total += u64::from(day.count);
        *by_unit.entry(unit_of(day.date, rules.mode)).or_default() += u64::from(day.count);
    }
    let first_contribution = days.iter().filter(|d| d.date <= today && d.count > 0).map(|d| d.date).min();
    let Some(first) = first_contribution.map(|d| unit_of(d, rules.mode)) else {
        return Streaks { total, ..Streaks::default() };
    };
    let last_unit = unit_of(today, rules.mode);
    let (mut running, mut longest): (Option<Streak>, Option<Streak>) = (None, None);
    let mut unit = first;
    while unit <= last_unit {
        let contributed = by_unit.get(&unit).copied().unwrap_or(0) > 0;
        if contributed {
            running = Some(match running {
                Some(streak) => Streak { end: unit, length: streak.length + 1, ..streak },
                None => Streak { start: unit, end: unit, length: 1 },
            });
            if running.map(|r| r.length) > longest.map(|l| l.length) {
                longest = running;
            }
        } else {
            let excused =
                unit == last_unit || (rules.mode == StreakMode::Daily && rules.excluded.contains(&unit.weekday()));
            if !excused {
                running = None;
            }
        }
        unit = next_unit(unit, rules.mode);
    }
    Streaks { total, first_contribution, current: running, longest }
}

/// The day itself, or the Sunday starting its week.
fn unit_of(date: NaiveDate, mode: StreakMode) -> NaiveDate {
    match mode {
        StreakMode::Daily => date,
        StreakMode::Weekly => super::contributions::week_start(date),
    }
}

fn next_unit(unit: NaiveDate, mode: StreakMode) -> NaiveDate {
    let step = match mode {
        StreakMode::Daily => 1,
        StreakMode::Weekly => 7,
    };
    unit + Days::new(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// Consecutive days from `start`, one count each.
    fn calendar(start: &str, counts: &[u32]) -> Vec<ContributionDay> {
        let start = date(start);
        counts
            .iter()
            .enumerate()
            .map(|(i, &count)| ContributionDay { date: start + Days::new(i as u64), count })
            .collect()
    }

    fn streak(start: &str, end: &str, length: u32) -> Option<Streak> {
        Some(Streak { start: date(start), end: date(end), length })
    }

    fn daily() -> StreakRules {
        StreakRules::default()
    }

    #[test]
    fn no_contributions_at_all_is_no_streak() {
        let result = streaks(&calendar("2026-01-01", &[0, 0, 0]), date("2026-01-03"), &daily());
        assert_eq!(result, Streaks { total: 0, first_contribution: None, current: None, longest: None });
        assert_eq!(streaks(&[], date("2026-01-03"), &daily()), Streaks::default());
    }

    #[test]
    fn a_first_contribution_today_is_a_one_day_streak() {
        let result = streaks(&calendar("2026-03-01", &[0, 0, 4]), date("2026-03-03"), &daily());
        assert_eq!(result.total, 4);
        assert_eq!(result.first_contribution, Some(date("2026-03-03")));
        assert_eq!(result.current, streak("2026-03-03", "2026-03-03", 1));
        assert_eq!(result.longest, result.current);
    }

    #[test]
    fn today_without_contributions_does_not_end_the_current_streak_yet() {
        // 1, 2, 3 March contributed; 4 March (today) not yet.
        let days = calendar("2026-03-01", &[1, 2, 3, 0]);
        let result = streaks(&days, date("2026-03-04"), &daily());
        assert_eq!(result.current, streak("2026-03-01", "2026-03-03", 3));
        // The next day, the empty 4 March has ended it.
        let result = streaks(&days, date("2026-03-05"), &daily());
        assert_eq!(result.current, None);
        assert_eq!(result.longest, streak("2026-03-01", "2026-03-03", 3));
    }

    #[test]
    fn a_streak_crosses_the_year_boundary_and_the_longest_is_the_first_of_the_greatest() {
        // 28 Dec – 2 Jan (6 days), a gap, then 3 days up to today.
        let mut days = calendar("2025-12-28", &[1, 1, 1, 1, 1, 1, 0, 5, 5, 5]);
        days.extend(calendar("2026-01-07", &[0; 3]));
        let result = streaks(&days, date("2026-01-06"), &daily());
        assert_eq!(result.longest, streak("2025-12-28", "2026-01-02", 6));
        assert_eq!(result.current, streak("2026-01-04", "2026-01-06", 3));
        assert_eq!(result.total, 21, "later dates are not counted");
        // Two runs of equal length: the first stays the longest.
        let tie = streaks(&calendar("2026-05-01", &[1, 1, 0, 1, 1]), date("2026-05-05"), &daily());
        assert_eq!(tie.longest, streak("2026-05-01", "2026-05-02", 2));
    }

    #[test]
    fn a_leap_day_is_a_day_like_any_other() {
        let result = streaks(&calendar("2024-02-27", &[1, 1, 1, 1]), date("2024-03-01"), &daily());
        assert_eq!(result.current, streak("2024-02-27", "2024-03-01", 4));
        // Missing dates (29 February left out of the data) have no contributions.
        let gap = [
            ContributionDay { date: date("2024-02-28"), count: 1 },
            ContributionDay { date: date("2024-03-01"), count: 1 },
        ];
        assert_eq!(streaks(&gap, date("2024-03-01"), &daily()).current, streak("2024-03-01", "2024-03-01", 1));
    }

    #[test]
    fn excluded_weekdays_without_contributions_neither_end_nor_lengthen_a_streak() {
        // Fri 2026-01-02 .. Tue 2026-01-06: Fri 1, Sat 0, Sun 0, Mon 1, Tue 1.
        let days = calendar("2026-01-02", &[1, 0, 0, 1, 1]);
        let weekends = StreakRules { excluded: [Weekday::Sat, Weekday::Sun].into(), ..daily() };
        assert_eq!(streaks(&days, date("2026-01-06"), &weekends).current, streak("2026-01-02", "2026-01-06", 3));
        assert_eq!(streaks(&days, date("2026-01-06"), &daily()).current, streak("2026-01-05", "2026-01-06", 2));
        // An excluded day with contributions counts.
        let sunday = calendar("2026-01-02", &[1, 0, 2, 1]);
        assert_eq!(streaks(&sunday, date("2026-01-05"), &weekends).current, streak("2026-01-02", "2026-01-05", 3));
    }

    #[test]
    fn weekly_streaks_count_weeks_and_this_week_is_not_over() {
        let weekly = StreakRules { mode: StreakMode::Weekly, ..daily() };
        // Weeks starting Sun 2026-01-04, 01-11, 01-18 each have one contribution (on Wednesday);
        // today is Mon 2026-01-26, nothing yet this week.
        let days: Vec<ContributionDay> = ["2026-01-07", "2026-01-14", "2026-01-21"]
            .iter()
            .map(|d| ContributionDay { date: date(d), count: 2 })
            .collect();
        let result = streaks(&days, date("2026-01-26"), &weekly);
        assert_eq!(result.current, streak("2026-01-04", "2026-01-18", 3));
        assert_eq!(result.total, 6);
        // A week later the empty week of 01-25 has ended it.
        assert_eq!(streaks(&days, date("2026-02-02"), &weekly).current, None);
    }

    #[test]
    fn unsorted_and_repeated_dates_add_up() {
        let days = [
            ContributionDay { date: date("2026-04-02"), count: 1 },
            ContributionDay { date: date("2026-04-01"), count: 0 },
            ContributionDay { date: date("2026-04-01"), count: 3 },
        ];
        let result = streaks(&days, date("2026-04-02"), &daily());
        assert_eq!((result.total, result.current), (4, streak("2026-04-01", "2026-04-02", 2)));
    }
}
