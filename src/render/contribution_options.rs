//! Options of the contribution cards (streak, calendar, activity graph). Names follow
//! github-readme-streak-stats where it has them, so its URLs keep working.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;

use super::options::OptionError;
use crate::domain::{StreakMode, StreakRules};

/// The years `year`, `starting_year` and GraphQL's dates may name: GitHub's calendars start in
/// 2008.
pub const YEARS: std::ops::RangeInclusive<i32> = 2008..=9999;

/// The most days the activity graph shows, and its default.
pub const GRAPH_MAX_DAYS: u32 = 365;
pub const GRAPH_DEFAULT_DAYS: u32 = 30;

/// The date format unless `date_format` says otherwise: `Mar 5`, with the year when it is not
/// the current one (`Mar 5, 2024`).
pub const DEFAULT_DATE_FORMAT: &str = "M j[, Y]";

const MAX_DATE_FORMAT_CHARS: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContributionOptions {
    /// Whose days the calendar counts and which date is today (IANA name; default UTC).
    pub timezone: Tz,
    pub mode: StreakMode,
    /// Weekdays (bit `n` = `n` days after Sunday) whose lack of contributions does not end a
    /// daily streak.
    pub excluded_days: u8,
    /// Years before this are left out of the streaks and the total.
    pub starting_year: Option<i32>,
    pub date_format: String,
    pub hide_total: bool,
    pub hide_current: bool,
    pub hide_longest: bool,
    /// Calendar: this year rather than the last 12 months.
    pub year: Option<i32>,
    /// Calendar: the activity graph (`layout=graph`) rather than the heatmap.
    pub graph: bool,
    /// Activity graph: the last `days` days.
    pub days: u32,
}

impl Default for ContributionOptions {
    fn default() -> Self {
        Self {
            timezone: Tz::UTC,
            mode: StreakMode::Daily,
            excluded_days: 0,
            starting_year: None,
            date_format: DEFAULT_DATE_FORMAT.to_owned(),
            hide_total: false,
            hide_current: false,
            hide_longest: false,
            year: None,
            graph: false,
            days: GRAPH_DEFAULT_DAYS,
        }
    }
}

/// The names [`ContributionOptions::from_params`] reads (`layout=graph` is read with `layout`).
pub const CONTRIBUTION_OPTION_NAMES: [&str; 10] = [
    "timezone",
    "mode",
    "exclude_days",
    "starting_year",
    "date_format",
    "hide_total_contributions",
    "hide_current_streak",
    "hide_longest_streak",
    "year",
    "days",
];

/// Weekday names as `exclude_days` takes them.
pub const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

fn invalid(name: &'static str, reason: impl Into<String>) -> OptionError {
    OptionError { name, reason: reason.into() }
}

impl ContributionOptions {
    pub fn from_params(
        params: &HashMap<String, String>,
        flag: impl Fn(&'static str) -> Result<Option<bool>, OptionError>,
    ) -> Result<Self, OptionError> {
        let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let year = |name: &'static str| {
            get(name)
                .map(|v| match v.parse::<i32>() {
                    Ok(y) if YEARS.contains(&y) => Ok(y),
                    _ => Err(invalid(name, "must be a year from 2008")),
                })
                .transpose()
        };
        let mut o = ContributionOptions::default();
        if let Some(name) = get("timezone") {
            o.timezone = parse_timezone(name)?;
        }
        o.mode = match get("mode").map(str::to_ascii_lowercase).as_deref() {
            None | Some("daily") => StreakMode::Daily,
            Some("weekly") => StreakMode::Weekly,
            Some(_) => return Err(invalid("mode", "must be daily or weekly")),
        };
        if let Some(list) = get("exclude_days") {
            o.excluded_days = parse_exclude_days(list.split(','))?;
        }
        o.starting_year = year("starting_year")?;
        if let Some(format) = get("date_format") {
            o.date_format = check_date_format(format)?;
        }
        o.hide_total = flag("hide_total_contributions")?.unwrap_or(false);
        o.hide_current = flag("hide_current_streak")?.unwrap_or(false);
        o.hide_longest = flag("hide_longest_streak")?.unwrap_or(false);
        o.year = year("year")?;
        o.days = get("days")
            .map(|v| match v.parse::<u32>() {
                Ok(d) if (1..=GRAPH_MAX_DAYS).contains(&d) => Ok(d),
                _ => Err(invalid("days", format!("must be a whole number from 1 to {GRAPH_MAX_DAYS}"))),
            })
            .transpose()?
            .unwrap_or(GRAPH_DEFAULT_DAYS);
        Ok(o)
    }

    pub fn rules(&self) -> StreakRules {
        rules(self.mode, self.excluded_days)
    }

    /// `date` in `date_format`, with `months` the locale's short month names: `d` day (2 digits),
    /// `j` day, `m` month (2 digits), `n` month, `M` month name, `Y` year, `y` year (2 digits);
    /// `[...]` only when the year is not `this_year`; anything else as written.
    pub fn format_date(&self, date: NaiveDate, this_year: i32, months: &[&str]) -> String {
        let mut out = String::new();
        let mut skipping = false;
        for c in self.date_format.chars() {
            match c {
                '[' => skipping = date.year() == this_year,
                ']' => skipping = false,
                _ if skipping => {}
                'd' => out.push_str(&format!("{:02}", date.day())),
                'j' => out.push_str(&date.day().to_string()),
                'm' => out.push_str(&format!("{:02}", date.month())),
                'n' => out.push_str(&date.month().to_string()),
                'M' => out.push_str(months.get(date.month0() as usize).copied().unwrap_or("")),
                'Y' => out.push_str(&date.year().to_string()),
                'y' => out.push_str(&format!("{:02}", date.year().rem_euclid(100))),
                other => out.push(other),
            }
        }
        out
    }
}

/// An IANA timezone name (`timezone`).
pub fn parse_timezone(name: &str) -> Result<Tz, OptionError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| invalid("timezone", "unknown; use an IANA name like Europe/Berlin or America/New_York"))
}

/// Weekday names (`exclude_days`) as a set of bits, `n` days after Sunday.
pub fn parse_exclude_days<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<u8, OptionError> {
    let mut excluded = 0u8;
    for name in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
        let day = weekday(name)
            .ok_or_else(|| invalid("exclude_days", format!("unknown day `{name}`; use {}", WEEKDAYS.join(","))))?;
        excluded |= 1 << day.num_days_from_sunday();
    }
    if excluded == 0x7f {
        return Err(invalid("exclude_days", "cannot leave out every day of the week"));
    }
    Ok(excluded)
}

/// The streak rules of a mode and excluded days (bits as [`parse_exclude_days`] makes them).
pub fn rules(mode: StreakMode, excluded_days: u8) -> StreakRules {
    StreakRules {
        mode,
        excluded: (0..7u8)
            .filter(|n| excluded_days & (1 << n) != 0)
            .filter_map(|n| Weekday::try_from((n + 6) % 7).ok())
            .collect(),
    }
}

/// `Sun`, `sunday`, `SUN` ...
fn weekday(name: &str) -> Option<Weekday> {
    let short = name.get(..3)?.to_ascii_lowercase();
    WEEKDAYS
        .iter()
        .position(|d| d.eq_ignore_ascii_case(&short))
        .and_then(|n| Weekday::try_from(((n + 6) % 7) as u8).ok())
}

/// Letters other than the date tokens would be taken for tokens of a later version, and markup
/// has no place in a date: both are refused.
fn check_date_format(format: &str) -> Result<String, OptionError> {
    let wrong = |reason: &str| Err(invalid("date_format", format!("{reason} (e.g. `M j[, Y]`, `j/n[/Y]`, `[Y-]m-d`)")));
    if format.chars().count() > MAX_DATE_FORMAT_CHARS {
        return wrong("is too long");
    }
    let mut open = false;
    for c in format.chars() {
        match c {
            '[' if open => return wrong("has `[` inside `[...]`"),
            '[' => open = true,
            ']' if !open => return wrong("has `]` without `[`"),
            ']' => open = false,
            'd' | 'j' | 'm' | 'n' | 'M' | 'Y' | 'y' | ' ' | ',' | '.' | '/' | '-' | ':' => {}
            c if c.is_ascii_alphabetic() || c.is_control() || "<>&\"'".contains(c) => {
                return wrong(&format!("has `{c}`; use d, j, m, n, M, Y, y and punctuation"));
            }
            _ => {}
        }
    }
    if open {
        return wrong("has `[` without `]`");
    }
    Ok(format.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<ContributionOptions, OptionError> {
        let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        ContributionOptions::from_params(&params, |name| {
            params.get(name).map(|v| v.parse::<bool>().map_err(|_| invalid(name, "true or false"))).transpose()
        })
    }

    #[test]
    fn streak_stats_parameters_parse() {
        let o = parse("timezone=America/New_York&mode=weekly&exclude_days=Sun,saturday&starting_year=2015&date_format=j/n[/Y]&hide_longest_streak=true").unwrap();
        assert_eq!(o.timezone, chrono_tz::America::New_York);
        assert_eq!(o.mode, StreakMode::Weekly);
        assert_eq!(o.rules().excluded, [Weekday::Sun, Weekday::Sat].into_iter().collect());
        assert_eq!((o.starting_year, o.hide_longest, o.hide_current), (Some(2015), true, false));
        let d = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        assert_eq!(o.format_date(d, 2024, &[]), "5/3");
        assert_eq!(o.format_date(d, 2025, &[]), "5/3/2024");
        let default = ContributionOptions::default();
        let months: Vec<&str> = "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec".split(',').collect();
        assert_eq!(default.format_date(d, 2024, &months), "Mar 5");
        assert_eq!(default.format_date(d, 2023, &months), "Mar 5, 2024");
    }

    #[test]
    fn every_error_names_its_parameter() {
        for (query, name) in [
            ("timezone=Mars/Olympus", "timezone"),
            ("mode=hourly", "mode"),
            ("exclude_days=Funday", "exclude_days"),
            ("exclude_days=Sun,Mon,Tue,Wed,Thu,Fri,Sat", "exclude_days"),
            ("starting_year=1999", "starting_year"),
            ("date_format=%3Cscript%3E", "date_format"),
            ("date_format=M%20j%5B", "date_format"),
            ("year=twenty", "year"),
            ("days=0", "days"),
            ("days=366", "days"),
            ("hide_current_streak=maybe", "hide_current_streak"),
        ] {
            assert_eq!(parse(query).unwrap_err().name, name, "{query}");
        }
    }
}
